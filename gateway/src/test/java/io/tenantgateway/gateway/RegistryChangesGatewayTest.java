package io.tenantgateway.gateway;

import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.registry.StoredTenant;
import io.tenantgateway.gateway.testing.RawHttp;
import io.tenantgateway.provisioner.PoolState;
import io.tenantgateway.provisioner.PoolStatus;
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
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Registry changes reach the running pools: changed pool settings restart a running pool gracefully,
 * a disabled or removed tenant's pool is stopped, and a hand edit of the tenants file does the same
 * as an API write.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RegistryChangesGatewayTest {

  private Path work;
  private Path tenants;
  private Path docroot;
  private Gateway gateway;

  @BeforeEach
  void start() throws Exception {
    work = Files.createTempDirectory("gw-registry");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    docroot = Files.createDirectories(work.resolve("public"));
    Files.setPosixFilePermissions(docroot, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(docroot.resolve("pid.php"), "<?php echo getmypid(), ' ', posix_getppid(), ' ', "
      + "ini_get('memory_limit');\n");
    Files.setPosixFilePermissions(docroot.resolve("pid.php"), PosixFilePermissions.fromString("rw-r--r--"));
    tenants = work.resolve("tenants.yaml");
    Files.writeString(tenants, "tenants:\n" + tenantYaml("alpha", "64M") + tenantYaml("beta", "64M"));
    gateway = Gateway.start(GatewayConfig.load(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_REGISTRY_FILE", tenants.toString(),
      "GATEWAY_REGISTRY_POLL_MS", "200",
      "GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf",
      // users-only: the test compares the pids PHP reports with the host's
      "GATEWAY_POOL_ISOLATION", "users-only",
      "GATEWAY_RUN_DIR", work.resolve("run").toString()))).await(30, TimeUnit.SECONDS);
    assertNotNull(gateway.pools(), "php-fpm is installed by bin/test");
  }

  @AfterEach
  void stop() throws Exception {
    gateway.stop().await(30, TimeUnit.SECONDS);
  }

  private String tenantYaml(String id, String memoryLimit) {
    return "  - id: " + id + "\n    domains: [\"" + id + ".test\"]\n    docroot: \"" + docroot + "\"\n"
      + "    php: { max_children: 2, ini: { memory_limit: \"" + memoryLimit + "\" } }\n";
  }

  private String[] served(String id) throws Exception {
    RawHttp.Response response = RawHttp.get(gateway.httpPort(), id + ".test", "/pid.php");
    assertEquals(200, response.status(), response.text());
    return response.text().trim().split(" ");
  }

  private PoolStatus pool(String id) {
    return gateway.pools().status(id);
  }

  @Test
  void changedSettingsRestartTheRunningPoolAndLeaveOthersAlone() throws Exception {
    String alphaMaster = served("alpha")[1];
    String betaMaster = served("beta")[1];
    StoredTenant alpha = gateway.registry().snapshot().tenant("alpha");
    JsonObject changed = alpha.tenant().toJson();
    changed.getJsonObject("php").getJsonObject("ini").put("memory_limit", "96M");
    gateway.registry().replace("alpha", changed, alpha.version(), "test").await(10, TimeUnit.SECONDS);

    waitFor(() -> pool("alpha").state() == PoolState.RUNNING && !String.valueOf(pool("alpha").pid()).equals(alphaMaster),
      "alpha restarted with a new master");
    String[] after = served("alpha");
    assertEquals("96M", after[2], "the new settings are in force");
    assertNotEquals(alphaMaster, after[1]);
    assertEquals(betaMaster, served("beta")[1], "another tenant's pool is not touched");
  }

  @Test
  void disabledAndRemovedTenantsLoseTheirPools() throws Exception {
    long alphaMaster = Long.parseLong(served("alpha")[1]);
    long betaMaster = Long.parseLong(served("beta")[1]);
    StoredTenant alpha = gateway.registry().snapshot().tenant("alpha");
    gateway.registry().replace("alpha", alpha.tenant().toJson().put("enabled", false), null, "test")
      .await(10, TimeUnit.SECONDS);
    waitFor(() -> pool("alpha").state() == PoolState.STOPPED, "disabled tenant's pool stopped");
    assertFalse(ProcessHandle.of(alphaMaster).map(ProcessHandle::isAlive).orElse(false));
    assertEquals(503, RawHttp.get(gateway.httpPort(), "alpha.test", "/pid.php").status());

    Files.writeString(tenants, "tenants:\n" + tenantYaml("alpha", "64M"));
    waitFor(() -> gateway.registry().snapshot().tenant("beta") == null, "hand edit picked up");
    waitFor(() -> pool("beta") == null, "removed tenant's pool stopped and forgotten");
    assertFalse(ProcessHandle.of(betaMaster).map(ProcessHandle::isAlive).orElse(false));
    assertEquals(404, RawHttp.get(gateway.httpPort(), "beta.test", "/pid.php").status());
    assertEquals(200, RawHttp.get(gateway.httpPort(), "alpha.test", "/pid.php").status(), "re-enabled by the edit");
  }

  private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 15_000;
    while (!condition.getAsBoolean()) {
      assertTrue(System.currentTimeMillis() < deadline, what + ": not within 15 s");
      Thread.sleep(50);
    }
  }
}
