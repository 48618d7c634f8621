package io.tenantgateway.gateway.admin;

import io.tenantgateway.gateway.Gateway;
import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.testing.PrivateMariaDb;
import io.tenantgateway.gateway.testing.RawHttp;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real gateway whose MariaDB registry (a private server this test can stop) goes away and comes
 * back: routing keeps serving from the snapshot, admin writes answer 503 quickly, readiness reports
 * the registry unreachable, and everything recovers by itself with nothing written before lost.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MariaDbOutageGatewayTest {

  private static final String TOKEN = "outage-token";

  private PrivateMariaDb database;
  private Gateway gateway;
  private AdminClient admin;
  private Path work;

  @BeforeEach
  void start() throws Exception {
    database = PrivateMariaDb.launch();
    work = Files.createTempDirectory("gw-outage");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    gateway = Gateway.start(GatewayConfig.load(Map.ofEntries(
      Map.entry("GATEWAY_CONFIG", "../conf/gateway.yaml"),
      Map.entry("GATEWAY_HTTP_HOST", "127.0.0.1"),
      Map.entry("GATEWAY_HTTP_PORT", "0"),
      Map.entry("GATEWAY_ADMIN_PORT", "0"),
      Map.entry("GATEWAY_ADMIN_TOKEN", TOKEN),
      Map.entry("GATEWAY_REGISTRY", "mariadb"),
      Map.entry("GATEWAY_DB_URL", database.jdbcUrl("tenant_gateway")),
      Map.entry("GATEWAY_DB_TIMEOUT_MS", "1000"),
      Map.entry("GATEWAY_REGISTRY_POLL_MS", "300"),
      Map.entry("GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf"),
      Map.entry("GATEWAY_RUN_DIR", work.resolve("run").toString())))).await(60, TimeUnit.SECONDS);
    admin = new AdminClient(gateway.adminPort(), TOKEN);
  }

  @AfterEach
  void stop() throws Exception {
    if (gateway != null) {
      gateway.stop().await(30, TimeUnit.SECONDS);
    }
    database.close();
  }

  private JsonObject tenant(String id) throws Exception {
    Path docroot = Files.createDirectories(work.resolve("sites").resolve(id));
    Files.writeString(docroot.resolve("hello.txt"), "hello from " + id + "\n");
    return new JsonObject().put("id", id).put("domains", new JsonArray().add(id + ".outage.test"))
      .put("docroot", docroot.toString());
  }

  private int get(String id) throws Exception {
    return RawHttp.get(gateway.httpPort(), id + ".outage.test", "/hello.txt").status();
  }

  /**
   * A server that stops answering (paused, not gone): the registry thread's polls each wait the
   * whole db_timeout_ms (1 s here), so a write used to queue behind one and answer after about 2 s.
   * Every write answers 503 within db_timeout_ms and a little, as the README promises.
   */
  @Test
  void writesToAServerThatStoppedAnsweringFailWithinTheTimeout() throws Exception {
    assertEquals(201, admin.post("/v1/tenants", tenant("before")).status());
    database.pause();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!"unreachable".equals(admin.get("/readyz").json().getString("registry"))) {
        assertTrue(System.nanoTime() < deadline, "readiness reports the registry unreachable");
        Thread.sleep(50);
      }
      long slowest = 0;
      for (int i = 0; i < 5; i++) {
        long before = System.nanoTime();
        AdminClient.Reply refused = admin.post("/v1/tenants", tenant("paused" + i));
        slowest = Math.max(slowest, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before));
        assertEquals(503, refused.status(), refused.toString());
      }
      assertTrue(slowest < 1_600, "each write answered within db_timeout_ms (1000) and a little; slowest " + slowest
        + " ms");
      assertEquals(200, get("before"), "routing continues");
    } finally {
      database.resume();
    }
  }

  @Test
  void routingOutlivesTheDatabaseAndWritesRecoverWhenItReturns() throws Exception {
    assertEquals(201, admin.post("/v1/tenants", tenant("steady")).status());
    assertEquals(200, get("steady"));

    database.stop();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!"unreachable".equals(admin.get("/readyz").json().getString("registry"))) {
      assertTrue(System.nanoTime() < deadline, "readiness reports the registry unreachable");
      Thread.sleep(100);
    }
    assertEquals(200, admin.get("/readyz").status(), "still ready: routing does not need the database");
    assertEquals(200, get("steady"), "routing continues from the snapshot");

    long before = System.nanoTime();
    AdminClient.Reply refused = admin.post("/v1/tenants", tenant("later"));
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);
    assertEquals(503, refused.status(), refused.toString());
    assertTrue(refused.error().contains("database"), refused.error());
    assertTrue(tookMs < 5_000, "503 in bounded time, took " + tookMs + " ms");
    assertEquals(404, get("later"));

    database.start();
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    AdminClient.Reply created;
    do {
      created = admin.post("/v1/tenants", tenant("later"));
      if (created.status() != 201) {
        assertEquals(503, created.status(), created.toString());
        assertTrue(System.nanoTime() < deadline, "writes work again after the database returns");
        Thread.sleep(250);
      }
    } while (created.status() != 201);
    assertEquals(200, get("later"));
    assertEquals(200, get("steady"));
    assertEquals("reachable", admin.get("/readyz").json().getString("registry"));
    JsonArray items = admin.get("/v1/tenants").json().getJsonArray("items");
    assertEquals(2, items.size(), "nothing written before the outage was lost: " + items);
  }
}
