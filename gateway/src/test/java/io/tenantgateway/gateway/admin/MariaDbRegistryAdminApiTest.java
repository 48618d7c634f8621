package io.tenantgateway.gateway.admin;

import io.tenantgateway.gateway.Gateway;
import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.testing.RawHttp;
import io.tenantgateway.gateway.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin API over the MariaDB registry (a fresh database of the test server), plus what only a
 * shared database can show: a second gateway on the same database routes a tenant created through
 * the first within 2 s, and every write is in the change log with its actor.
 */
class MariaDbRegistryAdminApiTest extends AdminApiContractTest {

  private TestDatabase database;
  private Map<String, String> settings;

  @Override
  protected Map<String, String> registrySettings(Path workDir) {
    database = TestDatabase.create();
    settings = Map.of("GATEWAY_REGISTRY", "mariadb", "GATEWAY_DB_URL", database.jdbcUrl(),
      "GATEWAY_DB_USER", database.user(), "GATEWAY_DB_PASSWORD", "", "GATEWAY_REGISTRY_POLL_MS", "500");
    return settings;
  }

  @AfterAll
  void dropDatabase() {
    if (database != null) {
      database.close();
    }
  }

  @Test
  void aTenantCreatedOnOneGatewayRoutesOnAnotherWithinTwoSeconds() throws Exception {
    Map<String, String> env = new HashMap<>(settings);
    env.putAll(Map.of("GATEWAY_CONFIG", "../conf/gateway.yaml", "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0", "GATEWAY_ADMIN_PORT", "0", "GATEWAY_ADMIN_TOKEN", TOKEN,
      "GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf", "GATEWAY_RUN_DIR", work.resolve("run2").toString()));
    Gateway second = Gateway.start(GatewayConfig.load(env)).await(30, TimeUnit.SECONDS);
    try {
      assertEquals(404, RawHttp.get(second.httpPort(), "shared.admin.test", "/hello.txt").status());
      create(tenant("shared"));
      long created = System.nanoTime();
      RawHttp.Response seen;
      do {
        seen = RawHttp.get(second.httpPort(), "shared.admin.test", "/hello.txt");
        if (seen.status() != 200) {
          Thread.sleep(20);
        }
      } while (seen.status() != 200 && System.nanoTime() - created < TimeUnit.SECONDS.toNanos(2));
      assertEquals(200, seen.status(), "routed by the second gateway within 2 s");
      assertEquals("hello from shared\n", seen.text());

      AdminClient secondAdmin = new AdminClient(second.adminPort(), TOKEN);
      assertEquals(204, secondAdmin.delete("/v1/tenants/shared", null).status());
      assertEquals(404, RawHttp.get(second.httpPort(), "shared.admin.test", "/hello.txt").status(),
        "deleted through the second: gone there at once");
      long deleted = System.nanoTime();
      while (RawHttp.get(gateway.httpPort(), "shared.admin.test", "/hello.txt").status() != 404) {
        assertTrue(System.nanoTime() - deleted < TimeUnit.SECONDS.toNanos(2), "gone on the first within 2 s");
        Thread.sleep(20);
      }
    } finally {
      second.stop().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void everyWriteIsInTheChangeLogWithItsActor() throws Exception {
    create(tenant("logged"));
    assertEquals(204, admin.delete("/v1/tenants/logged", null).status());
    try (var connection = database.connect(); Statement statement = connection.createStatement();
         ResultSet rows = statement.executeQuery(
           "SELECT action, actor FROM tenant_changes WHERE tenant_id = 'logged' ORDER BY id")) {
      assertTrue(rows.next());
      assertEquals("create", rows.getString(1));
      assertTrue(rows.getString(2).startsWith("admin@127.0.0.1"), rows.getString(2));
      assertTrue(rows.next());
      assertEquals("delete", rows.getString(1));
    }
  }
}
