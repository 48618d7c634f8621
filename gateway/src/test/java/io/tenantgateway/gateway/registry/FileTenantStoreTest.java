package io.tenantgateway.gateway.registry;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FileTenantStore} and a {@link TenantRegistry} over it: atomic writes, the cross-tenant rules,
 * optimistic concurrency, and edits made to the file by hand picked up without a restart.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FileTenantStoreTest {

  @TempDir
  Path dir;

  private Path file;
  private String docroot;
  private FileTenantStore store;
  private Vertx vertx;

  @BeforeEach
  void setUp() throws IOException {
    file = dir.resolve("tenants.yaml");
    docroot = Files.createDirectory(dir.resolve("public")).toString();
    Files.writeString(file, "# hand written\ntenants: []\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
    store = new FileTenantStore(file);
  }

  @AfterEach
  void tearDown() {
    if (vertx != null) {
      vertx.close().await();
    }
  }

  private Tenant tenant(String id, String... domains) {
    return TenantParser.parse(json(id, domains));
  }

  private JsonObject json(String id, String... domains) {
    return new JsonObject().put("id", id).put("domains", new JsonArray(List.of(domains))).put("docroot", docroot)
      .put("php", new JsonObject().put("max_children", 2).put("ini", new JsonObject().put("b", "2").put("a", "1")));
  }

  private static RegistryException.Reason reason(Runnable write) {
    return assertThrows(RegistryException.class, write::run).reason();
  }

  @Test
  void writesReplaceTheFileAtomicallyAndReadBackEqual() throws IOException {
    StoredTenant blog = store.create(tenant("blog", "blog.test"), "test");
    StoredTenant shop = store.create(tenant("shop", "shop.test", "*.shop.test"), "test");
    assertEquals(List.of(blog, shop), new FileTenantStore(file).loadAll());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
      "written owner-only (it holds tenants' env values), even where it was group-readable before");
    try (var leftovers = Files.list(dir)) {
      assertEquals(List.of("public", "tenants.yaml"), leftovers.map(p -> p.getFileName().toString()).sorted().toList(),
        "no temporary file left behind");
    }
    assertEquals(2, YamlTenantFile.read(file).size());
  }

  @Test
  void versionsChangeWithTheDefinitionOnly() {
    StoredTenant first = store.create(tenant("blog", "blog.test"), "test");
    assertEquals(first.version(), TenantVersion.of(tenant("blog", "blog.test")), "the same on every node");
    StoredTenant second = store.replace(tenant("blog", "blog.test", "www.blog.test"), first.version(), "test");
    assertNotEquals(first.version(), second.version());
    assertTrue(second.version() > 0);
  }

  @Test
  void idAndDomainConflictsNameTheField() {
    store.create(tenant("blog", "blog.test", "*.blog.test"), "test");
    RegistryException id = assertThrows(RegistryException.class,
      () -> store.create(tenant("blog", "other.test"), "test"));
    assertEquals(RegistryException.Reason.CONFLICT, id.reason());
    assertEquals("id", id.field());
    RegistryException domain = assertThrows(RegistryException.class,
      () -> store.create(tenant("shop", "shop.test", "*.blog.test"), "test"));
    assertEquals(RegistryException.Reason.CONFLICT, domain.reason());
    assertEquals("domains[1]", domain.field());
    assertTrue(domain.getMessage().contains("'blog'"), domain.getMessage());
    assertEquals(1, store.loadAll().size(), "nothing written by a refused create");
  }

  @Test
  void staleVersionsAndMissingTenantsAreRefused() {
    StoredTenant blog = store.create(tenant("blog", "blog.test"), "test");
    store.replace(tenant("blog", "blog.test", "www.blog.test"), blog.version(), "test");
    assertEquals(RegistryException.Reason.VERSION_MISMATCH,
      reason(() -> store.replace(tenant("blog", "x.test"), blog.version(), "test")));
    assertEquals(RegistryException.Reason.VERSION_MISMATCH, reason(() -> store.delete("blog", blog.version(), "t")));
    assertEquals(RegistryException.Reason.NOT_FOUND, reason(() -> store.replace(tenant("nope", "n.test"), null, "t")));
    assertEquals(RegistryException.Reason.NOT_FOUND, reason(() -> store.delete("nope", null, "t")));
    assertEquals("blog", store.delete("blog", null, "test").id());
    assertEquals(List.of(), store.loadAll());
  }

  @Test
  void aBrokenFileRefusesWritesAndIsNotOverwritten() throws IOException {
    Files.writeString(file, "tenants: [ {id: \n");
    assertEquals(RegistryException.Reason.UNAVAILABLE, reason(() -> store.create(tenant("blog", "b.test"), "t")));
    assertEquals("tenants: [ {id: \n", Files.readString(file));
  }

  @Test
  void registryRoutesItsOwnWritesAtOnceAndPicksUpHandEdits() throws Exception {
    vertx = Vertx.vertx();
    TenantRegistry registry = TenantRegistry.open(vertx, store, 100,
      new io.tenantgateway.gateway.registry.BackendPolicy(java.util.List.of(), java.nio.file.Path.of("run")));
    try {
      StoredTenant created = registry.create(json("blog", "blog.test"), "test").await(5, TimeUnit.SECONDS);
      assertEquals(created, registry.snapshot().tenant("blog"));
      assertEquals("blog", registry.snapshot().router().route("blog.test").id());

      String edited = Files.readString(file).replace("blog.test", "journal.test");
      Files.writeString(file, edited);
      waitFor(() -> registry.snapshot().router().route("journal.test") != null);
      assertNull(registry.snapshot().router().route("blog.test"));

      Files.writeString(file, "tenants:\n  - { id: Bad!, domains: [x.test], docroot: /nope }\n");
      Thread.sleep(500);
      assertNotNull(registry.snapshot().router().route("journal.test"), "an invalid edit keeps the last tenants");
      assertTrue(registry.storeReachable());

      Files.writeString(file, "tenants: []\n");
      waitFor(() -> registry.snapshot().tenants().isEmpty());
    } finally {
      registry.close();
    }
  }

  @Test
  void listenersSeeEachChangeOnce() throws Exception {
    vertx = Vertx.vertx();
    TenantRegistry registry = TenantRegistry.open(vertx, store, 100,
      new io.tenantgateway.gateway.registry.BackendPolicy(java.util.List.of(), java.nio.file.Path.of("run")));
    List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    registry.onChange((before, after) -> seen.add(before.tenants().size() + "->" + after.tenants().size()));
    try {
      StoredTenant blog = registry.create(json("blog", "blog.test"), "t").await(5, TimeUnit.SECONDS);
      registry.replace("blog", json("blog", "blog.test", "b.test"), blog.version(), "t").await(5, TimeUnit.SECONDS);
      registry.delete("blog", null, "t").await(5, TimeUnit.SECONDS);
      Thread.sleep(300);
      assertEquals(List.of("0->1", "1->1", "1->0"), seen);
      InvalidTenantException wrongId = assertThrows(InvalidTenantException.class,
        () -> registry.replace("blog", json("shop", "s.test"), null, "t").await(5, TimeUnit.SECONDS));
      assertEquals("id", wrongId.field());
      assertFalse(registry.snapshot().byId().containsKey("shop"));
    } finally {
      registry.close();
    }
  }

  private static void waitFor(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 3000;
    while (!condition.getAsBoolean()) {
      assertTrue(System.currentTimeMillis() < deadline, "not seen within 3 s");
      Thread.sleep(20);
    }
  }
}
