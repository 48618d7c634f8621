package io.tenantgateway.gateway.admin;

import io.tenantgateway.gateway.observe.GatewayMetrics;
import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.registry.FileTenantStore;
import io.tenantgateway.gateway.registry.TenantRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A gateway whose managed pools are unavailable (no usable php-fpm): tenants are still managed, pool
 * endpoints answer 503 and a tenant's pool reads as null.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminWithoutPoolsTest {

  private Vertx vertx;
  private TenantRegistry registry;
  private AdminServer server;
  private AdminClient admin;
  private Path work;

  @BeforeAll
  void start() throws Exception {
    work = Files.createTempDirectory("gw-admin-nopools");
    Path tenants = work.resolve("tenants.yaml");
    Files.writeString(tenants, "tenants: []\n");
    GatewayConfig config = GatewayConfig.load(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_ADMIN_TOKEN", "no-pools",
      "GATEWAY_REGISTRY_FILE", tenants.toString(),
      "GATEWAY_RUN_DIR", work.resolve("run").toString()));
    vertx = Vertx.vertx();
    registry = TenantRegistry.open(vertx, new FileTenantStore(tenants), 1000,
      new io.tenantgateway.gateway.registry.BackendPolicy(java.util.List.of(), java.nio.file.Path.of("run")));
    server = AdminServer.start(vertx, config, registry, null, new GatewayMetrics()).await(30, TimeUnit.SECONDS);
    admin = new AdminClient(server.port(), "no-pools");
  }

  @AfterAll
  void stop() throws Exception {
    server.close().await(30, TimeUnit.SECONDS);
    registry.close();
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  void poolEndpointsAnswer503AndTenantsStillWork() throws Exception {
    Path docroot = Files.createDirectories(work.resolve("site"));
    AdminClient.Reply created = admin.post("/v1/tenants", new JsonObject().put("id", "managed")
      .put("domains", new JsonArray().add("managed.test")).put("docroot", docroot.toString()));
    assertEquals(201, created.status(), created.toString());
    AdminClient.Reply read = admin.get("/v1/tenants/managed");
    assertEquals(200, read.status());
    assertTrue(read.json().containsKey("pool"));
    assertNull(read.json().getValue("pool"));

    for (String action : List.of("start", "stop", "restart")) {
      AdminClient.Reply refused = admin.post("/v1/tenants/managed/" + action, null);
      assertEquals(503, refused.status(), action + ": " + refused);
      assertTrue(refused.error().startsWith("managed pools unavailable: "), refused.error());
    }
    AdminClient.Reply pools = admin.get("/v1/pools");
    assertEquals(503, pools.status());
    assertTrue(pools.error().startsWith("managed pools unavailable: "));
    assertEquals(404, admin.post("/v1/tenants/nobody/start", null).status(), "unknown tenant first");
    assertEquals(204, admin.delete("/v1/tenants/managed", null).status(), "delete needs no pools");
  }
}
