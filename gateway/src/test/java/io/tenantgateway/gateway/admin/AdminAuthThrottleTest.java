package io.tenantgateway.gateway.admin;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.observe.GatewayMetrics;
import io.tenantgateway.gateway.registry.FileTenantStore;
import io.tenantgateway.gateway.registry.TenantRegistry;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Brute-force throttling of admin authentication over real HTTP ({@link AuthFailures} behind
 * {@link BearerAuth} and the dashboard login): after {@code admin.max_auth_failures} (default 10) wrong
 * tokens from one address, every authentication attempt from it answers 429 with {@code Retry-After}
 * until {@code admin.auth_window_s} (here {@value #WINDOW_S} s) passed. Each test gets a fresh listener.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminAuthThrottleTest {

  private static final String TOKEN = "throttle-" + UUID.randomUUID();
  private static final int WINDOW_S = 3;
  private static final int MAX_FAILURES = 10;
  private static final String LOCAL = "127.0.0.1";
  private static final String OTHER = "127.0.0.2";
  private static final String FORM = "application/x-www-form-urlencoded";

  private Vertx vertx;
  private Path work;
  private TenantRegistry registry;
  private final Map<String, HttpClient> clients = new HashMap<>();
  private AdminServer server;

  /** A reply as the client saw it. */
  private record Reply(int status, MultiMap headers, String body) {

    String header(String name) {
      return headers.get(name);
    }

    JsonObject json() {
      assertEquals("application/json", header("Content-Type"), body);
      return new JsonObject(body);
    }

    @Override
    public String toString() {
      return status + " " + body;
    }
  }

  @BeforeAll
  void start() throws Exception {
    work = Files.createTempDirectory("gw-admin-throttle");
    Files.writeString(work.resolve("tenants.yaml"), "tenants: []\n");
    vertx = Vertx.vertx();
    registry = TenantRegistry.open(vertx, new FileTenantStore(work.resolve("tenants.yaml")), 1000,
      new io.tenantgateway.gateway.registry.BackendPolicy(java.util.List.of(), java.nio.file.Path.of("run")));
  }

  @AfterEach
  void stopServer() throws Exception {
    if (server != null) {
      server.close().await(30, TimeUnit.SECONDS);
      server = null;
    }
  }

  @AfterAll
  void stop() throws Exception {
    for (HttpClient client : clients.values()) {
      client.close().await(10, TimeUnit.SECONDS);
    }
    registry.close();
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private AdminServer listen(String token) throws Exception {
    server = AdminServer.start(vertx, GatewayConfig.load(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_ADMIN_HOST", LOCAL,
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_ADMIN_TOKEN", token,
      "GATEWAY_ADMIN_AUTH_WINDOW_S", String.valueOf(WINDOW_S),
      "GATEWAY_REGISTRY_FILE", work.resolve("tenants.yaml").toString(),
      "GATEWAY_RUN_DIR", work.resolve("run").toString())), registry, null, new GatewayMetrics())
      .await(30, TimeUnit.SECONDS);
    return server;
  }

  /**
   * @param from the local address the request comes from
   * @param headers header names and values, alternating
   */
  private Reply send(String from, String method, String path, String body, String... headers) throws Exception {
    HttpClient client = clients.computeIfAbsent(from,
      address -> vertx.createHttpClient(new HttpClientOptions().setLocalAddress(address)));
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.valueOf(method))
      .setHost(LOCAL).setPort(server.port()).setURI(path);
    for (int i = 0; i < headers.length; i += 2) {
      options.putHeader(headers[i], headers[i + 1]);
    }
    // the body is asked for in send()'s own callback: a hop to another context could miss it
    return client.request(options)
      .compose(request -> (body == null ? request.send() : request.send(body))
        .compose(response -> response.body().map(b -> new Reply(response.statusCode(), response.headers(),
          b.toString(StandardCharsets.UTF_8)))))
      .await(20, TimeUnit.SECONDS);
  }

  private Reply api(String from, String token) throws Exception {
    return token == null ? send(from, "GET", "/v1/tenants", null)
      : send(from, "GET", "/v1/tenants", null, "Authorization", "Bearer " + token);
  }

  private Reply logIn(String from, String token) throws Exception {
    return send(from, "POST", "/dashboard/login", "token=" + URLEncoder.encode(token, StandardCharsets.UTF_8),
      "Content-Type", FORM);
  }

  private static String wrongToken() {
    return "wrong-" + UUID.randomUUID();
  }

  private static void assertUnauthorized(Reply reply) {
    assertEquals(401, reply.status(), reply.toString());
    assertEquals("Bearer", reply.header("WWW-Authenticate"));
  }

  /** @return the Retry-After seconds, checked to be within one window */
  private static int assertThrottledApi(Reply reply) {
    assertEquals(429, reply.status(), reply.toString());
    JsonObject json = reply.json();
    assertTrue(json.containsKey("field") && json.getValue("field") == null, reply.body());
    assertTrue(json.getString("error").contains("too many failed"), reply.body());
    assertFalse(reply.body().contains(TOKEN));
    return retryAfter(reply);
  }

  private static int retryAfter(Reply reply) {
    String value = reply.header("Retry-After");
    assertNotNull(value, "429 carries Retry-After: " + reply.headers());
    int seconds = Integer.parseInt(value);
    assertTrue(seconds >= 1 && seconds <= WINDOW_S, "Retry-After " + seconds);
    return seconds;
  }

  /** Polls with the right token until the address is let in again, checking it is not let in early. */
  private void assertLetInAgainAfter(int retryAfterSeconds, long refusedAtNanos) throws Exception {
    while (true) {
      Reply reply = api(LOCAL, TOKEN);
      long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - refusedAtNanos);
      if (reply.status() == 200) {
        assertTrue(waitedMs >= (retryAfterSeconds - 1) * 1000L,
          "let in after " + waitedMs + " ms, Retry-After was " + retryAfterSeconds);
        return;
      }
      assertThrottledApi(reply);
      assertTrue(waitedMs < (retryAfterSeconds + 2) * 1000L, "still refused after " + waitedMs + " ms");
      Thread.sleep(100);
    }
  }

  @Test
  void tenWrongBearerTokensThenEvenTheRightOneIs429UntilTheWindowPassed() throws Exception {
    listen(TOKEN);
    assertEquals(200, api(LOCAL, TOKEN).status(), "a success counts nothing");
    for (int i = 1; i <= MAX_FAILURES; i++) {
      assertUnauthorized(api(LOCAL, wrongToken()));
    }
    Reply refused = api(LOCAL, TOKEN);
    long refusedAt = System.nanoTime();
    int retryAfter = assertThrottledApi(refused);
    assertNull(refused.header("WWW-Authenticate"));
    assertThrottledApi(api(LOCAL, wrongToken()));
    assertThrottledApi(api(LOCAL, null));
    assertThrottledApi(send(LOCAL, "POST", "/v1/tenants/x/start", null, "Authorization", "Bearer " + TOKEN));
    assertThrottledApi(send(LOCAL, "GET", "/v1/no-such-route", null, "Authorization", "Bearer " + TOKEN));

    assertLetInAgainAfter(retryAfter, refusedAt);
    assertUnauthorized(api(LOCAL, wrongToken()));
    assertEquals(200, api(LOCAL, TOKEN).status(), "a new window: one failure so far");
  }

  @Test
  void healthChecksAreNeverThrottled() throws Exception {
    listen(TOKEN);
    for (int i = 0; i < MAX_FAILURES; i++) {
      api(LOCAL, wrongToken());
    }
    assertThrottledApi(api(LOCAL, TOKEN));
    for (String path : List.of("/healthz", "/readyz")) {
      for (int i = 0; i < 3; i++) {
        Reply reply = send(LOCAL, "GET", path, null, "Authorization", "Bearer " + wrongToken());
        assertEquals(200, reply.status(), path + ": " + reply);
      }
    }
  }

  @Test
  void requestsWithoutCredentialsAreNotCounted() throws Exception {
    listen(TOKEN);
    for (int i = 0; i < 2 * MAX_FAILURES; i++) {
      assertUnauthorized(api(LOCAL, null));
      assertUnauthorized(send(LOCAL, "GET", "/v1/pools", null, "Authorization", "Bearer "));
      assertEquals(401, send(LOCAL, "POST", "/dashboard/login", "", "Content-Type", FORM).status());
    }
    assertEquals(200, api(LOCAL, TOKEN).status(), "no token guessed, nothing to throttle");
  }

  @Test
  void blockingIsLoggedOnceWithTheAddressNeverTheToken() throws Exception {
    listen(TOKEN);
    Logger logger = (Logger) LoggerFactory.getLogger(AuthFailures.class);
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    logger.addAppender(events);
    String wrong = wrongToken();
    try {
      for (int i = 0; i < MAX_FAILURES + 5; i++) {
        api(LOCAL, wrong);
      }
      logIn(LOCAL, wrong);
    } finally {
      logger.detachAppender(events);
    }
    assertEquals(1, events.list.size(), events.list.toString());
    ILoggingEvent event = events.list.get(0);
    assertEquals(Level.WARN, event.getLevel());
    String message = event.getFormattedMessage();
    assertTrue(message.contains(LOCAL), message);
    assertFalse(message.contains(wrong) || message.contains(TOKEN), message);
  }

  @Test
  void anotherAddressIsUnaffected() throws Exception {
    assumeTrue(canConnectFrom(OTHER), "this host cannot send from " + OTHER);
    listen(TOKEN);
    for (int i = 0; i < MAX_FAILURES; i++) {
      assertUnauthorized(api(LOCAL, wrongToken()));
    }
    assertThrottledApi(api(LOCAL, TOKEN));
    assertEquals(200, api(OTHER, TOKEN).status());
    assertUnauthorized(api(OTHER, wrongToken()));
    assertEquals(303, logIn(OTHER, TOKEN).status());
    assertThrottledApi(api(LOCAL, TOKEN));
  }

  @Test
  void theDashboardLoginIsThrottledWithTheFormAgain() throws Exception {
    listen(TOKEN);
    for (int i = 1; i <= MAX_FAILURES; i++) {
      Reply wrong = logIn(LOCAL, wrongToken());
      assertEquals(401, wrong.status(), "failure " + i + ": " + wrong);
    }
    Reply refused = logIn(LOCAL, TOKEN);
    assertEquals(429, refused.status(), refused.toString());
    retryAfter(refused);
    assertTrue(refused.header("Content-Type").startsWith("text/html"), refused.header("Content-Type"));
    assertTrue(refused.body().contains("type=\"password\"") && refused.body().contains("class=\"error\"")
      && refused.body().contains("Too many failed logins"), refused.body());
    assertEquals("no-store", refused.header("Cache-Control"));
    assertNull(refused.header("Set-Cookie"), "no session while throttled");
    assertThrottledApi(api(LOCAL, TOKEN));
    assertEquals(200, send(LOCAL, "GET", "/dashboard", null).status(), "the form itself is no attempt");
  }

  @Test
  void bearerAndLoginFailuresCountTogether() throws Exception {
    listen(TOKEN);
    for (int i = 0; i < MAX_FAILURES / 2; i++) {
      assertUnauthorized(api(LOCAL, wrongToken()));
      assertEquals(401, logIn(LOCAL, wrongToken()).status());
    }
    Reply refused = logIn(LOCAL, TOKEN);
    long refusedAt = System.nanoTime();
    assertEquals(429, refused.status(), refused.toString());
    assertLetInAgainAfter(retryAfter(refused), refusedAt);
    assertEquals(303, logIn(LOCAL, TOKEN).status(), "the dashboard lets the address in again too");
  }

  private static boolean canConnectFrom(String address) {
    try (Socket socket = new Socket()) {
      socket.bind(new InetSocketAddress(InetAddress.getByName(address), 0));
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
