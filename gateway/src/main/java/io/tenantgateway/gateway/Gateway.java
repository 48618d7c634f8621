package io.tenantgateway.gateway;

import io.tenantgateway.fcgi.FcgiClient;
import io.tenantgateway.fcgi.FcgiClientOptions;
import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.proxy.FastCgiProxy;
import io.tenantgateway.gateway.registry.FileTenantRegistry;
import io.tenantgateway.gateway.registry.TenantRegistry;
import io.tenantgateway.gateway.routing.HostRouter;
import io.tenantgateway.provisioner.PoolManager;
import io.tenantgateway.provisioner.ProvisionerOptions;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A running gateway: Vert.x, the registry snapshot, the FastCGI client and the HTTP listeners.
 */
public final class Gateway {

  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  private final GatewayConfig config;
  private final Vertx vertx;
  private final TenantRegistry registry;
  private final AtomicReference<HostRouter> router = new AtomicReference<>();
  private final FcgiClient fcgiClient;
  private final PoolManager pools;
  private final int eventLoops;
  private int httpPort;

  private Gateway(GatewayConfig config) {
    this.config = config;
    this.registry = openRegistry(config);
    this.router.set(new HostRouter(registry.tenants()));
    this.eventLoops = config.integer("event_loops") == 0
      ? Runtime.getRuntime().availableProcessors() : config.integer("event_loops");
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(eventLoops).setPreferNativeTransport(true));
    this.pools = openPools(vertx, config);
    this.fcgiClient = FcgiClient.create(vertx, new FcgiClientOptions()
      .setConnectTimeout(config.number("fastcgi.connect_timeout_ms"))
      .setReadIdleTimeout(config.number("fastcgi.read_timeout_ms"))
      .setQueueTimeout(config.number("fastcgi.queue_timeout_ms"))
      .setMaxQueueSize(config.integer("fastcgi.max_queue"))
      .setPoolIdleTimeout(config.number("fastcgi.pool_idle_timeout_ms"))
      .setMaxResponseHeaderSize(config.integer("fastcgi.max_response_header_size")));
    if (pools != null) {
      pools.onStopping(fcgiClient::closeEndpoint);
    }
  }

  /**
   * Starts a gateway: reads the registry (an invalid one fails here) and binds the listeners.
   *
   * @param config the settings
   * @return the running gateway
   */
  public static Future<Gateway> start(GatewayConfig config) {
    Gateway gateway = new Gateway(config);
    FastCgiProxy proxy = new FastCgiProxy(gateway.fcgiClient, gateway.pools, config.number("http.max_chunked_body_mb"));
    int loops = gateway.eventLoops;
    GatewayVerticle[] first = new GatewayVerticle[1];
    return gateway.vertx.deployVerticle(() -> {
        GatewayVerticle verticle = new GatewayVerticle(config, gateway.router::get, proxy);
        if (first[0] == null) {
          first[0] = verticle;
        }
        return verticle;
      }, new DeploymentOptions().setInstances(loops))
      .map(id -> {
        gateway.httpPort = first[0].actualPort();
        LOG.info("gateway listening on {}:{} with {} event loops ({} transport), {} tenants",
          config.string("http.host"), gateway.httpPort, loops,
          gateway.vertx.isNativeTransportEnabled() ? "epoll" : "NIO", gateway.registry.tenants().size());
        return gateway;
      })
      .onFailure(e -> gateway.vertx.close());
  }

  /** @return the HTTP port bound */
  public int httpPort() {
    return httpPort;
  }

  /** @return the Vert.x instance */
  public Vertx vertx() {
    return vertx;
  }

  /**
   * Stops listening and closes every connection.
   *
   * @return completes when stopped
   */
  public Future<Void> stop() {
    Future<Void> pools = this.pools == null ? Future.succeededFuture() : this.pools.stopAll();
    return pools.eventually(() -> {
      fcgiClient.close();
      return vertx.close();
    });
  }

  /** @return the pool manager, or null when php-fpm is not available */
  public PoolManager pools() {
    return pools;
  }

  private static PoolManager openPools(Vertx vertx, GatewayConfig config) {
    ProvisionerOptions options = new ProvisionerOptions(Path.of(config.string("run_dir")),
      Path.of(config.string("provisioner.template")), config.string("provisioner.php_fpm"),
      config.number("provisioner.start_timeout_ms"), config.number("provisioner.stop_grace_ms"),
      config.integer("provisioner.max_waiters"), config.integer("provisioner.max_crashes"),
      ProvisionerOptions.DEFAULT_CRASH_WINDOW, ProvisionerOptions.DEFAULT_BACKOFF_BASE,
      config.number("provisioner.failed_cooldown_ms"), config.integer("provisioner.max_active_pools"));
    try {
      PoolManager manager = PoolManager.create(vertx, options);
      LOG.info("managed pools: {}", manager.isolation());
      return manager;
    } catch (java.io.UncheckedIOException e) {
      throw new io.tenantgateway.gateway.config.ConfigException("provisioner.template (GATEWAY_POOL_TEMPLATE): "
        + e.getMessage());
    } catch (IllegalStateException e) {
      LOG.warn("managed pools unavailable ({}); tenants without a backend answer 503", e.getMessage());
      return null;
    }
  }

  private static TenantRegistry openRegistry(GatewayConfig config) {
    String type = config.string("registry.type");
    if (!type.equals("file")) {
      throw new io.tenantgateway.gateway.config.ConfigException(
        "registry.type (GATEWAY_REGISTRY): '" + type + "' is not available yet; use file");
    }
    return new FileTenantRegistry(Path.of(config.string("registry.file")));
  }
}
