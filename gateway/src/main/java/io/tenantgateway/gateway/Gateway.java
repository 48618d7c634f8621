package io.tenantgateway.gateway;

import io.tenantgateway.fcgi.FcgiClient;
import io.tenantgateway.fcgi.FcgiClientOptions;
import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.proxy.FastCgiProxy;
import io.tenantgateway.gateway.admin.AdminServer;
import io.tenantgateway.gateway.config.ConfigException;
import io.tenantgateway.gateway.observe.AccessLog;
import io.tenantgateway.gateway.observe.GatewayMetrics;
import io.tenantgateway.gateway.observe.RequestObserver;
import io.tenantgateway.gateway.registry.BackendPolicy;
import io.tenantgateway.gateway.registry.FileTenantStore;
import io.tenantgateway.gateway.registry.MariaDbSettings;
import io.tenantgateway.gateway.registry.MariaDbTenantStore;
import io.tenantgateway.gateway.registry.TenantRegistry;
import io.tenantgateway.gateway.registry.TenantStore;
import io.tenantgateway.provisioner.PoolManager;
import io.tenantgateway.provisioner.ProvisionerOptions;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;

/**
 * A running gateway: Vert.x, the registry, the managed pools, the FastCGI client, the HTTP listeners
 * and the admin listener.
 */
public final class Gateway {

  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  /** Worker threads: registry I/O, pool starts, cgroup reads, scrapes. */
  private static final int WORKER_THREADS = 64;

  private final GatewayConfig config;
  private final Vertx vertx;
  private final TenantRegistry registry;
  private final FcgiClient fcgiClient;
  private final PoolManager pools;
  private final int eventLoops;
  private final GatewayMetrics metrics;
  private int httpPort;
  private String httpDeployment;
  private AdminServer admin;
  private RequestObserver observer;
  private volatile GatewayConfig current;

