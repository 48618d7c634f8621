package io.tenantgateway.gateway.admin;

import io.tenantgateway.gateway.config.ConfigException;
import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.observe.GatewayMetrics;
import io.tenantgateway.gateway.observe.TenantMeters;
import io.tenantgateway.gateway.registry.TenantRegistry;
import io.tenantgateway.provisioner.PoolManager;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The admin HTTP listener (docs/ARCHITECTURE.md, "Admin API"): tenants, pool actions and pool statuses as JSON,
 * health checks, and the OpenAPI description ({@code admin-api.yaml}) at {@code GET /v1/openapi.yaml}.
 * Runs on its own {@code admin.host:admin.port}, with {@code Authorization: Bearer <admin.token>} on
 * everything but {@code /healthz}, {@code /readyz} and the dashboard ({@link DashboardRoutes}), which
 * logs in with the same token. An address that presents too many wrong tokens is refused with 429 for a
 * while ({@link AuthFailures}).
 */
public final class AdminServer {

  private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

  /** How long {@link #close()} lets requests in flight (e.g. a pool start) finish, ms. */
  public static final long SHUTDOWN_GRACE_MS = 5_000;
  /** The root-only admin socket under the run directory (root mode). */
  public static final String SOCKET = "admin.sock";

  private final HttpServer server;
  private final HttpServer local;
  private final Router router;
  private final HealthHandlers health;
  private final BearerAuth auth;
  private final DashboardRoutes dashboard;

  private AdminServer(HttpServer server, HttpServer local, Router router, HealthHandlers health, BearerAuth auth,
                      DashboardRoutes dashboard) {
    this.server = server;
    this.local = local;
    this.router = router;
    this.health = health;
    this.auth = auth;
    this.dashboard = dashboard;
  }

  /**
   * Binds the listener.
   *
   * @param vertx the Vert.x instance
   * @param config the settings ({@code admin.*})
   * @param registry the tenants
   * @param pools the managed pools, or null when php-fpm is unavailable (pool endpoints answer 503)
   * @return the running listener; failed with a {@link ConfigException} when {@code admin.token} is
   *     empty and {@code admin.host} is not a loopback address
   */
  public static Future<AdminServer> start(Vertx vertx, GatewayConfig config, TenantRegistry registry,
                                          PoolManager pools, GatewayMetrics metrics) {
    String host = config.string("admin.host");
    BearerAuth auth;
    try {
      String token = AdminToken.resolve(config.string("admin.token"), java.nio.file.Path.of(config.string("run_dir")),
        io.tenantgateway.provisioner.ProvisionerOptions.isRoot());
      auth = AdminAccess.authFor(host, token, new AuthFailures(
        config.integer("admin.max_auth_failures"), config.number("admin.auth_window_s") * 1000,
        AuthFailures.MAX_ADDRESSES, AuthFailures.MONOTONIC_MS));
    } catch (ConfigException e) {
      return Future.failedFuture(e);
    }
    long maxBody = config.number("admin.max_body_kb") * 1024;
    PoolView poolView = new PoolView(vertx, pools);
    PoolHandlers poolHandlers = new PoolHandlers(registry, pools, poolView);
    return OpenApiDocument.load(vertx).compose(openApi -> DashboardRoutes.create(vertx, auth,
      new DashboardData(vertx, registry, pools, id -> p95(metrics, id)), poolHandlers).compose(dashboard -> {
      HealthHandlers health = new HealthHandlers(registry);
      Router router = AdminRoutes.create(vertx, auth, maxBody, health,
        new TenantHandlers(registry, pools, poolView), poolHandlers, openApi, dashboard,
        new MetricsHandler(vertx, metrics));
      java.nio.file.Path socket = java.nio.file.Path.of(config.string("run_dir")).toAbsolutePath().resolve(SOCKET);
      boolean root = io.tenantgateway.provisioner.ProvisionerOptions.isRoot();
      return vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(config.integer("admin.port")))
        .requestHandler(router)
        .listen()
        .compose(server -> (root ? listenLocal(vertx, router, socket) : Future.<HttpServer>succeededFuture(null))
          .map(local -> {
            LOG.info("admin API listening on {}:{}{}{}", host, server.actualPort(),
              auth == null ? " without a token" : "", local == null ? "" : " and on " + socket + " (root only)");
            return new AdminServer(server, local, router, health, auth, dashboard);
          }))
        .onFailure(e -> dashboard.close());
    }));
  }

  /**
   * The admin API on a unix socket only root can connect to ({@code 0600}), with its own count of
   * wrong tokens: a tenant on this host that sends wrong tokens to the TCP listener gets 127.0.0.1
   * blocked, never the operator's socket.
   */
  private static Future<HttpServer> listenLocal(Vertx vertx, Router router, java.nio.file.Path socket) {
    return vertx.executeBlocking(() -> {
      java.nio.file.Files.createDirectories(socket.getParent());
      java.nio.file.Files.deleteIfExists(socket);
      return null;
    }).compose(v -> vertx.createHttpServer().requestHandler(router)
      .listen(io.vertx.core.net.SocketAddress.domainSocketAddress(socket.toString())))
      .compose(local -> vertx.executeBlocking(() -> {
        java.nio.file.Files.setPosixFilePermissions(socket,
          java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return local;
      }));
  }

  private static Double p95(GatewayMetrics metrics, String tenantId) {
    TenantMeters meters = metrics.existing(tenantId);
    double p95 = meters == null ? Double.NaN : meters.p95Millis();
    return Double.isNaN(p95) ? null : p95;
  }

  /**
   * Replaces the admin token (SIGHUP reload) and ends every dashboard session. Switching between no
   * token and a token changes the listener's rules and needs a restart.
   *
   * @param token the new {@code admin.token}
   * @return true when applied
   */
  public boolean replaceToken(String token) {
    if (auth == null || token.isEmpty()) {
      return false;
    }
    auth.replace(token);
    dashboard.endSessions();
    return true;
  }

  /** @return the port bound */
  public int port() {
    return server.actualPort();
  }

  /**
   * @return the operations the listener serves, as {@code METHOD /path} with OpenAPI-style path
   *     parameters, sorted
   */
  List<String> operations() {
    return AdminRoutes.operations(router);
  }

  /**
   * Stops accepting connections; {@code /readyz} answers 503 from now on, and requests in flight get
   * up to {@link #SHUTDOWN_GRACE_MS} to finish.
   *
   * @return completes when closed; bound to no context, so that a caller may chain the close of
   *     Vert.x itself to it (a future of a closed event loop would never complete)
   */
  public Future<Void> close() {
    health.stopping();
    Promise<Void> closed = Promise.promise();
    Future<Void> localClosed = local == null ? Future.succeededFuture()
      : local.shutdown(SHUTDOWN_GRACE_MS, TimeUnit.MILLISECONDS);
    Future.join(server.shutdown(SHUTDOWN_GRACE_MS, TimeUnit.MILLISECONDS), localClosed)
      .eventually(dashboard::close).<Void>mapEmpty().onComplete(closed);
    return closed.future();
  }
}
