package io.tenantgateway.gateway;

import io.tenantgateway.gateway.config.ConfigException;
import io.tenantgateway.gateway.config.GatewayConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Starts the gateway from {@code conf/gateway.yaml} and {@code GATEWAY_*} variables; stops it on
 * SIGTERM or SIGINT. Exits with 2 on a configuration error, 1 on any other start failure.
 */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {
  }

  /**
   * @param args unused
   * @throws InterruptedException if interrupted while starting
   */
  public static void main(String[] args) throws InterruptedException {
    Gateway gateway;
    try {
      GatewayConfig config = GatewayConfig.load(System.getenv());
      gateway = Gateway.start(config).await(60, TimeUnit.SECONDS);
    } catch (ConfigException e) {
      LOG.error("configuration error: {}", e.getMessage());
      System.exit(2);
      return;
    } catch (Exception e) {
      LOG.error("gateway failed to start: {}", e.getMessage(), e);
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("stopping");
      try {
        gateway.stop().await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("unclean stop: {}", e.getMessage());
      }
      stopped.countDown();
    }, "gateway-shutdown"));
  }
}
