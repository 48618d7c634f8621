package io.tenantgateway.gateway;

import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.testing.RawHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Limits and isolation of managed pools, on the real machine: per-tenant users (the test suite runs
 * as root, as bin/test does in CI) and cgroup limits.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class IsolationGatewayTest {

  private Path work;
  private Gateway gateway;
  private int port;

  @BeforeAll
  void start() throws Exception {
    assertEquals("root", System.getProperty("user.name"), "bin/test runs the suite as root (per-tenant users)");
    work = Files.createTempDirectory("gw-isolation");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path hungry = site("hungry", Map.of(
      "eat.php", "<?php $a = []; for ($i = 0; $i < 400; $i++) { $a[] = str_repeat('x', 1 << 20); } echo 'ate';",
      "ok.php", "<?php echo 'ok';",
      "sleep.php", "<?php file_put_contents(sys_get_temp_dir() . '/sleeping', '1'); sleep(10); echo 'late';"));
    Path forks = site("forks", Map.of("fork.php", "<?php $n = 0; $p = [];\n"
      + "for ($i = 0; $i < 60; $i++) { $h = @proc_open('sleep 5', [], $pipes); if ($h === false) break; $p[] = $h; $n++; }\n"
      + "$why = error_get_last()['message'] ?? 'no error';\n"
      + "foreach ($p as $h) { proc_terminate($h, 9); proc_close($h); }\necho $n, ' ', $why;"));
    Path other = site("other", Map.of("ok.php", "<?php echo 'other ok';", "secret.txt", "other's secret"));
    Path snoop = site("snoop", Map.of("read.php", "<?php echo shell_exec('cat ' . escapeshellarg($_GET['f']) . ' 2>&1');",
      "mine.txt", "snoop's own",
      "connect.php", "<?php $c = @stream_socket_client('unix://' . $_GET['s'], $no, $err, 2);"
      + " echo $c === false ? 'denied: ' . $err . ' ' . (error_get_last()['message'] ?? '') : 'connected';"));
    Path tenants = work.resolve("tenants.yaml");
    Files.writeString(tenants, "tenants:\n"
      + tenant("hungry", hungry, "limits: { memory_mb: 64 }", "ini: { memory_limit: \"-1\" }")
      + tenant("forks", forks, "limits: { pids: 16 }", "")
      + tenant("other", other, "", "")
      + tenant("snoop", snoop, "", ""));
    gateway = Gateway.start(GatewayConfig.load(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_REGISTRY_FILE", tenants.toString(),
      "GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf",
      "GATEWAY_RUN_DIR", work.resolve("run").toString()))).await(30, TimeUnit.SECONDS);
    port = gateway.httpPort();
  }

  @AfterAll
  void stop() throws Exception {
    if (gateway != null) {
      gateway.stop().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void scriptOverTheMemoryLimitIsKilledAndTheTenantRecoversWhileOthersServe() throws Exception {
    assertEquals("other ok", RawHttp.get(port, "other.test", "/ok.php").text());
    RawHttp.Response eaten = RawHttp.get(port, "hungry.test", "/eat.php");
    assertEquals(502, eaten.status(), "the worker is OOM-killed by the cgroup, not allowed 400 MB: " + eaten.text());
    assertEquals("other ok", RawHttp.get(port, "other.test", "/ok.php").text());
    assertEquals("ok", RawHttp.get(port, "hungry.test", "/ok.php").text(), "the tenant serves again");
  }

  @Test
  void killingAPoolMidTrafficFailsOnlyItsInFlightRequestsAndItRestarts() throws Exception {
    assertEquals("other ok", RawHttp.get(port, "other.test", "/ok.php").text());
    assertEquals("ok", RawHttp.get(port, "hungry.test", "/ok.php").text());
    long master = gateway.pools().statuses().stream().filter(s -> s.tenant().equals("hungry")).findFirst()
      .orElseThrow().pid();
    java.util.concurrent.CompletableFuture<RawHttp.Response> inFlight = java.util.concurrent.CompletableFuture
      .supplyAsync(() -> {
        try {
          return RawHttp.get(port, "hungry.test", "/sleep.php");
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
    Path marker = work.resolve("run/pools/hungry/tmp/sleeping");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!Files.exists(marker)) {
      assertTrue(System.nanoTime() < deadline, "the slow request started");
      Thread.sleep(10);
    }
    assertTrue(master > 1, "a master to kill: " + master);
    new ProcessBuilder("kill", "-9", Long.toString(master)).start().waitFor();
    assertEquals(502, inFlight.get(20, TimeUnit.SECONDS).status(), "the in-flight request fails, it does not hang");
    assertEquals("other ok", RawHttp.get(port, "other.test", "/ok.php").text(), "other tenants never notice");
    long crashDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (gateway.pools().statuses().stream().filter(s -> s.tenant().equals("hungry")).findFirst().orElseThrow()
      .state() == io.tenantgateway.provisioner.PoolState.RUNNING) {
      assertTrue(System.nanoTime() < crashDeadline, "the gateway noticed the crash");
      Thread.sleep(5);
    }
    RawHttp.Response again = RawHttp.get(port, "hungry.test", "/ok.php");
    assertEquals("ok", again.text(), "the next request restarts the pool");
    long restarted = gateway.pools().statuses().stream().filter(s -> s.tenant().equals("hungry")).findFirst()
      .orElseThrow().pid();
    assertTrue(restarted > 0 && restarted != master);
  }

  @Test
  void processesStopAtThePidsLimit() throws Exception {
    RawHttp.Response r = RawHttp.get(port, "forks.test", "/fork.php");
    assertEquals(200, r.status(), r.text());
    String[] answer = r.text().trim().split(" ", 2);
    int started = Integer.parseInt(answer[0]);
    assertTrue(started > 0 && started < 16, "some children, then the limit: " + r.text());
    assertTrue(answer[1].contains("Fork failed: Resource temporarily unavailable"), "the loop stopped because fork failed at pids.max: " + r.text());
  }

  @Test
  void aTenantCannotReadAnotherTenantsFilesOrConnectToItsPool() throws Exception {
    assertEquals("other ok", RawHttp.get(port, "other.test", "/ok.php").text());
    Path secret = work.resolve("other/public/secret.txt");
    assertEquals("snoop's own", RawHttp.get(port, "snoop.test", "/read.php?f=" + work.resolve("snoop/public/mine.txt"))
      .text(), "the shell, which open_basedir does not limit, reads the tenant's own files");
    String read = RawHttp.get(port, "snoop.test", "/read.php?f=" + secret).text();
    assertTrue(read.contains("No such file") || read.contains("Permission denied"), "the read was tried and refused by "
      + "the kernel (namespaces: not mounted; users-only: permissions): " + read);
    Path otherSocket = work.resolve("run/pools/other/php.sock");
    assertTrue(Files.exists(otherSocket));
    String connect = RawHttp.get(port, "snoop.test", "/connect.php?s=" + otherSocket).text();
    assertTrue(connect.startsWith("denied") && !connect.contains("open_basedir")
      && (connect.contains("No such file") || connect.contains("Permission denied")), "refused by the kernel: " + connect);
  }

  private Path site(String id, Map<String, String> files) throws Exception {
    Path dir = Files.createDirectories(work.resolve(id).resolve("public"));
    Files.setPosixFilePermissions(dir.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    for (Map.Entry<String, String> file : files.entrySet()) {
      Path path = dir.resolve(file.getKey());
      Files.writeString(path, file.getValue());
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-r--r--"));
    }
    if (id.equals("other")) {
      String user = io.tenantgateway.provisioner.impl.TenantIdentity.detect(
        io.tenantgateway.provisioner.ProvisionerOptions.DEFAULT_UID_MIN,
        io.tenantgateway.provisioner.ProvisionerOptions.DEFAULT_UID_MAX).userFor("other").name();
      new ProcessBuilder("chown", "-R", user + ":" + user, dir.getParent().toString()).start().waitFor();
      Files.setPosixFilePermissions(dir.getParent(), PosixFilePermissions.fromString("rwxr-x---"));
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-x---"));
      Files.setPosixFilePermissions(dir.resolve("secret.txt"), PosixFilePermissions.fromString("rw-r-----"));
    }
    return dir;
  }

  private static String tenant(String id, Path docroot, String limits, String ini) {
    return "  - id: " + id + "\n    domains: [\"" + id + ".test\"]\n    docroot: \"" + docroot + "\"\n"
      + "    php: { max_children: 2" + (ini.isEmpty() ? "" : ", " + ini) + " }\n"
      + (limits.isEmpty() ? "" : "    " + limits + "\n");
  }
}
