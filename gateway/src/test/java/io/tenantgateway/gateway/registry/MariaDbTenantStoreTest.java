package io.tenantgateway.gateway.registry;

import io.tenantgateway.gateway.config.ConfigException;
import io.tenantgateway.gateway.testing.PrivateMariaDb;
import io.tenantgateway.gateway.testing.TestDatabase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link MariaDbTenantStore} against a real MariaDB: migrations, writes and their conflicts, the
 * change log and marker, and a server that goes away and comes back. Each test has its own database.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MariaDbTenantStoreTest {

  private static final long TIMEOUT_MILLIS = 1000;
  /** What a failing call may take beyond the timeout: scheduling, one more connect attempt. */
  private static final long SLACK_MILLIS = 1500;
  private static final List<String> VERSIONS = List.of("1", "2");

  @TempDir
  Path dir;

  private TestDatabase db;
  private String docroot;
  private final List<TenantStore> stores = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    db = TestDatabase.create();
    docroot = Files.createDirectory(dir.resolve("public")).toString();
  }

  @AfterEach
  void tearDown() {
    stores.forEach(TenantStore::close);
    db.close();
  }

  private MariaDbTenantStore open(MariaDbSettings settings) {
    MariaDbTenantStore store = MariaDbTenantStore.open(settings);
    stores.add(store);
    return store;
  }

  private MariaDbTenantStore open() {
    return open(db.settings(TIMEOUT_MILLIS));
  }

  private JsonObject json(String id, String... domains) {
    return new JsonObject().put("id", id).put("domains", new JsonArray(List.of(domains))).put("docroot", docroot);
  }

  private Tenant tenant(String id, String... domains) {
    return TenantParser.parse(json(id, domains));
  }

  private static RegistryException fails(RegistryException.Reason reason, Executable call) {
    RegistryException e = assertThrows(RegistryException.class, call);
    assertEquals(reason, e.reason(), e.getMessage());
    return e;
  }

  private List<List<Object>> query(String sql, Object... parameters) throws SQLException {
    try (Connection connection = db.connect(); PreparedStatement select = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        select.setObject(i + 1, parameters[i]);
      }
      List<List<Object>> rows = new ArrayList<>();
      try (ResultSet result = select.executeQuery()) {
        int columns = result.getMetaData().getColumnCount();
        while (result.next()) {
          List<Object> row = new ArrayList<>();
          for (int c = 1; c <= columns; c++) {
            row.add(result.getObject(c));
          }
          rows.add(row);
        }
      }
      return rows;
    }
  }

  private int update(String sql, Object... parameters) throws SQLException {
    try (Connection connection = db.connect(); PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) {
        statement.setObject(i + 1, parameters[i]);
      }
      return statement.executeUpdate();
    }
  }

  private List<Object> column(String sql, Object... parameters) throws SQLException {
    return query(sql, parameters).stream().map(row -> row.get(0)).toList();
  }

  private List<String> appliedVersions() throws SQLException {
    return column("SELECT version FROM flyway_schema_history WHERE success = 1 AND version IS NOT NULL "
      + "ORDER BY installed_rank").stream().map(String::valueOf).toList();
  }

  private Flyway flyway(String target) {
    return Flyway.configure().dataSource(db.jdbcUrl(), db.user(), "").locations(MariaDbTenantStore.MIGRATIONS)
      .target(target).load();
  }

  // ---- migrations

  @Test
  void migratesAnEmptyDatabase() throws SQLException {
    open();
    List<String> tables = column("SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
      db.name()).stream().map(String::valueOf).sorted().toList();
    assertEquals(List.of("flyway_schema_history", "tenant_changes", "tenant_domains", "tenants"), tables);
    assertEquals(VERSIONS, appliedVersions());
    MigrationInfo[] all = flyway("latest").info().all();
    assertEquals(VERSIONS, Stream.of(all).map(m -> m.getVersion().getVersion()).toList(),
      "every migration on the class path is applied");
    assertEquals(0, flyway("latest").info().pending().length);
    assertEquals(List.of(3L), column("SELECT datetime_precision FROM information_schema.columns "
      + "WHERE table_schema = ? AND table_name = 'tenant_changes' AND column_name = 'changed_at'", db.name())
      .stream().map(v -> ((Number) v).longValue()).toList(), "changed_at keeps milliseconds");

    open();
    assertEquals(VERSIONS, appliedVersions(), "a second gateway finds the schema current");
  }

  @Test
  void createsTheDatabaseWhenMissing() {
    String url = db.missingDatabaseUrl();
    MariaDbTenantStore store = open(new MariaDbSettings(url, db.user(), "", 2, TIMEOUT_MILLIS));
    assertEquals(List.of(), store.loadAll());
    assertEquals("mariadb " + url + " as " + db.user(), store.describe());
  }

  @Test
  void migratesTheFirstSchema() throws SQLException {
    flyway("1").migrate();
    assertEquals(List.of("1"), appliedVersions());
    assertEquals(List.of(), column("SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
      + "AND table_name = 'tenant_changes'", db.name()));
    Tenant legacy = tenant("legacy", "legacy.example.test", "www.legacy.example.test");
    update("INSERT INTO tenants (id, definition, version) VALUES (?, ?, 3)", "legacy", legacy.toJson().encode());
    update("INSERT INTO tenant_domains (domain, tenant_id) VALUES ('legacy.example.test', 'legacy'), "
      + "('www.legacy.example.test', 'legacy')");

    MariaDbTenantStore store = open();
    assertEquals(VERSIONS, appliedVersions());
    assertEquals(List.of(new StoredTenant(legacy, 3)), store.loadAll());
    assertEquals(List.of(List.of("legacy", "create", "migration V2", 3L)),
      query("SELECT tenant_id, action, actor, version FROM tenant_changes"), "existing tenants are in the log");

    fails(RegistryException.Reason.CONFLICT, () -> store.create(tenant("other", "www.legacy.example.test"), "t"));
    assertEquals(4, store.replace(tenant("legacy", "legacy.example.test"), 3L, "test").version());
  }

  // ---- writes

  @Test
  void createReplaceDeleteRoundTrip() throws SQLException {
    MariaDbTenantStore store = open();
    Tenant blog = TenantParser.parse(json("blog", "blog.example.test", "*.blog.example.test")
      .put("routing", new JsonObject().put("mode", "scripts").put("index", "app.php"))
      .put("php", new JsonObject().put("max_children", 3).put("ini", new JsonObject().put("memory_limit", "64M"))
        .put("env", new JsonObject().put("APP_ENV", "prod")))
      .put("limits", new JsonObject().put("max_body_mb", 8))
      .put("backend", "tcp:127.0.0.1:9000")
      .put("enabled", false));

    StoredTenant created = store.create(blog, "alice");
    assertEquals(new StoredTenant(blog, 1), created);
    assertEquals(List.of(created), store.loadAll());
    assertEquals(blog, store.loadAll().get(0).tenant(), "read back equal to what was written");

    Tenant moved = tenant("blog", "news.example.test", "blog.example.test");
    StoredTenant replaced = store.replace(moved, 1L, "bob");
    assertEquals(new StoredTenant(moved, 2), replaced);
    assertEquals(List.of(replaced), store.loadAll());
    assertEquals(List.of("blog.example.test", "news.example.test"),
      column("SELECT domain FROM tenant_domains WHERE tenant_id = 'blog' ORDER BY domain"));
    store.create(tenant("wild", "*.blog.example.test"), "carol");

    StoredTenant deleted = store.delete("blog", 2L, "dave");
    assertEquals(replaced, deleted, "delete returns the tenant as it was");
    assertEquals(List.of("wild"), store.loadAll().stream().map(StoredTenant::id).toList());
    assertEquals(List.of("*.blog.example.test"), column("SELECT domain FROM tenant_domains"),
      "the deleted tenant's domains are gone with it");
    assertEquals(1, store.create(tenant("blog", "blog.example.test"), "erin").version(),
      "a new tenant with an old id starts at version 1");
  }

  @Test
  void loadAllIsOrderedById() {
    MariaDbTenantStore store = open();
    for (String id : List.of("m", "z9", "a", "a-b", "0")) {
      store.create(tenant(id, id + ".example.test"), "test");
    }
    assertEquals(List.of("0", "a", "a-b", "m", "z9"), store.loadAll().stream().map(StoredTenant::id).toList());
  }

  @Test
  void existingIdIsAConflictAndLeavesNothingBehind() throws SQLException {
    MariaDbTenantStore store = open();
    StoredTenant blog = store.create(tenant("blog", "blog.example.test"), "alice");

    RegistryException e = fails(RegistryException.Reason.CONFLICT,
      () -> store.create(tenant("blog", "other.example.test"), "mallory"));
    assertEquals("id", e.field());
    assertTrue(e.getMessage().contains("'blog'"), e.getMessage());
    assertEquals(List.of(blog), store.loadAll());
    assertEquals(List.of("blog.example.test"), column("SELECT domain FROM tenant_domains"));
    assertEquals(List.of("alice"), column("SELECT actor FROM tenant_changes"));
  }

  @Test
  void domainOfAnotherTenantIsAConflictNamingTheOwner() throws SQLException {
    MariaDbTenantStore store = open();
    StoredTenant blog = store.create(tenant("blog", "blog.example.test", "*.blog.example.test"), "alice");
    StoredTenant shop = store.create(tenant("shop", "shop.example.test"), "alice");
    String marker = store.changeMarker();

    RegistryException created = fails(RegistryException.Reason.CONFLICT,
      () -> store.create(tenant("news", "news.example.test", "blog.example.test"), "mallory"));
    assertEquals("domains[1]", created.field());
    assertTrue(created.getMessage().contains("'blog.example.test' already belongs to tenant 'blog'"),
      created.getMessage());

    RegistryException replaced = fails(RegistryException.Reason.CONFLICT,
      () -> store.replace(tenant("shop", "www.shop.example.test", "shop.example.test", "*.blog.example.test"), 1L,
        "mallory"));
    assertEquals("domains[2]", replaced.field());
    assertTrue(replaced.getMessage().contains("tenant 'blog'"), replaced.getMessage());

    assertEquals(List.of(blog, shop), store.loadAll());
    assertEquals(List.of("*.blog.example.test", "blog.example.test", "shop.example.test"),
      column("SELECT domain FROM tenant_domains ORDER BY domain"), "no partial domains");
    assertEquals(List.of("blog", "shop"), column("SELECT tenant_id FROM tenant_changes ORDER BY id"),
      "failed writes are not in the log");
    assertEquals(marker, store.changeMarker());
  }

  @Test
  void replaceAndDeleteOfAMissingTenantAreNotFound() {
    MariaDbTenantStore store = open();
    store.create(tenant("blog", "blog.example.test"), "alice");
    RegistryException replace = fails(RegistryException.Reason.NOT_FOUND,
      () -> store.replace(tenant("shop", "shop.example.test"), null, "bob"));
    assertTrue(replace.getMessage().contains("'shop'"), replace.getMessage());
    fails(RegistryException.Reason.NOT_FOUND, () -> store.delete("shop", null, "bob"));
    fails(RegistryException.Reason.NOT_FOUND, () -> store.delete("shop", 1L, "bob"));
    assertEquals(List.of("blog"), store.loadAll().stream().map(StoredTenant::id).toList());
  }

  @Test
  void staleVersionIsAMismatch() throws SQLException {
    MariaDbTenantStore store = open();
    Tenant blog = tenant("blog", "blog.example.test");
    store.create(blog, "alice");

    RegistryException e = fails(RegistryException.Reason.VERSION_MISMATCH,
      () -> store.replace(tenant("blog", "news.example.test"), 7L, "bob"));
    assertTrue(e.getMessage().contains("version 1, not 7"), e.getMessage());
    fails(RegistryException.Reason.VERSION_MISMATCH, () -> store.delete("blog", 2L, "bob"));
    assertEquals(List.of(new StoredTenant(blog, 1)), store.loadAll());
    assertEquals(List.of("blog.example.test"), column("SELECT domain FROM tenant_domains"));

    assertEquals(2, store.replace(tenant("blog", "news.example.test"), null, "bob").version(),
      "without a version the replace wins");
    assertEquals(3, store.replace(tenant("blog", "news.example.test"), 2L, "bob").version());
  }

  @Test
  void concurrentReplacesWithTheSameVersionHaveOneWinner() throws Exception {
    MariaDbTenantStore store = open(new MariaDbSettings(db.jdbcUrl(), db.user(), "", 8, 5000));
    store.create(tenant("blog", "blog.example.test"), "alice");
    int writers = 8;
    ExecutorService threads = Executors.newFixedThreadPool(writers);
    CountDownLatch go = new CountDownLatch(1);
    try {
      List<Future<StoredTenant>> results = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        Tenant next = tenant("blog", "blog.example.test", "w" + i + ".example.test");
        results.add(threads.submit(() -> {
          go.await();
          return store.replace(next, 1L, "writer");
        }));
      }
      go.countDown();
      List<StoredTenant> winners = new ArrayList<>();
      int mismatches = 0;
      for (Future<StoredTenant> result : results) {
        try {
          winners.add(result.get(30, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
          RegistryException failure = assertInstanceOf(RegistryException.class, e.getCause());
          assertEquals(RegistryException.Reason.VERSION_MISMATCH, failure.reason(), failure.getMessage());
          mismatches++;
        }
      }
      assertEquals(1, winners.size(), "exactly one writer wins");
      assertEquals(writers - 1, mismatches);
      assertEquals(List.of(new StoredTenant(winners.get(0).tenant(), 2)), store.loadAll());
      assertEquals(new HashSet<>(winners.get(0).tenant().domains()),
        new HashSet<>(column("SELECT domain FROM tenant_domains")));
      assertEquals(2L, ((Number) column("SELECT COUNT(*) FROM tenant_changes").get(0)).longValue());
    } finally {
      threads.shutdownNow();
    }
  }

  // ---- change log and marker

  @Test
  void everyWriteIsInTheChangeLog() throws SQLException {
    MariaDbTenantStore store = open();
    Tenant first = tenant("blog", "blog.example.test");
    Tenant second = tenant("blog", "news.example.test");
    store.create(first, "alice");
    store.replace(second, 1L, "bob");
    store.delete("blog", null, "carol");

    List<List<Object>> rows = query("SELECT tenant_id, action, actor, version, definition FROM tenant_changes "
      + "ORDER BY id");
    assertEquals(3, rows.size());
    assertEquals(List.of("blog", "create", "alice", 1L), rows.get(0).subList(0, 4));
    assertEquals(first.toJson(), new JsonObject((String) rows.get(0).get(4)));
    assertEquals(List.of("blog", "replace", "bob", 2L), rows.get(1).subList(0, 4));
    assertEquals(second.toJson(), new JsonObject((String) rows.get(1).get(4)));
    assertEquals(List.of("blog", "delete", "carol", 2L), rows.get(2).subList(0, 4));
    assertNull(rows.get(2).get(4), "a deletion has no definition");
    List<Object> times = column("SELECT changed_at FROM tenant_changes ORDER BY id");
    times.forEach(Assertions::assertNotNull);
  }

  @Test
  void changeMarkerMovesWithEveryWriteAndIsSeenByAnotherStore() throws SQLException {
    MariaDbTenantStore a = open();
    MariaDbTenantStore b = open();
    Set<String> seen = new HashSet<>();
    String marker = a.changeMarker();
    assertEquals(marker, a.changeMarker(), "no change, same marker");
    seen.add(marker);

    List<Runnable> writes = List.of(
      () -> a.create(tenant("blog", "blog.example.test"), "alice"),
      () -> a.replace(tenant("blog", "news.example.test"), 1L, "alice"),
      () -> b.create(tenant("shop", "shop.example.test"), "bob"),
      () -> a.delete("blog", 2L, "alice"));
    for (Runnable write : writes) {
      write.run();
      String now = a.changeMarker();
      assertTrue(seen.add(now), "a new marker after each write: " + now + " in " + seen);
      assertEquals(now, b.changeMarker(), "the other store sees the same marker");
    }

    update("DELETE FROM tenants WHERE id = 'shop'");
    assertTrue(seen.add(a.changeMarker()), "a deletion by hand, without a log entry, changes the marker too");
  }

  @Test
  void rowThatNoLongerParsesIsSkipped() throws SQLException {
    MariaDbTenantStore store = open();
    store.create(tenant("blog", "blog.example.test"), "alice");
    StoredTenant shop = store.create(tenant("shop", "shop.example.test"), "alice");
    store.create(tenant("wiki", "wiki.example.test"), "alice");
    String marker = store.changeMarker();

    assertEquals(1, update("UPDATE tenants SET definition = JSON_SET(definition, '$.php.max_children', 0) "
      + "WHERE id = 'blog'"));
    assertEquals(1, update("UPDATE tenants SET definition = JSON_SET(definition, '$.id', 'other') "
      + "WHERE id = 'wiki'"));
    assertNotEquals(marker, store.changeMarker(), "an edit by hand changes the marker");
    assertEquals(List.of(shop), store.loadAll());
  }

  // ---- settings and an unreachable server

  @Test
  void settingsSplitTheUrlAndHideThePassword() {
    MariaDbSettings settings = new MariaDbSettings(
      "jdbc:mariadb:sequential://db1:3306,db2:3306/tenant_gateway?password=pw&useSsl=true&trustStorePassword=x",
      "gateway", "secret", 4, 2000);
    assertEquals("tenant_gateway", settings.database());
    assertEquals("jdbc:mariadb:sequential://db1:3306,db2:3306/?password=pw&useSsl=true&trustStorePassword=x",
      settings.serverUrl());
    assertEquals("jdbc:mariadb:sequential://db1:3306,db2:3306/tenant_gateway?useSsl=true", settings.redactedUrl());
    assertFalse(settings.toString().contains("secret"), settings.toString());
    assertThrows(ConfigException.class, () -> new MariaDbSettings("jdbc:postgresql://db/x", "u", "", 4, 2000));
    ConfigException noDatabase = assertThrows(ConfigException.class,
      () -> new MariaDbSettings("jdbc:mariadb://db:3306/?password=pw", "u", "", 4, 2000).database());
    assertTrue(noDatabase.getMessage().contains("GATEWAY_DB_URL"), noDatabase.getMessage());
    assertFalse(noDatabase.getMessage().contains("pw"), noDatabase.getMessage());
  }

  @Test
  void unreachableServerAtOpenIsAConfigError() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    String url = "jdbc:mariadb://127.0.0.1:" + port + "/tenant_gateway";
    long start = System.nanoTime();
    ConfigException e = assertThrows(ConfigException.class, () -> open(new MariaDbSettings(
      url + "?password=url-secret&connectTimeout=1000", "gateway", "s3cret-pw", 2, TIMEOUT_MILLIS)));
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(millis < TIMEOUT_MILLIS + SLACK_MILLIS, millis + " ms");
    assertTrue(e.getMessage().contains(url), e.getMessage());
    assertTrue(e.getMessage().contains("'gateway'"), e.getMessage());
    assertTrue(e.getMessage().contains("GATEWAY_DB_URL"), e.getMessage());
    assertFalse(e.getMessage().contains("s3cret-pw"), e.getMessage());
    assertFalse(e.getMessage().contains("url-secret"), e.getMessage());
  }

  @Test
  void serverStoppedAndStartedAgain() throws Exception {
    try (PrivateMariaDb server = PrivateMariaDb.launch()) {
      MariaDbTenantStore store = open(server.settings("registry", TIMEOUT_MILLIS));
      StoredTenant blog = store.create(tenant("blog", "blog.example.test"), "alice");
      String marker = store.changeMarker();

      server.stop();
      unavailableInTime(store::loadAll);
      unavailableInTime(store::changeMarker);
      unavailableInTime(() -> store.create(tenant("shop", "shop.example.test"), "bob"));
      unavailableInTime(() -> store.delete("blog", null, "bob"));

      server.start();
      List<StoredTenant> tenants = eventually(store::loadAll);
      assertEquals(List.of(blog), tenants, "the data survived");
      assertEquals(marker, store.changeMarker(), "nothing was written while the server was away");
      StoredTenant shop = store.create(tenant("shop", "shop.example.test"), "bob");
      assertEquals(List.of(blog, shop), store.loadAll());
    }
  }

  @Test
  void serverThatStopsAnsweringFailsInTime() throws Exception {
    try (PrivateMariaDb server = PrivateMariaDb.launch()) {
      MariaDbTenantStore store = open(server.settings("registry", TIMEOUT_MILLIS));
      StoredTenant blog = store.create(tenant("blog", "blog.example.test"), "alice");

      server.pause();
      try {
        unavailableInTime(store::loadAll);
        unavailableInTime(store::changeMarker);
        unavailableInTime(() -> store.replace(tenant("blog", "news.example.test"), 1L, "bob"));
      } finally {
        server.resume();
      }
      assertEquals(List.of(blog), eventually(store::loadAll));
    }
  }

  private static void unavailableInTime(Executable call) {
    long start = System.nanoTime();
    RegistryException e = fails(RegistryException.Reason.UNAVAILABLE, call);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(millis < TIMEOUT_MILLIS + SLACK_MILLIS, "failed after " + millis + " ms");
    assertTrue(e.getMessage().startsWith("registry database unreachable: "), e.getMessage());
    assertEquals(503, e.reason().status);
  }

  /** Hikari adds connections with a back-off of up to 5 s, so the first call after a restart may fail. */
  private static <T> T eventually(Supplier<T> call) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try {
        return call.get();
      } catch (RegistryException e) {
        if (e.reason() != RegistryException.Reason.UNAVAILABLE || System.nanoTime() > deadline) {
          throw e;
        }
      }
      Thread.sleep(100);
    }
  }
}
