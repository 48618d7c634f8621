package io.tenantgateway.gateway.admin;

import io.tenantgateway.gateway.observe.GatewayMetrics;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.registry.FileTenantStore;
import io.tenantgateway.gateway.registry.TenantRegistry;
import io.tenantgateway.gateway.testing.RawHttp;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard over plain HTTP, without a browser: login and its cookie, sessions required by the
 * page's API, CSRF tokens on its POSTs, logout, token rotation. (The open mode without a token exists only when the gateway is not root.) The
 * listener runs without managed pools, so an accepted pool action answers 503 here; the browser test
 * drives real pools.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DashboardHttpTest {

  private static final String TOKEN = "dash-" + UUID.randomUUID();
  private static final Pattern CSRF_META = Pattern.compile("<meta name=\"csrf-token\" content=\"([^\"]+)\">");
  private static final String FORM = "application/x-www-form-urlencoded";

  private Vertx vertx;
  private TenantRegistry registry;
  private AdminServer server;
  private AdminClient http;

  @BeforeAll
  void start() throws Exception {
    Path work = Files.createTempDirectory("gw-dashboard-http");
    Path tenants = work.resolve("tenants.yaml");
    Path docroot = Files.createDirectories(work.resolve("site"));
    Files.writeString(tenants, "tenants:\n"
      + "  - {id: shop, domains: [shop.dash.test, www.shop.dash.test], docroot: " + docroot + "}\n"
      + "  - {id: legacy, domains: [legacy.dash.test], docroot: " + docroot + ", backend: 'tcp:127.0.0.1:9'}\n");
    vertx = Vertx.vertx();
    registry = TenantRegistry.open(vertx, new FileTenantStore(tenants), 1000,
      new io.tenantgateway.gateway.registry.BackendPolicy(java.util.List.of(), java.nio.file.Path.of("run")));
    server = AdminServer.start(vertx, config(work, TOKEN), registry, null, new GatewayMetrics()).await(30, TimeUnit.SECONDS);
    http = new AdminClient(server.port(), null);
  }

  private static GatewayConfig config(Path work, String token) {
    return GatewayConfig.load(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_ADMIN_HOST", "127.0.0.1",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_ADMIN_TOKEN", token,
      "GATEWAY_REGISTRY_FILE", work.resolve("tenants.yaml").toString(),
      "GATEWAY_RUN_DIR", work.resolve("run").toString()));
  }

  @AfterAll
  void stop() throws Exception {
    server.close().await(30, TimeUnit.SECONDS);
    registry.close();
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  // ---- helpers

  private AdminClient.Reply logIn(AdminClient client, String token) throws Exception {
    return client.send("POST", "/dashboard/login", "token=" + URLEncoder.encode(token, StandardCharsets.UTF_8),
      "Content-Type", FORM);
  }

  /** @return the session cookie's value after a successful login */
  private String session() throws Exception {
    AdminClient.Reply reply = logIn(http, TOKEN);
    assertEquals(303, reply.status(), reply.toString());
    return sessionCookie(reply);
  }

  private static String setCookie(AdminClient.Reply reply) {
    List<String> cookies = reply.response().headers().allValues("Set-Cookie").stream()
      .filter(c -> c.startsWith(DashboardSession.COOKIE + "=")).toList();
    assertTrue(cookies.size() <= 1, cookies.toString());
    return cookies.isEmpty() ? null : cookies.get(0);
  }

  private static String sessionCookie(AdminClient.Reply reply) {
    String cookie = setCookie(reply);
    assertNotNull(cookie, "a session cookie is set: " + reply.response().headers().map());
    return cookie.substring(DashboardSession.COOKIE.length() + 1, cookie.indexOf(';'));
  }

  private static String cookie(String session) {
    return DashboardSession.COOKIE + "=" + session;
  }

  private String csrf(AdminClient client, String session) throws Exception {
    AdminClient.Reply page = client.send("GET", "/dashboard", null, "Cookie", cookie(session));
    assertEquals(200, page.status(), page.toString());
    Matcher matcher = CSRF_META.matcher(page.body());
    assertTrue(matcher.find(), "the page carries its CSRF token: " + page.body());
    return matcher.group(1);
  }

  private AdminClient.Reply tenants(AdminClient client, String session) throws Exception {
    return client.send("GET", "/dashboard/api/tenants", null, "Cookie", cookie(session));
  }

  // ---- tests

  @Test
  void withoutASessionThePageIsTheLoginFormAndTheApiAnswers401() throws Exception {
    AdminClient.Reply form = http.get("/dashboard");
    assertEquals(200, form.status());
    assertTrue(form.header("Content-Type").startsWith("text/html"), form.header("Content-Type"));
    assertTrue(form.body().contains("type=\"password\"") && form.body().contains("action=\"/dashboard/login\""),
      form.body());
    assertFalse(form.body().contains("csrf-token"), "no page data without a session");
    assertNull(setCookie(form), "an anonymous visit stores no session");
    assertEquals("no-store", form.header("Cache-Control"));
    assertTrue(form.header("Content-Security-Policy").contains("frame-ancestors 'none'"));

    for (String cookie : new String[] {null, cookie("x".repeat(40)), cookie(UUID.randomUUID().toString())}) {
      String[] headers = cookie == null ? new String[0] : new String[] {"Cookie", cookie};
      AdminClient.Reply list = http.send("GET", "/dashboard/api/tenants", null, headers);
      assertEquals(401, list.status(), list.toString());
      assertTrue(list.error().contains("log in"), list.error());
      AdminClient.Reply action = http.send("POST", "/dashboard/api/tenants/shop/start", null, headers);
      assertEquals(401, action.status(), action.toString());
    }
    AdminClient.Reply bearer = http.withToken(TOKEN).get("/dashboard/api/tenants");
    assertEquals(401, bearer.status(), "the page's API takes a session, not the bearer token: " + bearer);
  }

  @Test
  void loginSetsAStrictHttpOnlySessionCookieAndRedirectsToThePage() throws Exception {
    AdminClient.Reply login = logIn(http, TOKEN);
    assertEquals(303, login.status(), login.toString());
    assertEquals("/dashboard", login.header("Location"));
    String cookie = setCookie(login);
    Set<String> attributes = Set.of(cookie.substring(cookie.indexOf(';') + 1).replace(" ", "")
      .toLowerCase(java.util.Locale.ROOT).split(";"));
    assertTrue(attributes.contains("httponly"), cookie);
    assertTrue(attributes.contains("samesite=strict"), cookie);
    assertTrue(attributes.contains("path=/dashboard"), cookie);
    String session = sessionCookie(login);
    assertTrue(session.length() >= 32, session);

    AdminClient.Reply page = http.send("GET", "/dashboard", null, "Cookie", cookie(session));
    assertEquals(200, page.status());
    assertTrue(page.body().contains("id=\"tenants\""), page.body());
    assertTrue(page.body().contains("data-auth=\"token\""));
    assertFalse(page.body().contains(TOKEN), "the token is never sent back");
    assertEquals(401, http.send("GET", "/v1/tenants", null, "Cookie", cookie(session)).status(),
      "a session is no bearer token");

    AdminClient.Reply script = http.get("/dashboard/dashboard.js");
    assertEquals(200, script.status());
    assertEquals("text/javascript; charset=utf-8", script.header("Content-Type"));
    assertEquals("nosniff", script.header("X-Content-Type-Options"));
    assertEquals("text/css; charset=utf-8", http.get("/dashboard/dashboard.css").header("Content-Type"));
  }

  @Test
  void theTenantsJsonMergesTheRegistryWithPoolStatuses() throws Exception {
    AdminClient.Reply reply = tenants(http, session());
    assertEquals(200, reply.status(), reply.toString());
    assertEquals("application/json", reply.header("Content-Type"));
    assertEquals("no-store", reply.header("Cache-Control"));
    JsonObject json = reply.json();
    assertTrue(Math.abs(System.currentTimeMillis() - json.getLong("sampled_at_ms")) < 60_000, json.encode());
    assertFalse(json.getBoolean("pools"), "this listener runs without managed pools");
    JsonArray rows = json.getJsonArray("tenants");
    assertEquals(List.of("legacy", "shop"), rows.stream().map(r -> ((JsonObject) r).getString("id")).toList());
    Set<String> keys = Set.of("id", "domains", "enabled", "backend", "managed", "state", "pid", "uid", "started_at",
      "uptime_s", "requests", "last_activation_ms", "crashes", "memory_bytes", "memory_limit_bytes",
      "memory_state_lost_at", "p95_ms");
    JsonObject legacy = rows.getJsonObject(0);
    JsonObject shop = rows.getJsonObject(1);
    assertEquals(keys, legacy.fieldNames());
    assertEquals(keys, shop.fieldNames());
    assertEquals(new JsonArray().add("shop.dash.test").add("www.shop.dash.test"), shop.getJsonArray("domains"));
    assertTrue(shop.getBoolean("managed"));
    assertTrue(shop.getBoolean("enabled"));
    assertNull(shop.getValue("state"), "pools unavailable: no state");
    assertNull(shop.getValue("p95_ms"));
    assertFalse(legacy.getBoolean("managed"));
    assertEquals("tcp:127.0.0.1:9", legacy.getString("backend"));
  }

  @Test
  void aWrongTokenShowsTheFormAgainAndIsLoggedLikeA401() throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger(BearerAuth.class);
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    logger.addAppender(events);
    String wrong = "wrong-" + UUID.randomUUID();
    AdminClient.Reply refused;
    try {
      refused = logIn(http, wrong);
    } finally {
      logger.detachAppender(events);
    }
    assertEquals(401, refused.status());
    assertTrue(refused.header("Content-Type").startsWith("text/html"));
    assertTrue(refused.body().contains("class=\"error\"") && refused.body().contains("type=\"password\""),
      refused.body());
    assertNull(setCookie(refused), "no session for a wrong token");
    assertEquals(1, events.list.size(), "one WARN per refusal");
    ILoggingEvent event = events.list.get(0);
    assertEquals(Level.WARN, event.getLevel());
    String message = event.getFormattedMessage();
    assertTrue(message.contains("127.0.0.1") && message.contains("POST") && message.contains("/dashboard/login")
      && message.contains("wrong credentials"), message);
    assertFalse(message.contains(wrong) || message.contains(TOKEN), message);

    assertEquals(401, http.send("POST", "/dashboard/login", "", "Content-Type", FORM).status(), "no token");
    assertEquals(401, http.send("POST", "/dashboard/login", "token=" + TOKEN, "Content-Type", "text/plain").status(),
      "a form body only");
    AdminClient.Reply inUrl = http.send("POST", "/dashboard/login?token=" + TOKEN, "", "Content-Type", FORM);
    assertEquals(401, inUrl.status(), "a token in the URL is never taken");
    assertEquals(405, http.get("/dashboard/login?token=" + TOKEN).status());
    assertEquals(413, logIn(http, "x".repeat((int) DashboardRoutes.MAX_FORM_BYTES)).status());
  }

  @Test
  void postsNeedTheSessionsCsrfToken() throws Exception {
    String session = session();
    String csrf = csrf(http, session);
    String other = csrf(http, session());
    assertNotEquals(csrf, other, "one token per session");
    for (String[] headers : List.of(new String[] {"Cookie", cookie(session)},
      new String[] {"Cookie", cookie(session), DashboardSession.CSRF_HEADER, ""},
      new String[] {"Cookie", cookie(session), DashboardSession.CSRF_HEADER, other},
      new String[] {"Cookie", cookie(session), DashboardSession.CSRF_HEADER, csrf + "x"},
      new String[] {"Cookie", cookie(session), "X-Requested-With", "XMLHttpRequest"})) {
      AdminClient.Reply refused = http.send("POST", "/dashboard/api/tenants/shop/stop", null, headers);
      assertEquals(403, refused.status(), refused.toString());
      assertEquals(DashboardSession.CSRF_HEADER, refused.field());
    }
    AdminClient.Reply accepted = http.send("POST", "/dashboard/api/tenants/shop/stop", null,
      "Cookie", cookie(session), DashboardSession.CSRF_HEADER, csrf);
    assertEquals(503, accepted.status(), "past the CSRF check, refused only for want of pools: " + accepted);
    AdminClient.Reply unknown = http.send("POST", "/dashboard/api/tenants/nobody/start", null,
      "Cookie", cookie(session), DashboardSession.CSRF_HEADER, csrf);
    assertEquals(404, unknown.status(), unknown.toString());
    AdminClient.Reply backend = http.send("POST", "/dashboard/api/tenants/legacy/restart", null,
      "Cookie", cookie(session), DashboardSession.CSRF_HEADER, csrf);
    assertEquals(409, backend.status(), "the /v1 rules apply: " + backend);
    assertEquals(405, http.send("GET", "/dashboard/api/tenants/shop/start", null, "Cookie", cookie(session)).status());
    assertEquals(404, http.send("GET", "/dashboard/api/nothing", null, "Cookie", cookie(session)).status());
  }

  @Test
  void logoutEndsTheSession() throws Exception {
    String session = session();
    String csrf = csrf(http, session);
    AdminClient.Reply forged = http.send("POST", "/dashboard/logout", "csrf=nope", "Content-Type", FORM,
      "Cookie", cookie(session));
    assertEquals(403, forged.status(), forged.toString());
    assertEquals(200, tenants(http, session).status(), "a refused logout leaves the session");

    AdminClient.Reply logout = http.send("POST", "/dashboard/logout", "csrf=" + csrf, "Content-Type", FORM,
      "Cookie", cookie(session));
    assertEquals(303, logout.status(), logout.toString());
    assertEquals("/dashboard", logout.header("Location"));
    String cleared = setCookie(logout);
    assertNotNull(cleared, "the cookie is cleared");
    assertTrue(cleared.contains("Max-Age=0"), cleared);
    assertEquals(401, tenants(http, session).status(), "the session is gone on the server");
    AdminClient.Reply page = http.send("GET", "/dashboard", null, "Cookie", cookie(session));
    assertTrue(page.body().contains("type=\"password\""), "back to the login form");
  }

  @Test
  void aNewLoginGetsANewSessionIdAndTheOldOneEnds() throws Exception {
    String first = session();
    AdminClient.Reply again = http.send("POST", "/dashboard/login", "token=" + URLEncoder.encode(TOKEN,
      StandardCharsets.UTF_8), "Content-Type", FORM, "Cookie", cookie(first));
    assertEquals(303, again.status());
    String second = sessionCookie(again);
    assertNotEquals(first, second);
    assertEquals(401, tenants(http, first).status());
    assertEquals(200, tenants(http, second).status());
  }

  @Test
  void anotherAdminTokenEndsEverySession() throws Exception {
    String session = session();
    assertEquals(200, tenants(http, session).status());
    assertTrue(server.replaceToken(TOKEN));
    assertEquals(401, tenants(http, session).status());
    assertEquals(200, tenants(http, session()).status());
  }

  @Test
  void unknownDashboardPathsAre404NotABearerChallenge() throws Exception {
    for (String path : List.of("/dashboard/nothing", "/dashboard/index.html", "/dashboard/login.html")) {
      AdminClient.Reply reply = http.get(path);
      assertEquals(404, reply.status(), path + ": " + reply);
      assertNull(reply.header("WWW-Authenticate"));
    }
    assertEquals(405, http.send("DELETE", "/dashboard", null).status());
    assertEquals(401, http.get("/v1/tenants").status(), "the /v1 API is unchanged");
    assertEquals(200, http.withToken(TOKEN).get("/v1/tenants").status());
  }
}
