package io.tenantgateway.gateway.registry;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link BackendPolicy}: a tenant never reaches the gateway's own sockets (another tenant's pool,
 * the admin socket) through {@code backend}, and with prefixes set only the listed addresses; an
 * admin write is refused naming the field, a stored tenant that names one is not routed.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BackendPolicyTest {

  private static final Path RUN = Path.of("/var/lib/tenant-gateway/run");

  @TempDir
  Path dir;
  private Vertx vertx;

  @AfterEach
  void tearDown() {
    if (vertx != null) {
      vertx.close().await();
    }
  }

  private Tenant tenant(String id, String backend) {
    return TenantParser.parse(json(id, backend));
  }

  private JsonObject json(String id, String backend) {
    return new JsonObject().put("id", id).put("domains", new JsonArray().add(id + ".test"))
      .put("docroot", dir.toString()).put("backend", backend);
  }

  @ParameterizedTest
  @ValueSource(strings = {"unix:/var/lib/tenant-gateway/run/pools/victim/php.sock",
    "unix:/var/lib/tenant-gateway/run/admin.sock", "unix:/var/lib/tenant-gateway/elsewhere/../run/pools/v/php.sock",
    "unix:/var/lib/tenant-gateway/run"})
  void theGatewaysOwnSocketsAreNeverABackend(String backend) {
    InvalidTenantException e = assertThrows(InvalidTenantException.class,
      () -> new BackendPolicy(List.of(), RUN).check(tenant("evil", backend)));
    assertEquals("backend", e.field());
    assertTrue(e.getMessage().contains("run directory"), e.getMessage());
  }

  @Test
  void prefixesAllowOnlyWhatStartsWithThem() {
    BackendPolicy policy = new BackendPolicy(List.of("unix:/run/php/", "tcp:10.0.0."), RUN);
    assertDoesNotThrow(() -> policy.check(tenant("a", "unix:/run/php/a.sock")));
    assertDoesNotThrow(() -> policy.check(tenant("b", "tcp:10.0.0.5:9000")));
    for (String refused : List.of("unix:/run/php/../mysqld/mysqld.sock", "unix:/run/phpx.sock", "tcp:10.0.1.5:9000",
      "tcp:127.0.0.1:9000")) {
      InvalidTenantException e = assertThrows(InvalidTenantException.class, () -> policy.check(tenant("c", refused)),
        refused);
      assertEquals("tenant 'c', field 'backend': '" + refused + "' does not start with one of "
        + "registry.backend_prefixes [unix:/run/php/, tcp:10.0.0.]", e.getMessage());
    }
    assertDoesNotThrow(() -> new BackendPolicy(List.of(), RUN).check(tenant("d", "tcp:127.0.0.1:9000")));
  }

  @Test
  void theRegistryRefusesSuchAWriteAndRoutesNoStoredTenantThatNamesOne() throws Exception {
    Path file = dir.resolve("tenants.yaml");
    Files.writeString(file, "tenants:\n"
      + "  - { id: evil, domains: [evil.test], docroot: \"" + dir + "\", backend: \"unix:" + RUN + "/pools/v/php.sock\" }\n"
      + "  - { id: fine, domains: [fine.test], docroot: \"" + dir + "\", backend: \"unix:/run/php/fine.sock\" }\n");
    vertx = Vertx.vertx();
    TenantRegistry registry = TenantRegistry.open(vertx, new FileTenantStore(file), 100,
      new BackendPolicy(List.of(), RUN));
    try {
      assertNull(registry.snapshot().router().route("evil.test"), "not routed");
      assertEquals("fine", registry.snapshot().router().route("fine.test").id());
      Throwable e = registry.create(json("other", "unix:" + RUN + "/admin.sock"), "test").toCompletionStage()
        .handle((ok, failure) -> failure).toCompletableFuture().get(5, TimeUnit.SECONDS);
      assertInstanceOf(InvalidTenantException.class, e instanceof java.util.concurrent.CompletionException
        ? e.getCause() : e);
      assertNull(registry.snapshot().tenant("other"));
    } finally {
      registry.close();
    }
  }
}
