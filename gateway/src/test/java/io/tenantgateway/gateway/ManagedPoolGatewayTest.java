package io.tenantgateway.gateway;

import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.testing.RawHttp;
import io.tenantgateway.provisioner.PoolState;
import io.tenantgateway.provisioner.PoolStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tenant without a backend: the gateway starts its pool on the first request, holds the requests
 * that arrive meanwhile, and stops the pool when the gateway stops.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ManagedPoolGatewayTest {

  private static PoolStatus brief(Gateway gateway) {
    return gateway.pools().statuses().stream().filter(s -> s.tenant().equals("brief")).findFirst().orElseThrow();
  }

  @Test
  void coldTenantIsStartedOnceForConcurrentRequestsAndStoppedWithTheGateway() throws Exception {
    Path work = Files.createTempDirectory("gw-managed");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path docroot = Files.createDirectories(work.resolve("public"));
    Files.setPosixFilePermissions(docroot, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(docroot.resolve("pid.php"), "<?php echo posix_getppid();\n");
    Files.setPosixFilePermissions(docroot.resolve("pid.php"), PosixFilePermissions.fromString("rw-r--r--"));
    Path tenants = work.resolve("tenants.yaml");
    Files.writeString(tenants, "tenants:\n  - id: cold\n    domains: [\"cold.test\"]\n    docroot: \"" + docroot
      + "\"\n    php: { max_children: 3, idle_timeout_s: 60 }\n"
      + "  - id: brief\n    domains: [\"brief.test\"]\n    docroot: \"" + docroot
      + "\"\n    php: { max_children: 2, idle_timeout_s: 1 }\n");
    Gateway gateway = Gateway.start(GatewayConfig.load(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_REGISTRY_FILE", tenants.toString(),
      "GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf",
      "GATEWAY_RUN_DIR", work.resolve("run").toString()))).await(30, TimeUnit.SECONDS);
    long masterPid;
    try {
      assertNotNull(gateway.pools(), "php-fpm is installed by bin/test");
      int port = gateway.httpPort();
      ExecutorService clients = Executors.newFixedThreadPool(20);
      Set<String> masters = new HashSet<>();
      try {
        List<Future<RawHttp.Response>> responses = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          responses.add(clients.submit(() -> RawHttp.get(port, "cold.test", "/pid.php")));
        }
        for (Future<RawHttp.Response> response : responses) {
          RawHttp.Response r = response.get(30, TimeUnit.SECONDS);
          assertEquals(200, r.status(), r.text());
          masters.add(r.text().trim());
        }
      } finally {
        clients.shutdownNow();
      }
      assertEquals(1, masters.size(), "one activation served every waiting request: " + masters);
      PoolStatus status = gateway.pools().statuses().stream().filter(s -> s.tenant().equals("cold")).findFirst()
        .orElseThrow();
      assertEquals(PoolState.RUNNING, status.state());
      masterPid = status.pid();
      assertEquals("2", masters.iterator().next(), "the master is PID 2 of the pool's own PID namespace");
      assertTrue(masterPid > 2, "the status names the master's pid on the host: " + masterPid);
      assertEquals(20, status.requests());

      assertEquals(200, RawHttp.get(port, "brief.test", "/pid.php").status());
      long first = brief(gateway).pid();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
      while (brief(gateway).state() != PoolState.STOPPED) {
        assertTrue(System.nanoTime() < deadline, "idle pool stopped before the 10 s stop grace: the gateway closed "
          + "its kept-alive connections; state " + brief(gateway).state());
        Thread.sleep(20);
      }
      RawHttp.Response again = RawHttp.get(port, "brief.test", "/pid.php");
      assertEquals(200, again.status());
      assertNotEquals(first, brief(gateway).pid(), "a new master after the idle stop");
    } finally {
      gateway.stop().await(30, TimeUnit.SECONDS);
    }
    assertFalse(ProcessHandle.of(masterPid).map(ProcessHandle::isAlive).orElse(false),
      "the pool is stopped with the gateway");
  }
}
