package io.tenantgateway.gateway.admin;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tenantgateway.gateway.Gateway;
import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.testing.RawHttp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin API's contract, run against a real gateway (one per test class) over real HTTP, with
 * real php-fpm pools. A subclass chooses the registry store through {@link #registrySettings}; the
 * suite assumes nothing of the store, not even that it starts empty, so every test uses ids and
 * domains of its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class AdminApiContractTest {

  /** The admin token of the gateway under test. */
  protected static final String TOKEN = "admin-" + UUID.randomUUID();
  /** {@code admin.max_body_kb} of the gateway under test. */
  protected static final int MAX_BODY_KB = 16;

  /** A temp directory of the test class: run dir, docroots, anything a subclass keeps there. */
  protected Path work;
  /** The gateway under test. */
  protected Gateway gateway;
  /** A client with the right token. */
  protected AdminClient admin;

  /**
   * @param workDir the test class's temp directory
   * @return the {@code GATEWAY_*} variables that choose and configure the registry store
   */
  protected abstract Map<String, String> registrySettings(Path workDir) throws Exception;

  @BeforeAll
  void startGateway() throws Exception {
    work = Files.createTempDirectory("gw-admin");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    Map<String, String> env = new HashMap<>(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_ADMIN_TOKEN", TOKEN,
      "GATEWAY_ADMIN_MAX_BODY_KB", String.valueOf(MAX_BODY_KB),
      "GATEWAY_REGISTRY_FILE", work.resolve("unused-tenants.yaml").toString(),
      "GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf",
      "GATEWAY_RUN_DIR", work.resolve("run").toString()));
    env.putAll(registrySettings(work));
    // everyApiRouteNeedsTheToken presents more wrong tokens than admin.max_auth_failures allows by
    // default; the throttle has its own test (AdminAuthThrottleTest)
    env.put("GATEWAY_ADMIN_MAX_AUTH_FAILURES", "1000");
    gateway = Gateway.start(GatewayConfig.load(env)).await(30, TimeUnit.SECONDS);
    admin = new AdminClient(gateway.adminPort(), TOKEN);
  }

  @AfterAll
  void stopGateway() throws Exception {
    if (gateway != null) {
      gateway.stop().await(30, TimeUnit.SECONDS);
    }
  }

  /**
   * @param id a tenant id
   * @return an existing docroot for it, readable by a pool's user, with {@code hello.txt} and
   *     {@code pid.php} (prints the php-fpm master's pid)
   */
  protected Path docroot(String id) throws IOException {
    Path sites = Files.createDirectories(work.resolve("sites"));
    Files.setPosixFilePermissions(sites, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path docroot = Files.createDirectories(sites.resolve(id));
    Files.setPosixFilePermissions(docroot, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(docroot.resolve("hello.txt"), "hello from " + id + "\n");
    Files.writeString(docroot.resolve("pid.php"), "<?php echo posix_getppid();\n");
    for (String file : List.of("hello.txt", "pid.php")) {
      Files.setPosixFilePermissions(docroot.resolve(file), PosixFilePermissions.fromString("rw-r--r--"));
    }
    return docroot;
  }

  /**
   * @param id a tenant id
   * @return a minimal valid definition with the domain {@code <id>.admin.test}
   */
  protected JsonObject tenant(String id) throws IOException {
    return new JsonObject().put("id", id).put("domains", new JsonArray().add(id + ".admin.test"))
      .put("docroot", docroot(id).toString());
  }

  /**
   * @param definition a tenant definition
   * @return the created tenant's reply, asserted 201
   */
  protected AdminClient.Reply create(JsonObject definition) throws Exception {
    AdminClient.Reply created = admin.post("/v1/tenants", definition);
    assertEquals(201, created.status(), created.toString());
    return created;
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  // ---- authentication and health

  @Test
  void everyApiRouteNeedsTheToken() throws Exception {
    for (AdminClient client : List.of(admin.withToken(null), admin.withToken("wrong"), admin.withToken(TOKEN + "x"),
      admin.withToken(""))) {
      for (String path : List.of("/v1/tenants", "/v1/pools", "/v1/openapi.yaml", "/metrics", "/v1/no-such-route")) {
        AdminClient.Reply reply = client.get(path);
        assertEquals(401, reply.status(), path + ": " + reply);
        assertEquals("Bearer", reply.header("WWW-Authenticate"));
        reply.error();
        assertNull(reply.json().getValue("field"));
      }
    }
    AdminClient.Reply basic = admin.withToken(null).send("GET", "/v1/tenants", null, "Authorization",
      "Basic " + java.util.Base64.getEncoder().encodeToString(("admin:" + TOKEN).getBytes()));
    assertEquals(401, basic.status(), "only the Bearer scheme counts");
    AdminClient.Reply lowerCase = admin.withToken(null).send("GET", "/v1/tenants", null, "Authorization",
      "bearer " + TOKEN);
    assertEquals(200, lowerCase.status(), "the scheme is case-insensitive");
    assertEquals(200, admin.get("/v1/tenants").status());
  }

  @Test
  void refusalIsLoggedWithoutTheToken() throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger(BearerAuth.class);
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    logger.addAppender(events);
    String wrong = "wrong-" + UUID.randomUUID();
    try {
      assertEquals(401, admin.withToken(wrong).get("/v1/tenants?limit=3").status());
    } finally {
      logger.detachAppender(events);
    }
    assertEquals(1, events.list.size(), "one WARN per refusal");
    ILoggingEvent event = events.list.get(0);
    assertEquals(ch.qos.logback.classic.Level.WARN, event.getLevel());
    String message = event.getFormattedMessage();
    assertTrue(message.contains("127.0.0.1") && message.contains("GET") && message.contains("/v1/tenants"), message);
    assertFalse(message.contains(wrong) || message.contains(TOKEN), message);
  }

  @Test
  void healthAndReadinessNeedNoToken() throws Exception {
    AdminClient anonymous = admin.withToken(null);
    AdminClient.Reply health = anonymous.get("/healthz");
    assertEquals(200, health.status());
    assertEquals(new JsonObject().put("status", "ok"), health.json());
    AdminClient.Reply ready = anonymous.get("/readyz");
    assertEquals(200, ready.status(), ready.toString());
    assertEquals("ready", ready.json().getString("status"));
    assertEquals("reachable", ready.json().getString("registry"));
    assertEquals(gateway.registry().snapshot().tenants().size(), ready.json().getInteger("tenants"));
    create(tenant("ready-count"));
    assertEquals(gateway.registry().snapshot().tenants().size(), anonymous.get("/readyz").json().getInteger("tenants"));
    assertEquals(204, admin.delete("/v1/tenants/ready-count", null).status());
  }

  @Test
  void openApiDocumentIsServedWithTheToken() throws Exception {
    AdminClient.Reply document = admin.get("/v1/openapi.yaml");
    assertEquals(200, document.status());
    assertEquals("application/yaml", document.header("Content-Type"));
    assertTrue(document.body().startsWith("openapi: 3.0"), document.body().substring(0, 40));
  }

  // ---- tenants

  @Test
  void createReadReplaceDeleteWithVersions() throws Exception {
    JsonObject definition = tenant("crud").put("php", new JsonObject().put("max_children", 2));
    AdminClient.Reply created = create(definition);
    assertEquals("/v1/tenants/crud", created.header("Location"));
    long version = created.json().getLong("version");
    assertEquals("\"" + version + "\"", created.header("ETag"));
    assertEquals("application/json", created.header("Content-Type"));
    assertEquals(2, created.json().getJsonObject("php").getInteger("max_children"));
    assertEquals("front-controller", created.json().getJsonObject("routing").getString("mode"), "defaults applied");

    AdminClient.Reply read = admin.get("/v1/tenants/crud");
    assertEquals(200, read.status());
    assertEquals(created.header("ETag"), read.header("ETag"));
    assertEquals(created.json().copy().put("pool", read.json().getValue("pool")), read.json());
    if (gateway.pools() != null) {
      JsonObject pool = read.json().getJsonObject("pool");
      assertEquals("STOPPED", pool.getString("state"));
      assertNull(pool.getValue("pid"));
    }

    JsonObject changed = read.json().copy();
    changed.getJsonObject("php").put("max_children", 4);
    AdminClient.Reply replaced = admin.put("/v1/tenants/crud", changed, read.header("ETag"));
    assertEquals(200, replaced.status(), "a GET body with version and pool PUT back: " + replaced);
    assertNotEquals(read.header("ETag"), replaced.header("ETag"));
    assertEquals("\"" + replaced.json().getLong("version") + "\"", replaced.header("ETag"));
    assertEquals(4, admin.get("/v1/tenants/crud").json().getJsonObject("php").getInteger("max_children"));

    changed.getJsonObject("php").put("max_children", 6);
    AdminClient.Reply stale = admin.put("/v1/tenants/crud", changed, read.header("ETag"));
    assertEquals(412, stale.status(), stale.toString());
    stale.error();
    assertEquals(4, admin.get("/v1/tenants/crud").json().getJsonObject("php").getInteger("max_children"));
    assertEquals(200, admin.put("/v1/tenants/crud", changed, "*").status());
    AdminClient.Reply unconditional = admin.put("/v1/tenants/crud", changed.copy().put("enabled", false), null);
    assertEquals(200, unconditional.status());
    assertFalse(unconditional.json().getBoolean("enabled"));

    assertEquals(412, admin.delete("/v1/tenants/crud", replaced.header("ETag")).status());
    assertEquals(200, admin.get("/v1/tenants/crud").status(), "a refused delete deletes nothing");
    AdminClient.Reply deleted = admin.delete("/v1/tenants/crud", unconditional.header("ETag"));
    assertEquals(204, deleted.status());
    assertEquals("", deleted.body());
    AdminClient.Reply gone = admin.get("/v1/tenants/crud");
    assertEquals(404, gone.status());
    gone.error();
    assertEquals(404, admin.delete("/v1/tenants/crud", null).status());
    assertEquals(404, admin.put("/v1/tenants/crud", changed, null).status());
  }

  @Test
  void concurrentReplacesWithTheSameVersionLetOneWin() throws Exception {
    String etag = create(tenant("race")).header("ETag");
    List<CompletableFuture<AdminClient.Reply>> replies = new ArrayList<>();
    for (int children : new int[] {2, 3}) {
      JsonObject body = tenant("race").put("php", new JsonObject().put("max_children", children));
      replies.add(admin.sendAsync("PUT", "/v1/tenants/race", body.encode(), "Content-Type", "application/json",
        "If-Match", etag));
    }
    List<Integer> statuses = new ArrayList<>();
    for (CompletableFuture<AdminClient.Reply> reply : replies) {
      statuses.add(reply.get(30, TimeUnit.SECONDS).status());
    }
    statuses.sort(null);
    assertEquals(List.of(200, 412), statuses);
    assertEquals(204, admin.delete("/v1/tenants/race", null).status());
  }

  @Test
  void createdTenantRoutesAtOnceAndDeletedStopsRouting() throws Exception {
    create(tenant("routed"));
    RawHttp.Response served = RawHttp.get(gateway.httpPort(), "routed.admin.test", "/hello.txt");
    assertEquals(200, served.status(), served.text());
    assertEquals("hello from routed\n", served.text());
    assertEquals(204, admin.delete("/v1/tenants/routed", null).status());
    assertEquals(404, RawHttp.get(gateway.httpPort(), "routed.admin.test", "/hello.txt").status());
  }

  @Test
  void invalidTenantsNameTheField() throws Exception {
    assertInvalid(tenant("valid-one").put("id", "Bad_Id"), 400, "id");
    assertInvalid(tenant("bad-domain").put("domains", new JsonArray().add("exa mple.test")), 400, "domains[0]");
    assertInvalid(tenant("bad-domain2").put("domains", new JsonArray().add("ok.admin.test").add("-x-.test")), 400,
      "domains[1]");
    assertInvalid(tenant("relative").put("docroot", "sites/relative"), 400, "docroot");
    assertInvalid(tenant("missing-root").put("docroot", work.resolve("no-such-dir").toString()), 400, "docroot");
    assertInvalid(tenant("typo").put("php", new JsonObject().put("max_childs", 5)), 400, "php.max_childs");
    assertInvalid(tenant("unknown-top").put("colour", "blue"), 400, "colour");
    assertInvalid(tenant("bad-mode").put("routing", new JsonObject().put("mode", "cgi")), 400, "routing.mode");
    for (String id : List.of("valid-one", "bad-domain", "bad-domain2", "relative", "missing-root", "typo",
      "unknown-top", "bad-mode")) {
      assertEquals(404, admin.get("/v1/tenants/" + id).status(), id + " was not created");
    }

    create(tenant("owner"));
    AdminClient.Reply taken = admin.post("/v1/tenants", tenant("squatter")
      .put("domains", new JsonArray().add("owner.admin.test")));
    assertEquals(409, taken.status(), taken.toString());
    assertEquals("domains[0]", taken.field());
    AdminClient.Reply twice = admin.post("/v1/tenants", tenant("owner")
      .put("domains", new JsonArray().add("other-owner.admin.test")));
    assertEquals(409, twice.status(), twice.toString());
    assertEquals("id", twice.field());
    AdminClient.Reply renamed = admin.put("/v1/tenants/owner", tenant("owner").put("id", "new-owner"), null);
    assertEquals(400, renamed.status());
    assertEquals("id", renamed.field());
    AdminClient.Reply badIfMatch = admin.put("/v1/tenants/owner", tenant("owner"), "W/\"1\"");
    assertEquals(400, badIfMatch.status());
    assertEquals("If-Match", badIfMatch.field());
    assertEquals(204, admin.delete("/v1/tenants/owner", null).status());
  }

  private void assertInvalid(JsonObject definition, int status, String field) throws Exception {
    AdminClient.Reply reply = admin.post("/v1/tenants", definition);
    assertEquals(status, reply.status(), reply.toString());
    assertEquals(field, reply.field(), reply.toString());
  }

  @Test
  void malformedBodiesAre400() throws Exception {
    for (String body : List.of("{", "{\"id\": \"x\",}", "not json", "[1, 2]", "\"text\"", "null", "")) {
      AdminClient.Reply reply = admin.send("POST", "/v1/tenants", body, "Content-Type", "application/json");
      assertEquals(400, reply.status(), body + ": " + reply);
      reply.error();
      assertNull(reply.json().getValue("field"));
    }
  }

  @Test
  void bodiesOverTheLimitAre413() throws Exception {
    String filler = "x".repeat(MAX_BODY_KB * 1024 + 1);
    AdminClient.Reply tooLarge = admin.send("POST", "/v1/tenants", new JsonObject().put("id", filler).encode(),
      "Content-Type", "application/json");
    assertEquals(413, tooLarge.status(), tooLarge.toString());
    tooLarge.error();
    String under = "x".repeat(MAX_BODY_KB * 1024 - 200);
    AdminClient.Reply justUnder = admin.send("POST", "/v1/tenants", tenant("under-limit").put("note", under).encode(),
      "Content-Type", "application/json");
    assertEquals(400, justUnder.status(), "read and validated: " + justUnder.status());
    assertEquals("note", justUnder.field());
  }

  @Test
  void bodiesThatAreNotJsonAre415() throws Exception {
    String body = tenant("typed").encode();
    AdminClient.Reply text = admin.send("POST", "/v1/tenants", body, "Content-Type", "text/plain");
    assertEquals(415, text.status(), text.toString());
    text.error();
    assertEquals(415, admin.send("POST", "/v1/tenants", body).status(), "no Content-Type");
    assertEquals(415, admin.send("PUT", "/v1/tenants/typed", body, "Content-Type", "application/x-www-form-urlencoded")
      .status());
    AdminClient.Reply charset = admin.send("POST", "/v1/tenants", body, "Content-Type",
      "application/json; charset=utf-8");
    assertEquals(201, charset.status(), charset.toString());
    assertEquals(204, admin.delete("/v1/tenants/typed", null).status());
  }

  @Test
  void metricsArePrometheusTextWithTheTenantsSeries() throws Exception {
    create(tenant("measured"));
    assertEquals(200, RawHttp.get(gateway.httpPort(), "measured.admin.test", "/hello.txt").status());
    AdminClient.Reply metrics = admin.get("/metrics");
    assertEquals(200, metrics.status());
    assertTrue(metrics.header("Content-Type").startsWith("text/plain; version=0.0.4"), metrics.header("Content-Type"));
    assertTrue(metrics.body().contains("gateway_requests_total{status=\"2xx\",tenant=\"measured\"} 1.0"),
      metrics.body());
    assertTrue(metrics.body().contains("# TYPE gateway_request_duration_seconds histogram"));
    assertTrue(metrics.body().contains("jvm_threads_live_threads"));
    assertEquals(204, admin.delete("/v1/tenants/measured", null).status());
    assertTrue(!admin.get("/metrics").body().contains("tenant=\"measured\""), "a deleted tenant's series go");
  }

  @Test
  void unknownRoutesAre404AndWrongMethods405() throws Exception {
    AdminClient.Reply root = admin.get("/");
    assertEquals(302, root.status(), root.toString());
    assertEquals("/dashboard", root.header("Location"), "a browser at the admin listener lands on the dashboard");
    for (String path : List.of("/v1", "/v1/tenant", "/v1/tenants/x/y/z", "/v1/tenants/x/reload", "/metricz")) {
      AdminClient.Reply reply = admin.get(path);
      assertEquals(404, reply.status(), path + ": " + reply);
      reply.error();
    }
    assertMethodNotAllowed(admin.send("PATCH", "/v1/tenants", "{}", "Content-Type", "application/json"),
      "GET, POST");
    assertMethodNotAllowed(admin.send("POST", "/v1/tenants/x", null), "DELETE, GET, PUT");
    assertMethodNotAllowed(admin.send("GET", "/v1/tenants/x/start", null), "POST");
    assertMethodNotAllowed(admin.send("DELETE", "/v1/pools", null), "GET");
    assertMethodNotAllowed(admin.withToken(null).send("POST", "/healthz", null), "GET");
  }

  private static void assertMethodNotAllowed(AdminClient.Reply reply, String allow) {
    assertEquals(405, reply.status(), reply.toString());
    assertEquals(allow, reply.header("Allow"));
    reply.error();
  }

  @Test
  void listIsPagedInIdOrder() throws Exception {
    List<String> mine = List.of("page-a", "page-b", "page-c", "page-d", "page-e");
    for (String id : List.of("page-c", "page-a", "page-e", "page-b", "page-d")) {
      create(tenant(id));
    }
    List<String> all = new ArrayList<>();
    String after = null;
    for (int pages = 0; ; pages++) {
      assertTrue(pages < 1000, "paging ends");
      AdminClient.Reply page = admin.get("/v1/tenants?limit=2" + (after == null ? "" : "&after=" + after));
      assertEquals(200, page.status(), page.toString());
      List<String> ids = AdminClient.ids(page);
      assertTrue(ids.size() <= 2, ids.toString());
      all.addAll(ids);
      String next = page.json().getString("next");
      if (next == null) {
        break;
      }
      assertEquals(ids.get(ids.size() - 1), next);
      after = next;
    }
    assertEquals(all.stream().sorted().distinct().toList(), all, "ordered by id, each once");
    assertEquals(mine, all.stream().filter(mine::contains).toList());

    AdminClient.Reply middle = admin.get("/v1/tenants?limit=2&after=page-b");
    assertEquals(List.of("page-c", "page-d"), AdminClient.ids(middle));
    assertEquals("page-d", middle.json().getString("next"));
    JsonObject item = middle.json().getJsonArray("items").getJsonObject(0);
    assertTrue(item.getLong("version") > 0, item.encode());
    assertEquals(docroot("page-c").toString(), item.getString("docroot"));
    assertEquals(all.size(), AdminClient.ids(admin.get("/v1/tenants?limit=1000")).size());
    assertTrue(AdminClient.ids(admin.get("/v1/tenants?after=" + all.get(all.size() - 1))).isEmpty());

    for (String limit : List.of("0", "1001", "-1", "ten", "")) {
      AdminClient.Reply bad = admin.get("/v1/tenants?limit=" + limit);
      assertEquals(400, bad.status(), limit + ": " + bad);
      assertEquals("limit", bad.field());
    }
    for (String id : mine) {
      assertEquals(204, admin.delete("/v1/tenants/" + id, null).status());
    }
  }

  // ---- pools

  @Test
  void poolActionsDriveARealPhpFpm() throws Exception {
    assertNotNull(gateway.pools(), "php-fpm is installed by bin/test");
    create(tenant("pool-life").put("limits", new JsonObject().put("memory_mb", 128)));
    AdminClient.Reply started = admin.post("/v1/tenants/pool-life/start", null);
    assertEquals(200, started.status(), started.toString());
    JsonObject pool = started.json();
    assertEquals("pool-life", pool.getString("tenant"));
    assertEquals("RUNNING", pool.getString("state"));
    long pid = pool.getLong("pid");
    assertTrue(alive(pid), "master " + pid + " runs");
    assertNotNull(pool.getLong("uid"));
    Instant.parse(pool.getString("started_at"));
    assertNotNull(pool.getLong("last_activation_ms"));
    assertEquals(128L * 1024 * 1024, pool.getLong("memory_limit_bytes"));

    RawHttp.Response script = RawHttp.get(gateway.httpPort(), "pool-life.admin.test", "/pid.php");
    assertEquals(200, script.status(), script.text());
    assertEquals("2", script.text().trim(), "served by the pool the API started: its master is PID 2 of its namespace");

    AdminClient.Reply pools = admin.get("/v1/pools");
    assertEquals(200, pools.status(), pools.toString());
    assertFalse(pools.json().getString("isolation").isBlank());
    JsonArray items = pools.json().getJsonArray("pools");
    List<String> tenants = items.stream().map(i -> ((JsonObject) i).getString("tenant")).toList();
    assertEquals(tenants.stream().sorted().toList(), tenants);
    JsonObject listed = items.stream().map(JsonObject.class::cast)
      .filter(i -> i.getString("tenant").equals("pool-life")).findFirst().orElseThrow();
    assertEquals(Set.of("tenant", "state", "pid", "uid", "started_at", "requests", "last_activation_ms", "crashes",
      "memory_bytes", "memory_limit_bytes", "isolation", "network", "memory_state_lost_at"), listed.fieldNames());
    assertEquals("RUNNING", listed.getString("state"));
    assertTrue(pools.json().getString("isolation").contains("isolation " + listed.getString("isolation")),
      "the pool's isolation is the gateway's default: " + pools.json().encode());
    assertEquals("host", listed.getString("network"));
    assertEquals(pid, listed.getLong("pid"));
    assertTrue(listed.getLong("requests") >= 1, listed.encode());
    assertEquals(pid, admin.get("/v1/tenants/pool-life").json().getJsonObject("pool").getLong("pid"));

    AdminClient.Reply restarted = admin.post("/v1/tenants/pool-life/restart", null);
    assertEquals(200, restarted.status(), restarted.toString());
    assertEquals("RUNNING", restarted.json().getString("state"));
    long second = restarted.json().getLong("pid");
    assertNotEquals(pid, second);
    assertFalse(alive(pid), "the old master is gone");

    AdminClient.Reply stopped = admin.post("/v1/tenants/pool-life/stop", null);
    assertEquals(200, stopped.status(), stopped.toString());
    assertEquals("STOPPED", stopped.json().getString("state"));
    assertFalse(alive(second), "stopped means no master");

    long third = admin.post("/v1/tenants/pool-life/start", null).json().getLong("pid");
    assertTrue(alive(third));
    assertEquals(204, admin.delete("/v1/tenants/pool-life", null).status());
    assertFalse(alive(third), "DELETE answers once the pool is stopped");
    assertTrue(admin.get("/v1/pools").json().getJsonArray("pools").stream()
      .noneMatch(i -> ((JsonObject) i).getString("tenant").equals("pool-life")));
  }

  @Test
  void aPoolThatNeverRanIsListedAsStopped() throws Exception {
    assertNotNull(gateway.pools(), "php-fpm is installed by bin/test");
    create(tenant("pool-idle"));
    JsonObject listed = admin.get("/v1/pools").json().getJsonArray("pools").stream().map(JsonObject.class::cast)
      .filter(i -> i.getString("tenant").equals("pool-idle")).findFirst().orElseThrow();
    assertEquals("STOPPED", listed.getString("state"));
    assertNull(listed.getValue("pid"));
    assertNull(listed.getValue("uid"));
    assertNull(listed.getValue("started_at"));
    assertEquals(256L * 1024 * 1024, listed.getLong("memory_limit_bytes"));
    assertEquals(204, admin.delete("/v1/tenants/pool-idle", null).status());
  }

  @Test
  void backendAndDisabledTenantsRefusePoolActions() throws Exception {
    create(tenant("pool-backend").put("backend", "tcp:127.0.0.1:9"));
    assertNull(admin.get("/v1/tenants/pool-backend").json().getValue("pool"));
    assertTrue(admin.get("/v1/tenants/pool-backend").json().containsKey("pool"));
    for (String action : List.of("start", "stop", "restart")) {
      AdminClient.Reply refused = admin.post("/v1/tenants/pool-backend/" + action, null);
      assertEquals(409, refused.status(), action + ": " + refused);
      assertEquals("backend", refused.field());
    }
    assertTrue(admin.get("/v1/pools").json().getJsonArray("pools").stream()
      .noneMatch(i -> ((JsonObject) i).getString("tenant").equals("pool-backend")));

    create(tenant("pool-off").put("enabled", false));
    for (String action : List.of("start", "restart")) {
      AdminClient.Reply refused = admin.post("/v1/tenants/pool-off/" + action, null);
      assertEquals(409, refused.status(), action + ": " + refused);
      assertEquals("enabled", refused.field());
    }
    AdminClient.Reply stopped = admin.post("/v1/tenants/pool-off/stop", null);
    assertEquals(200, stopped.status(), stopped.toString());
    assertEquals("STOPPED", stopped.json().getString("state"));

    for (String action : List.of("start", "stop", "restart")) {
      AdminClient.Reply unknown = admin.post("/v1/tenants/no-such-tenant/" + action, null);
      assertEquals(404, unknown.status(), unknown.toString());
      unknown.error();
    }
    assertEquals(204, admin.delete("/v1/tenants/pool-backend", null).status());
    assertEquals(204, admin.delete("/v1/tenants/pool-off", null).status());
  }
}
