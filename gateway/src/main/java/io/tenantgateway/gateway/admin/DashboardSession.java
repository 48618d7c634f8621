package io.tenantgateway.gateway.admin;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.CookieSameSite;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Session;
import io.vertx.ext.web.handler.SessionHandler;
import io.vertx.ext.web.sstore.LocalSessionStore;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.UUID;

/**
 * The dashboard's server-side sessions: a random session id in a cookie ({@code HttpOnly},
 * {@code SameSite=Strict}, {@code Path=/dashboard}, so the page's own API calls carry it and the
 * {@code /v1} API never sees it), the session itself in this gateway's memory. A session is stored
 * only once logged in: a visit without one stores nothing. Each session has a random CSRF token that
 * every state-changing request must echo ({@link #checkCsrf}).
 */
final class DashboardSession {

  /** Name of the session cookie. */
  static final String COOKIE = "tg_dashboard";
  /** Path of the session cookie: the dashboard's pages and its API, nothing else. */
  static final String COOKIE_PATH = "/dashboard";
  /** A session unused this long ends, ms. The page polls, so an open page keeps its session. */
  static final long IDLE_TIMEOUT_MS = 30 * 60 * 1000L;
  /** A session ends this long after its login however much it is used, ms. */
  static final long MAX_AGE_MS = 12 * 60 * 60 * 1000L;
  /** The request header that carries the CSRF token on the page's API calls. */
  static final String CSRF_HEADER = "X-CSRF-Token";
  /** The form field that carries the CSRF token on form posts (logout). */
  static final String CSRF_FIELD = "csrf";

  private static final String LOGGED_IN_AT = "logged_in_at";
  private static final String CSRF = "csrf";
  private static final int CSRF_BYTES = 32;

  private final LocalSessionStore store;
  private final SessionHandler handler;
  private final SecureRandom random = new SecureRandom();

  /**
   * @param vertx the Vert.x instance
   */
  DashboardSession(Vertx vertx) {
    this.store = LocalSessionStore.create(vertx, "tenant-gateway.dashboard." + UUID.randomUUID(),
      LocalSessionStore.DEFAULT_REAPER_INTERVAL);
    this.handler = SessionHandler.create(store)
      .setSessionCookieName(COOKIE)
      .setSessionCookiePath(COOKIE_PATH)
      .setCookieHttpOnlyFlag(true)
      .setCookieSameSite(CookieSameSite.STRICT)
      .setSessionTimeout(IDLE_TIMEOUT_MS)
      .setLazySession(true)
      .setNagHttps(false);
  }

  /** @return the handler that loads a request's session; before every dashboard route */
  Handler<RoutingContext> handler() {
    return handler;
  }

  /**
   * @param ctx a request that passed {@link #handler()}
   * @return true when it belongs to a logged-in session that has not outlived {@link #MAX_AGE_MS};
   *     any other session it named is dropped (and its cookie cleared)
   */
  boolean loggedIn(RoutingContext ctx) {
    if (ctx.request().getCookie(COOKIE) == null) {
      return false;
    }
    Session session = ctx.session();
    if (session == null) {
      return false;
    }
    Long at = session.get(LOGGED_IN_AT);
    if (at != null && System.currentTimeMillis() - at < MAX_AGE_MS) {
      return true;
    }
    session.destroy();
    return false;
  }

  /**
   * Logs the request's session in, under a new id (no session fixation) and with a new CSRF token;
   * the reply sets the cookie.
   *
   * @param ctx the request
   */
  void logIn(RoutingContext ctx) {
    Session session = ctx.session();
    session.regenerateId();
    session.put(LOGGED_IN_AT, System.currentTimeMillis());
    byte[] csrf = new byte[CSRF_BYTES];
    random.nextBytes(csrf);
    session.put(CSRF, Base64.getUrlEncoder().withoutPadding().encodeToString(csrf));
  }

  /**
   * @param ctx a request of a logged-in session
   * @return its CSRF token
   */
  String csrfToken(RoutingContext ctx) {
    return ctx.session().get(CSRF);
  }

  /**
   * @param ctx a request of a logged-in session
   * @param presented the CSRF token it carries, or null
   * @throws ApiException 403 unless it is the session's token (compared in constant time)
   */
  void checkCsrf(RoutingContext ctx, String presented) {
    String expected = csrfToken(ctx);
    if (presented == null || expected == null || !MessageDigest.isEqual(
      expected.getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8))) {
      BearerAuth.logRefusal(ctx, presented == null ? "dashboard request without its CSRF token"
        : "dashboard request with a wrong CSRF token");
      throw new ApiException(403, "this request must carry the dashboard's CSRF token in " + CSRF_HEADER,
        CSRF_HEADER);
    }
  }

  /**
   * Ends the request's session; the reply clears the cookie.
   *
   * @param ctx the request
   */
  void logOut(RoutingContext ctx) {
    ctx.session().destroy();
  }

  /** Ends every session, e.g. when the admin token changed. */
  void endAll() {
    store.clear();
  }

  /** @return completes once every session is gone and the store's timer stopped */
  Future<Void> close() {
    return store.clear().eventually(() -> {
      store.close();
      return Future.succeededFuture();
    });
  }
}