  private Gateway(GatewayConfig config, Vertx vertx, GatewayMetrics metrics, TenantRegistry registry,
                  int eventLoops) {
    this.config = config;
    this.metrics = metrics;
    this.current = config;
    this.vertx = vertx;
    this.registry = registry;
    this.eventLoops = eventLoops;
    this.pools = openPools(vertx, config);
    if (pools != null) {
      registry.onChange(new PoolReconciler(pools));
      pools.onEvents(metrics.poolEvents());
      metrics.watchPools(vertx, pools);
    }
    metrics.sampleLatencies(vertx);
    registry.onChange((before, after) -> before.byId().keySet().stream()
      .filter(id -> !after.byId().containsKey(id)).forEach(metrics::forget));
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
   * Blocking until the registry is read: call it from a main thread or a test, not an event loop.
   *
   * @param config the settings
   * @return the running gateway
   */
  public static Future<Gateway> start(GatewayConfig config) {
    int loops = eventLoops(config.integer("event_loops"), Runtime.getRuntime().availableProcessors());
    GatewayMetrics metrics = new GatewayMetrics();
    // pool starts hold a worker thread for their tens of milliseconds; with hundreds of tenants
    // starting and stopping, the default 20 were all taken and starts queued
    io.vertx.core.VertxBuilder builder = metrics.vertxBuilder(new VertxOptions().setEventLoopPoolSize(loops)
      .setPreferNativeTransport(true).setWorkerPoolSize(WORKER_THREADS));
    io.vertx.core.transport.Transport transport = SharedAcceptorTransport.nativeOrNull();
    Vertx vertx = (transport == null ? builder : builder.withTransport(transport)).build();
    Gateway gateway;
    try {
      gateway = new Gateway(config, vertx, metrics, TenantRegistry.open(vertx, openStore(config),
        config.number("registry.poll_ms"), backendPolicy(config)), loops);
    } catch (RuntimeException e) {
      vertx.close();
      throw e;
    }
    return gateway.listen();
  }

  /**
   * The event loops serving HTTP. By default half the cores, at least one: php-fpm's workers need
   * the other half, and on two cores one loop served hello.php with a quarter less CPU per request
   * and no fewer requests per second than two (fewer wake-ups, more events per {@code epoll_wait},
   * no FastCGI connection shared across loops; docs/ARCHITECTURE.md, "Event loops").
   *
   * @param configured {@code event_loops}, 0 for the default
   * @param cores the cores the JVM may use
   * @return the number of event loops
   */
  static int eventLoops(int configured, int cores) {
    return configured > 0 ? configured : Math.max(1, cores / 2);
  }

  private Future<Gateway> listen() {
    Gateway gateway = this;
    FastCgiProxy proxy = new FastCgiProxy(vertx, gateway.fcgiClient, gateway.pools,
      config.number("http.max_chunked_body_mb"), config.number("fastcgi.queue_timeout_ms"),
      config.integer("fastcgi.max_queue"), requestBodies(vertx, config));
    observer = new RequestObserver(metrics, AccessLog.open(config.string("access_log.format"),
      config.string("access_log.file")));
    int loops = gateway.eventLoops;
    GatewayVerticle[] first = new GatewayVerticle[1];
    java.util.concurrent.atomic.AtomicInteger instances = new java.util.concurrent.atomic.AtomicInteger();
    return gateway.vertx.deployVerticle(() -> {
        GatewayVerticle verticle = new GatewayVerticle(config, () -> registry.snapshot().router(), proxy, observer,
          metrics, instances.getAndIncrement());
        if (first[0] == null) {
          first[0] = verticle;
        }
        return verticle;
      }, new DeploymentOptions().setInstances(loops))
      .compose(id -> {
        gateway.httpDeployment = id;
        gateway.httpPort = first[0].actualPort();
        return AdminServer.start(vertx, config, registry, pools, metrics);
      })
      .map(adminServer -> {
        gateway.admin = adminServer;
        // logged once the admin listener is up too: scripts and tests wait for this line
        LOG.info("gateway listening on {}:{} with {} event loops ({} transport), {} tenants",
          config.string("http.host"), gateway.httpPort, loops,
          gateway.vertx.isNativeTransportEnabled() ? "epoll" : "NIO", registry.snapshot().tenants().size());
        return gateway;
      })
      .onFailure(e -> {
        registry.close();
        gateway.vertx.close();
      });
  }

  /** @return the HTTP port bound */
  public int httpPort() {
    return httpPort;
  }

  /** @return the admin listener's port */
  public int adminPort() {
    return admin.port();
  }

  /** @return the metrics */
  public GatewayMetrics metrics() {
    return metrics;
  }

  /** @return the tenants */
  public TenantRegistry registry() {
    return registry;
  }

  /** @return the Vert.x instance */
  public Vertx vertx() {
    return vertx;
  }

  /**
   * Applies a re-read configuration (SIGHUP): the tenants are re-read at once, the admin token and
   * the registry poll interval take effect; any other changed setting is named in the log as needing
   * a restart. Requests in flight are not touched.
   *
   * @param next the configuration as it is now on disk and in the environment
   * @return completes once the tenants are re-read, with the settings that changed but need a restart
   */
  public Future<java.util.List<String>> reload(GatewayConfig next) {
    java.util.List<String> needRestart = new java.util.ArrayList<>();
    for (io.tenantgateway.gateway.config.Setting setting : GatewayConfig.SETTINGS) {
      String path = setting.path();
      if (String.valueOf(current.value(path)).equals(String.valueOf(next.value(path)))) {
        continue;
      }
      switch (path) {
        case "admin.token" -> {
          if (!admin.replaceToken(next.string(path))) {
            needRestart.add(path);
          }
        }
        case "registry.poll_ms" -> registry.pollEvery(next.number(path));
        default -> needRestart.add(path);
      }
    }
    current = next;
    return registry.refresh().map(v -> {
      if (needRestart.isEmpty()) {
        LOG.info("reloaded: configuration applied, tenants re-read");
      } else {
        LOG.warn("reloaded: tenants re-read; changed settings that take effect only after a restart: {}",
          needRestart);
      }
      return needRestart;
    });
  }

  /**
   * Stops gracefully: the HTTP listeners stop accepting and requests in flight get up to
   * {@code http.drain_timeout_s} to finish; then the admin listener closes, every pool is stopped
   * gracefully, and Vert.x closes.
   *
   * @return completes when stopped
   */
  public Future<Void> stop() {
    Promise<Void> stopped = Promise.promise();
    Future<Void> drained = httpDeployment == null ? Future.succeededFuture()
      : vertx.undeploy(httpDeployment).recover(e -> {
        LOG.warn("HTTP listeners not drained cleanly: {}", e.getMessage());
        return Future.succeededFuture();
      });
    drained.onComplete(ar -> {
      if (observer != null) {
        observer.flush();
      }
    }).eventually(() -> admin == null ? Future.succeededFuture() : admin.close())
      .eventually(() -> pools == null ? Future.succeededFuture() : pools.stopAll())
      .onComplete(ar -> {
        fcgiClient.close();
        registry.shutdown().timeout(10, java.util.concurrent.TimeUnit.SECONDS).onComplete(registryClosed ->
          // completed from Vert.x's closing thread, not from an event loop that is going away
          vertx.close().onComplete(closed -> stopped.handle(ar.failed() ? ar : closed)));
      });
    return stopped.future();
  }

  /** @return the pool manager, or null when php-fpm is not available */
  public PoolManager pools() {
    return pools;
  }

  private static io.tenantgateway.gateway.proxy.RequestBodies requestBodies(Vertx vertx, GatewayConfig config) {
    try {
      return new io.tenantgateway.gateway.proxy.RequestBodies(vertx, Path.of(config.string("run_dir"), "spool"),
        config.integer("http.body_buffer_kb") * 1024, config.number("http.body_memory_mb") * 1024 * 1024);
    } catch (java.io.IOException e) {
      throw new ConfigException("run_dir (GATEWAY_RUN_DIR): cannot prepare the request body spool: " + e.getMessage());
    }
  }

  private static BackendPolicy backendPolicy(GatewayConfig config) {
    java.util.List<String> prefixes = java.util.Arrays.stream(config.string("registry.backend_prefixes").split(","))
      .map(String::trim).filter(p -> !p.isEmpty()).toList();
    return new BackendPolicy(prefixes, Path.of(config.string("run_dir")));
  }

  private static io.tenantgateway.provisioner.Isolation isolation(GatewayConfig config) {
    try {
      return io.tenantgateway.provisioner.Isolation.parse(config.string("provisioner.isolation"),
        ProvisionerOptions.isRoot());
    } catch (IllegalArgumentException e) {
      throw new ConfigException("provisioner.isolation (GATEWAY_POOL_ISOLATION): " + e.getMessage());
    }
  }

  private static PoolManager openPools(Vertx vertx, GatewayConfig config) {
    ProvisionerOptions options = new ProvisionerOptions(Path.of(config.string("run_dir")),
      Path.of(config.string("provisioner.template")), config.string("provisioner.php_fpm"),
      config.number("provisioner.start_timeout_ms"), config.number("provisioner.stop_grace_ms"),
      config.integer("provisioner.max_waiters"), config.integer("provisioner.max_crashes"),
      ProvisionerOptions.DEFAULT_CRASH_WINDOW, ProvisionerOptions.DEFAULT_BACKOFF_BASE,
      config.number("provisioner.failed_cooldown_ms"), config.integer("provisioner.max_active_pools"),
      config.number("provisioner.uid_min"), config.number("provisioner.uid_max"), isolation(config));
    if (options.uidMin() > options.uidMax()) {
      throw new ConfigException("provisioner.uid_min (GATEWAY_POOL_UID_MIN) is above provisioner.uid_max");
    }
    try {
      PoolManager manager = PoolManager.create(vertx, options);
      LOG.info("managed pools: {}", manager.isolation());
      return manager;
    } catch (java.io.UncheckedIOException e) {
      throw new ConfigException("provisioner.template (GATEWAY_POOL_TEMPLATE): "
        + e.getMessage());
    } catch (IllegalStateException e) {
      LOG.warn("managed pools unavailable ({}); tenants without a backend answer 503", e.getMessage());
      return null;
    }
  }

  private static TenantStore openStore(GatewayConfig config) {
    String type = config.string("registry.type");
    return switch (type) {
      case "file" -> {
        Path file = Path.of(config.string("registry.file"));
        if (java.nio.file.Files.exists(file)) {
          io.tenantgateway.gateway.config.SecretFiles.warnIfOthersCanRead(file, "the tenants (their env values)");
        }
        yield new FileTenantStore(file);
      }
      case "mariadb" -> MariaDbTenantStore.open(new MariaDbSettings(config.string("registry.db_url"),
        config.string("registry.db_user"), config.string("registry.db_password"),
        config.integer("registry.db_pool_size"), config.number("registry.db_timeout_ms")));
      default -> throw new ConfigException("registry.type (GATEWAY_REGISTRY): expected file or mariadb, got '"
        + type + "'");
    };
  }
}
