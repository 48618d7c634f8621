package io.tenantgateway.gateway.admin;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.function.Function;

/**
 * The dashboard on the admin listener: a page that shows every tenant live, with pool actions.
 *
 * <ul>
 *   <li>{@code GET /dashboard}: the login form, or the page once logged in. {@code POST /dashboard/login}
 *   takes the admin token from a form body (never a URL), compares it as {@link BearerAuth} does, starts
 *   a session ({@link DashboardSession}) and redirects to the page; a wrong token gets the form again
 *   with 401, logged as every admin refusal is, and counts with the bearer API's wrong tokens
 *   ({@link AuthFailures}): a blocked address gets the form with 429 and {@code Retry-After}.
 *   {@code POST /dashboard/logout} ends the session.</li>
 *   <li>{@code GET /dashboard/api/tenants} ({@link DashboardData}) and
 *   {@code POST /dashboard/api/tenants/{id}/start|stop|restart} (the {@code /v1} pool actions, same
 *   replies): a logged-in session only (else 401); the POSTs also need the session's CSRF token in
 *   {@code X-CSRF-Token} (else 403).</li>
 *   <li>Without an admin token (loopback-only listener, see {@link AdminAccess}) {@code GET /dashboard}
 *   logs in by itself, and every dashboard request must name a loopback host in {@code Host}, so a web
 *   page cannot reach the open dashboard through DNS rebinding.</li>
 * </ul>
 * These routes are not part of the bearer-token API nor of its OpenAPI document.
 */
final class DashboardRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(DashboardRoutes.class);

  /** Where the dashboard lives. */
  static final String BASE = "/dashboard";
  /** The largest login or logout form, bytes. */
  static final long MAX_FORM_BYTES = 4096;
  /** The login form's field with the admin token. */
  static final String TOKEN_FIELD = "token";

  private final BearerAuth auth;
  private final DashboardSession sessions;
  private final DashboardAssets assets;
  private final DashboardData data;
  private final PoolHandlers pools;

  private DashboardRoutes(BearerAuth auth, DashboardSession sessions, DashboardAssets assets, DashboardData data,
                          PoolHandlers pools) {
    this.auth = auth;
    this.sessions = sessions;
    this.assets = assets;
    this.data = data;
    this.pools = pools;
  }

  /**
   * @param vertx the Vert.x instance
   * @param auth the admin token, or null for an open (loopback-only) listener
   * @param data what the page shows
   * @param pools the pool actions
   * @return the routes, once the page's files are read
   */
  static Future<DashboardRoutes> create(Vertx vertx, BearerAuth auth, DashboardData data, PoolHandlers pools) {
    return DashboardAssets.load(vertx)
      .map(assets -> new DashboardRoutes(auth, new DashboardSession(vertx), assets, data, pools));
  }

  /**
   * Adds the dashboard's routes; they come before the bearer-token check.
   *
   * @param routes the admin routes being built
   */
  void mount(AdminRoutes routes) {
    Router router = routes.router();
    if (auth == null) {
      router.route(BASE + "/*").handler(AdminAccess::loopbackHostOnly);
    }
    router.route(BASE + "/*").handler(sessions.handler());
    routes.path(BASE, Map.of(HttpMethod.GET, this::page));
    // a browser pointed at the admin listener lands on the dashboard, which asks for the token
    routes.path("/", Map.of(HttpMethod.GET, ctx -> ctx.response().setStatusCode(302).putHeader("Location", BASE)
      .end()));
    BodyHandler form = BodyHandler.create(false).setBodyLimit(MAX_FORM_BYTES).setMergeFormAttributes(false);
    router.route(BASE + "/login").handler(form);
    routes.path(BASE + "/login", Map.of(HttpMethod.POST, this::logIn));
    router.route(BASE + "/logout").handler(form);
    routes.path(BASE + "/logout", Map.of(HttpMethod.POST, this::logOut));
    for (String file : new String[] {DashboardAssets.SCRIPT, DashboardAssets.STYLE}) {
      routes.path(BASE + "/" + file, Map.of(HttpMethod.GET, ctx -> assets.file(ctx, file)));
    }

    router.route(BASE + "/api/*").handler(this::requireSession);
    routes.path(BASE + "/api/tenants", Map.of(HttpMethod.GET,
      ctx -> data.tenants().compose(json -> JsonReplies.send(ctx, 200, json))));
    routes.path(BASE + "/api/tenants/:id/start", Map.of(HttpMethod.POST, withCsrf(pools::start)));
    routes.path(BASE + "/api/tenants/:id/stop", Map.of(HttpMethod.POST, withCsrf(pools::stop)));
    routes.path(BASE + "/api/tenants/:id/restart", Map.of(HttpMethod.POST, withCsrf(pools::restart)));
    router.route(BASE + "/*").handler(ctx -> ctx.fail(new ApiException(404, "no such resource")));
  }

  /** Ends every dashboard session: the admin token changed. */
  void endSessions() {
    sessions.endAll();
  }

  /** @return completes once every session is gone */
  Future<Void> close() {
    return sessions.close();
  }

  private Future<Void> page(RoutingContext ctx) {
    boolean loggedIn = sessions.loggedIn(ctx);
    if (!loggedIn && auth == null) {
      sessions.logIn(ctx);
      loggedIn = true;
    }
    return loggedIn ? assets.page(ctx, sessions.csrfToken(ctx), auth == null) : assets.login(ctx, 200, null);
  }

  private Future<Void> logIn(RoutingContext ctx) {
    if (auth != null) {
      long retryAfter = auth.retryAfterSeconds(ctx);
      if (retryAfter > 0) {
        ctx.response().putHeader("Retry-After", String.valueOf(retryAfter));
        return assets.login(ctx, 429, "Too many failed logins from this address. Try again in " + retryAfter
          + (retryAfter == 1 ? " second." : " seconds."));
      }
      String token = ctx.request().getFormAttribute(TOKEN_FIELD);
      if (!auth.authenticate(ctx, token)) {
        BearerAuth.logRefusal(ctx, token == null || token.isEmpty() ? "dashboard login without a token"
          : "wrong credentials");
        return assets.login(ctx, 401, "That is not the admin token.");
      }
      sessions.logIn(ctx);
      LOG.info("dashboard: logged in from {}", AdminRequests.remoteAddress(ctx));
    } else if (!sessions.loggedIn(ctx)) {
      sessions.logIn(ctx);
    }
    return redirectToPage(ctx);
  }

  private Future<Void> logOut(RoutingContext ctx) {
    if (sessions.loggedIn(ctx)) {
      sessions.checkCsrf(ctx, ctx.request().getFormAttribute(DashboardSession.CSRF_FIELD));
      sessions.logOut(ctx);
      LOG.info("dashboard: logged out from {}", AdminRequests.remoteAddress(ctx));
    }
    return redirectToPage(ctx);
  }

  private void requireSession(RoutingContext ctx) {
    if (sessions.loggedIn(ctx)) {
      ctx.next();
      return;
    }
    BearerAuth.logRefusal(ctx, "no dashboard session");
    ctx.fail(new ApiException(401, "no dashboard session: log in at " + BASE));
  }

  private Function<RoutingContext, Future<Void>> withCsrf(Function<RoutingContext, Future<Void>> action) {
    return ctx -> {
      sessions.checkCsrf(ctx, ctx.request().getHeader(DashboardSession.CSRF_HEADER));
      return action.apply(ctx);
    };
  }

  private static Future<Void> redirectToPage(RoutingContext ctx) {
    return ctx.response().setStatusCode(303).putHeader("Location", BASE).putHeader("Cache-Control", "no-store").end();
  }
}
