package io.tenantgateway.gateway;

import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.testing.RawHttp;
import io.tenantgateway.provisioner.PoolState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code max_active_pools}: one more pool stops the least recently used idle one; when none is idle
 * the request is refused with 503 instead of waiting.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PoolCapacityGatewayTest {

  @Test
  void theLeastRecentlyUsedIdlePoolMakesRoomAndBusyPoolsAreNeverEvicted() throws Exception {
    Path work = Files.createTempDirectory("gw-capacity");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path docroot = Files.createDirectories(work.resolve("public"));
    Files.setPosixFilePermissions(docroot, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(docroot.resolve("ok.php"), "<?php echo 'ok';");
    Files.writeString(docroot.resolve("slow.php"), "<?php usleep(1500000); echo 'slow';");
    for (String f : new String[] {"ok.php", "slow.php"}) {
      Files.setPosixFilePermissions(docroot.resolve(f), PosixFilePermissions.fromString("rw-r--r--"));
    }
    StringBuilder tenants = new StringBuilder("tenants:\n");
    for (String id : new String[] {"x1", "x2", "x3"}) {
      tenants.append("  - id: ").append(id).append("\n    domains: [\"").append(id).append(".test\"]\n")
        .append("    docroot: \"").append(docroot).append("\"\n    php: { max_children: 2, idle_timeout_s: 60 }\n");
    }
    Files.writeString(work.resolve("tenants.yaml"), tenants);
    Gateway gateway = Gateway.start(GatewayConfig.load(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_REGISTRY_FILE", work.resolve("tenants.yaml").toString(),
      "GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf",
      "GATEWAY_MAX_ACTIVE_POOLS", "2",
      "GATEWAY_RUN_DIR", work.resolve("run").toString()))).await(30, TimeUnit.SECONDS);
    try {
      int port = gateway.httpPort();
      assertEquals("ok", RawHttp.get(port, "x1.test", "/ok.php").text());
      assertEquals("ok", RawHttp.get(port, "x2.test", "/ok.php").text());
      assertEquals("ok", RawHttp.get(port, "x3.test", "/ok.php").text());
      waitForState(gateway, "x1", PoolState.STOPPED);
      assertEquals(PoolState.RUNNING, state(gateway, "x2"));
      assertEquals(PoolState.RUNNING, state(gateway, "x3"));

      CompletableFuture<RawHttp.Response> busy2 = CompletableFuture.supplyAsync(() -> get(port, "x2.test"));
      CompletableFuture<RawHttp.Response> busy3 = CompletableFuture.supplyAsync(() -> get(port, "x3.test"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (gateway.pools().statuses().stream().filter(s -> !s.tenant().equals("x1"))
        .mapToLong(s -> s.requests()).sum() < 4) {
        assertTrue(System.nanoTime() < deadline, "slow requests in flight");
        Thread.sleep(10);
      }
      RawHttp.Response refused = RawHttp.get(port, "x1.test", "/ok.php");
      assertEquals(503, refused.status(), "no idle pool to stop");
      assertEquals("5", refused.header("Retry-After"));
      assertEquals("slow", busy2.get(10, TimeUnit.SECONDS).text());
      assertEquals("slow", busy3.get(10, TimeUnit.SECONDS).text());
      assertEquals("ok", RawHttp.get(port, "x1.test", "/ok.php").text(), "room again once a pool is idle");
    } finally {
      gateway.stop().await(30, TimeUnit.SECONDS);
    }
  }

  private static RawHttp.Response get(int port, String host) {
    try {
      return RawHttp.get(port, host, "/slow.php");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static PoolState state(Gateway gateway, String id) {
    return gateway.pools().statuses().stream().filter(s -> s.tenant().equals(id)).findFirst().orElseThrow().state();
  }

  private static void waitForState(Gateway gateway, String id, PoolState wanted) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (state(gateway, id) != wanted) {
      assertTrue(System.nanoTime() < deadline, id + " never reached " + wanted + ", is " + state(gateway, id));
      Thread.sleep(20);
    }
  }
}
