package io.tenantgateway.gateway;

import io.tenantgateway.gateway.config.ConfigException;
import io.tenantgateway.gateway.config.GatewayConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * Starts the gateway from {@code conf/gateway.yaml} and {@code GATEWAY_*} variables. SIGHUP reloads
 * the configuration and the tenants; SIGTERM or SIGINT drains requests in flight and stops every
 * pool. Exits with 2 on a configuration error, 1 on any other start failure.
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
    GatewayConfig config;
    try {
      config = GatewayConfig.load(System.getenv());
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
    sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> reload(gateway));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("stopping");
      try {
        gateway.stop().await(config.number("http.drain_timeout_s") * 1000
          + config.number("provisioner.stop_grace_ms") + 10_000, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        LOG.warn("unclean stop: {}", e.getMessage());
      }
    }, "gateway-shutdown"));
  }

  private static void reload(Gateway gateway) {
    LOG.info("SIGHUP: reloading the configuration and the tenants");
    try {
      gateway.reload(GatewayConfig.load(System.getenv()));
    } catch (ConfigException e) {
      LOG.error("SIGHUP: configuration not reloaded, still running with the previous one: {}", e.getMessage());
    }
  }
}
