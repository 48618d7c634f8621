package io.tenantgateway.gateway.admin;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The admin API's route table. Health checks come first and need no token; then the dashboard, which
 * has its own session login ({@link DashboardRoutes}); then authentication, the body limit and the API
 * routes. Every path also answers 405 with {@code Allow} for the methods it lacks, and every failure
 * becomes a JSON error in {@link FailureHandler}.
 */
final class AdminRoutes {

  private final Router router;

  private AdminRoutes(Router router) {
    this.router = router;
  }

  /**
   * @param vertx the Vert.x instance
   * @param auth the authentication handler, or null for an open (loopback-only) listener
   * @param maxBodyBytes the largest request body
   * @param health health checks
   * @param tenants tenant handlers
   * @param pools pool handlers
   * @param openApi the API description
   * @param dashboard the dashboard's routes
   * @param metrics the Prometheus scrape
   * @return the router
   */
  static Router create(Vertx vertx, BearerAuth auth, long maxBodyBytes, HealthHandlers health,
                       TenantHandlers tenants, PoolHandlers pools, OpenApiDocument openApi,
                       DashboardRoutes dashboard, MetricsHandler metrics) {
    AdminRoutes routes = new AdminRoutes(Router.router(vertx));
    FailureHandler failures = new FailureHandler();
    routes.router.route().failureHandler(failures);
    routes.router.errorHandler(404, failures);
    routes.router.errorHandler(405, failures);
    routes.router.errorHandler(500, failures);

    routes.path("/healthz", Map.of(HttpMethod.GET, health::healthz));
    routes.path("/readyz", Map.of(HttpMethod.GET, health::readyz));
    dashboard.mount(routes);
    routes.router.route().handler(auth != null ? auth : AdminAccess::loopbackHostOnly);
    routes.router.route().handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes)
      .setMergeFormAttributes(false));

    routes.path("/v1/openapi.yaml", Map.of(HttpMethod.GET, openApi::serve));
    routes.path("/v1/tenants", Map.of(HttpMethod.GET, tenants::list, HttpMethod.POST, tenants::create));
    routes.path("/v1/tenants/:id", Map.of(HttpMethod.GET, tenants::get, HttpMethod.PUT, tenants::replace,
      HttpMethod.DELETE, tenants::delete));
    routes.path("/v1/tenants/:id/start", Map.of(HttpMethod.POST, pools::start));
    routes.path("/v1/tenants/:id/stop", Map.of(HttpMethod.POST, pools::stop));
    routes.path("/v1/tenants/:id/restart", Map.of(HttpMethod.POST, pools::restart));
    routes.path("/v1/pools", Map.of(HttpMethod.GET, pools::list));
    routes.path("/metrics", Map.of(HttpMethod.GET, metrics::scrape));
    return routes.router;
  }

  /**
   * @param router an admin router
   * @return its operations as {@code METHOD /path}, with path parameters written OpenAPI style ({@code {id}})
   */
  static List<String> operations(Router router) {
    return router.getRoutes().stream()
      .filter(route -> route.getPath() != null && route.methods() != null && !route.methods().isEmpty())
      .flatMap(route -> route.methods().stream().map(method -> method.name() + " " + openApiPath(route)))
      .sorted()
      .toList();
  }

  private static String openApiPath(Route route) {
    return route.getPath().replaceAll(":([A-Za-z0-9_]+)", "{$1}");
  }

  /** @return the router being built */
  Router router() {
    return router;
  }

  /**
   * Adds a path: its handlers by method, and 405 with {@code Allow} for any other method.
   *
   * @param path the path
   * @param handlers what answers each method; a failed future or a thrown exception becomes the error reply
   */
  void path(String path, Map<HttpMethod, Function<RoutingContext, Future<Void>>> handlers) {
    handlers.forEach((method, handler) -> router.route(method, path).handler(async(handler)));
    String allow = handlers.keySet().stream().map(HttpMethod::name).sorted().collect(Collectors.joining(", "));
    router.route(path).handler(ctx -> ctx.fail(new ApiException(405, "method " + ctx.request().method()
      + " not allowed here; allowed: " + allow).header("Allow", allow)));
  }

  private static Handler<RoutingContext> async(Function<RoutingContext, Future<Void>> handler) {
    return ctx -> {
      Future<Void> reply;
      try {
        reply = handler.apply(ctx);
      } catch (RuntimeException e) {
        ctx.fail(e);
        return;
      }
      reply.onFailure(e -> {
        if (!ctx.response().ended() && !ctx.response().closed()) {
          ctx.fail(e);
        }
      });
    };
  }
}
