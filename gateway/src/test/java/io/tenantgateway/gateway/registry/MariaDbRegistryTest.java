package io.tenantgateway.gateway.registry;

import io.tenantgateway.gateway.testing.PrivateMariaDb;
import io.tenantgateway.gateway.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Two {@link TenantRegistry} instances on one MariaDB database, as two gateway nodes: a write through
 * one is routed by it at once and by the other within the poll interval; while the database is away
 * both keep serving their snapshot and writes fail with 503; afterwards they recover by themselves.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MariaDbRegistryTest {

  private static final long POLL_MILLIS = 500;
  private static final long TIMEOUT_MILLIS = 1000;
  /** How long the other node may take to see a change: several poll intervals. */
  private static final long PROPAGATION_MILLIS = 2000;

  @TempDir
  static Path dir;

  private static TestDatabase db;
  private static String docroot;

  private Vertx vertx;
  private final List<TenantStore> stores = new ArrayList<>();

  @BeforeAll
  static void createDatabase() throws Exception {
    db = TestDatabase.create();
    docroot = Files.createDirectory(dir.resolve("public")).toString();
  }

  @AfterAll
  static void dropDatabase() {
    if (db != null) {
      db.close();
    }
  }

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  /** Vert.x first (no more polls), then the stores, so that no close is interrupted half-way. */
  @AfterEach
  void tearDown() throws Exception {
    await(vertx.close());
    stores.forEach(TenantStore::close);
  }

  private TenantRegistry registry(MariaDbSettings settings) {
    MariaDbTenantStore store = MariaDbTenantStore.open(settings);
    stores.add(store);
    return TenantRegistry.open(vertx, store, POLL_MILLIS,
      new io.tenantgateway.gateway.registry.BackendPolicy(java.util.List.of(), java.nio.file.Path.of("run")));
  }

  private JsonObject json(String id, String... domains) {
    return new JsonObject().put("id", id).put("domains", new JsonArray(List.of(domains))).put("docroot", docroot);
  }

  private static <T> T await(Future<T> future) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    }
  }

  private static void within(long millis, String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail(what + " not within " + millis + " ms");
      }
      Thread.sleep(20);
    }
  }

  private static StoredTenant tenant(TenantRegistry registry, String id) {
    return registry.snapshot().byId().get(id);
  }

  @Test
  void writesThroughOneNodeReachTheOther() throws Exception {
    TenantRegistry a = registry(db.settings(TIMEOUT_MILLIS));
    TenantRegistry b = registry(db.settings(TIMEOUT_MILLIS));

    StoredTenant created = await(a.create(json("blog", "blog.example.test"), "alice"));
    assertEquals(created, tenant(a, "blog"), "the writing node routes the tenant when the write completes");
    within(PROPAGATION_MILLIS, "create seen by B", () -> created.equals(tenant(b, "blog")));

    StoredTenant replaced = await(b.replace("blog", json("blog", "news.example.test"), 1L, "bob"));
    assertEquals(2, replaced.version());
    assertEquals(replaced, tenant(b, "blog"));
    within(PROPAGATION_MILLIS, "replace seen by A", () -> replaced.equals(tenant(a, "blog")));

    RegistryException stale = assertThrows(RegistryException.class,
      () -> await(a.replace("blog", json("blog", "old.example.test"), 1L, "alice")));
    assertEquals(RegistryException.Reason.VERSION_MISMATCH, stale.reason());

    await(a.delete("blog", 2L, "alice"));
    assertNull(tenant(a, "blog"));
    within(PROPAGATION_MILLIS, "delete seen by B", () -> tenant(b, "blog") == null);
    assertTrue(a.storeReachable());
    assertTrue(b.storeReachable());
  }

  @Test
  void nodesKeepServingWhileTheDatabaseIsAwayAndRecover() throws Exception {
    try (PrivateMariaDb server = PrivateMariaDb.launch()) {
      TenantRegistry a = registry(server.settings("registry", TIMEOUT_MILLIS));
      TenantRegistry b = registry(server.settings("registry", TIMEOUT_MILLIS));
      StoredTenant blog = await(a.create(json("blog", "blog.example.test"), "alice"));
      within(PROPAGATION_MILLIS, "create seen by B", () -> blog.equals(tenant(b, "blog")));

      server.stop();
      long start = System.nanoTime();
      RegistryException down = assertThrows(RegistryException.class,
        () -> await(a.create(json("shop", "shop.example.test"), "bob")));
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertEquals(RegistryException.Reason.UNAVAILABLE, down.reason(), down.getMessage());
      assertEquals(503, down.reason().status);
      assertTrue(millis < TIMEOUT_MILLIS + 1500, "failed after " + millis + " ms");
      assertFalse(a.storeReachable());
      within(POLL_MILLIS + TIMEOUT_MILLIS + 2000, "B notices", () -> !b.storeReachable());
      assertEquals(blog, tenant(a, "blog"), "A keeps its snapshot");
      assertEquals(blog, tenant(b, "blog"), "B keeps its snapshot");

      server.start();
      within(20_000, "both nodes reach the database again", () -> a.storeReachable() && b.storeReachable());
      StoredTenant shop = await(b.create(json("shop", "shop.example.test"), "bob"));
      within(PROPAGATION_MILLIS, "create after recovery seen by A", () -> shop.equals(tenant(a, "shop")));
      assertEquals(List.of(blog, shop), a.snapshot().tenants(), "nothing written before is lost");
      assertEquals(List.of(blog, shop), stores.get(0).loadAll());
    }
  }

  @Test
  void invalidTenantIsRejectedBeforeTheDatabase() throws Exception {
    TenantRegistry a = registry(db.settings(TIMEOUT_MILLIS));
    Exception e = assertThrows(Exception.class,
      () -> await(a.create(json("bad", "bad.example.test").put("docroot", "relative/path"), "alice")));
    InvalidTenantException invalid = assertInstanceOf(InvalidTenantException.class, e);
    assertEquals("docroot", invalid.field());
    assertNull(tenant(a, "bad"));
  }
}
