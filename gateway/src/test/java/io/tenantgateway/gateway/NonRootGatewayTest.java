package io.tenantgateway.gateway;

import io.tenantgateway.gateway.testing.GatewayProcess;
import io.tenantgateway.gateway.testing.RawHttp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway run by an unprivileged user, as on a host where it is not root: the start-up log says
 * that tenants are not isolated, pools run as the gateway's own user (no user switch, no cgroups),
 * start on demand, stop when idle, and stop with the gateway on SIGTERM. The test suite runs as root,
 * so this starts the real gateway in a child JVM through {@code setpriv} as a system user.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NonRootGatewayTest {

  private static final String USER = "tgw-unprivileged";

  private Path work;
  private GatewayProcess gateway;

  @BeforeEach
  void setUp() throws Exception {
    assertEquals("root", System.getProperty("user.name"), "bin/test runs the suite as root (it installs php-fpm)");
    run("sh", "-c", "id -u " + USER + " >/dev/null 2>&1 || useradd --system --no-create-home --shell "
      + "/usr/sbin/nologin " + USER);
    work = Files.createTempDirectory("gw-nonroot");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
    GatewayProcess.processesUnder(work).forEach(ProcessHandle::destroyForcibly);
    run("rm", "-rf", work.toString());
  }

  @Test
  void poolsRunAsTheGatewaysOwnUserAndStillStartAndStopOnDemand() throws Exception {
    Path docroot = Files.createDirectories(work.resolve("public"));
    Files.writeString(docroot.resolve("who.php"), "<?php echo posix_geteuid(), ' ', getmypid(), ' ', "
      + "posix_getppid();\n");
    Path tenants = work.resolve("tenants.yaml");
    Files.writeString(tenants, "tenants:\n  - id: plain\n    domains: [\"plain.test\"]\n    docroot: \"" + docroot
      + "\"\n    php: { max_children: 2, idle_timeout_s: 1 }\n");
    Path conf = Files.createDirectories(work.resolve("conf"));
    Files.copy(Path.of("../conf/gateway.yaml"), conf.resolve("gateway.yaml"));
    Files.copy(Path.of("../conf/php-fpm-pool.conf"), conf.resolve("php-fpm-pool.conf"));
    Files.createDirectories(work.resolve("run"));
    run("chown", "-R", USER + ":", work.resolve("run").toString(), tenants.toString());
    int port = GatewayProcess.freePort();
    gateway = GatewayProcess.start(work, Map.of(
      "GATEWAY_CONFIG", conf.resolve("gateway.yaml").toString(),
      "GATEWAY_POOL_TEMPLATE", conf.resolve("php-fpm-pool.conf").toString(),
      "GATEWAY_REGISTRY_FILE", tenants.toString(),
      "GATEWAY_RUN_DIR", work.resolve("run").toString(),
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", Integer.toString(port),
      "GATEWAY_ADMIN_PORT", Integer.toString(GatewayProcess.freePort())), USER);
    assertTrue(gateway.process().isAlive(), gateway.logText());
    assertTrue(gateway.logText().contains("not root: every pool runs as the gateway's own user"), gateway.logText());

    long uid = Long.parseLong(run("id", "-u", USER).trim());
    RawHttp.Response first = RawHttp.get(port, "plain.test", "/who.php");
    assertEquals(200, first.status(), first.text() + gateway.logText());
    String[] who = first.text().trim().split(" ");
    assertEquals(Long.toString(uid), who[0], "PHP runs as the gateway's own user");
    long master = Long.parseLong(who[2]);
    assertEquals(USER, ProcessHandle.of(master).orElseThrow().info().user().orElse(""), "master too, no switch");

    gateway.waitFor(() -> !ProcessHandle.of(master).map(ProcessHandle::isAlive).orElse(false), 30, "idle stop");
    RawHttp.Response again = RawHttp.get(port, "plain.test", "/who.php");
    assertEquals(200, again.status(), again.text());
    long secondMaster = Long.parseLong(again.text().trim().split(" ")[2]);
    assertTrue(secondMaster != master, "started again on demand");

    gateway.signal("TERM");
    assertTrue(gateway.process().waitFor(30, TimeUnit.SECONDS), "SIGTERM stops the gateway");
    assertFalse(ProcessHandle.of(secondMaster).map(ProcessHandle::isAlive).orElse(false),
      "SIGTERM stopped the pool too");
    assertEquals(List.of(), GatewayProcess.processesUnder(work.resolve("run")), "no php-fpm left");
  }

  private static String run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes());
    assertEquals(0, process.waitFor(), String.join(" ", command) + ": " + out);
    return out;
  }
}
