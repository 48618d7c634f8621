package io.tenantgateway.gateway.escape;

import io.tenantgateway.gateway.Gateway;
import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.testing.RawHttp;
import io.tenantgateway.provisioner.PoolStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The hostile tenant, played against real pools with the gateway as root: tenant {@code evil}
 * runs shell commands (its PHP's {@code shell_exec}, which {@code open_basedir} does not limit)
 * against the gateway's files and the other tenant {@code victim}. Each attack is run, its
 * result asserted, then the gateway is made to act (restart the pool, restart the gateway) and
 * nothing outside the tenant may have changed. Subclasses run it under each isolation.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class HostileTenantTest {

  private final String isolation;
  Path work;
  Path run;
  private Gateway gateway;
  private Path target;
  private Path targetDir;

  HostileTenantTest(String isolation) {
    this.isolation = isolation;
  }

  @BeforeAll
  void start() throws Exception {
    assertEquals("root", System.getProperty("user.name"), "bin/test runs the suite as root (per-tenant users)");
    work = Files.createTempDirectory("gw-hostile");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    run = work.resolve("run");
    site("evil", Map.of("sh.php", "<?php echo shell_exec($_GET['c'] . ' 2>&1');"));
    site("victim", Map.of("ok.php", "<?php echo 'victim ok';",
      "session.php", "<?php session_start(); $_SESSION['secret'] = 'victim-session'; echo session_id();",
      "secret.txt", "victim's secret"));
    target = work.resolve("root-only.txt");
    Files.writeString(target, "untouched");
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-------"));
    targetDir = Files.createDirectory(work.resolve("root-only-dir"));
    Files.setPosixFilePermissions(targetDir, PosixFilePermissions.fromString("rwx------"));
    Files.writeString(work.resolve("tenants.yaml"), "tenants:\n" + tenant("evil") + tenant("victim") + moreTenants());
    gateway = startGateway();
  }

  private Gateway startGateway() throws Exception {
    return Gateway.start(GatewayConfig.load(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_REGISTRY_FILE", work.resolve("tenants.yaml").toString(),
      "GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf",
      "GATEWAY_POOL_ISOLATION", isolation,
      "GATEWAY_RUN_DIR", run.toString()))).await(30, TimeUnit.SECONDS);
  }

  @AfterAll
  void stop() throws Exception {
    if (gateway != null) {
      gateway.stop().await(30, TimeUnit.SECONDS);
    }
  }

  /** @return the command's output, run by the evil tenant's PHP */
  String shell(String command) throws Exception {
    RawHttp.Response r = RawHttp.get(gateway.httpPort(), "evil.test",
      "/sh.php?c=" + URLEncoder.encode(command, StandardCharsets.UTF_8));
    assertEquals(200, r.status(), r.text());
    return r.text();
  }

  Gateway gateway() {
    return gateway;
  }

  int gatewayPort() {
    return gateway.httpPort();
  }

  String victim(String path) throws Exception {
    return RawHttp.get(gateway.httpPort(), "victim.test", path).text();
  }

  PoolStatus status(String tenant) {
    return gateway.pools().statuses().stream().filter(s -> s.tenant().equals(tenant)).findFirst().orElseThrow();
  }

  /**
   * The request-body spool is root's: the tenant can neither list it nor plant a file or a link
   * there, and a spooled upload (over 64 KiB) writes nothing through what it tried.
   */
  @Test
  void theBodySpoolIsOutOfTheTenantsReach() throws Exception {
    Path spool = run.resolve("spool");
    String tried = shell("ls " + spool + "; touch " + spool + "/planted; ln -s " + target + " " + spool
      + "/body-1-1; ls " + spool);
    assertTrue(tried.contains("Permission denied") || tried.contains("No such file"), "refused: " + tried);
    try (var listing = Files.list(spool)) {
      assertEquals(0, listing.count(), "nothing planted in the spool");
    }
    byte[] body = new byte[200 * 1024];
    try (RawHttp http = new RawHttp(gatewayPort())) {
      http.send(("POST /sh.php?c=true HTTP/1.1\r\nHost: evil.test\r\nContent-Type: application/octet-stream\r\n"
        + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      http.send(body);
      assertEquals(200, http.read(false).status(), "the spooled upload is served");
    }
    assertEquals("untouched", Files.readString(target), "nothing written through a planted name");
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(spool)));
  }

  @Test
  void symlinksPlantedForEveryPoolFileAreNeverFollowedByRoot() throws Exception {
    Path pool = run.resolve("pools/evil");
    shell("true");
    String planted = shell(String.join("; ",
      "for f in php-fpm.conf php-fpm.conf.next php.sock php-fpm.pid master.log error.log tmp; do"
        + " rm -rf " + pool + "/$f; ln -sfn " + target + " " + pool + "/$f; [ -L " + pool + "/$f ] && echo planted-$f;"
        + " done",
      "mv " + pool + "/tmp " + pool + "/tmp.old && echo planted-moved-tmp",
      "mkfifo " + pool + "/fifo && echo planted-fifo",
      "echo done"));
    assertFalse(planted.contains("planted-"), "the tenant can write into the gateway's pool directory: " + planted);
    long before = status("evil").pid();
    kill9(before);
    awaitState("evil", io.tenantgateway.provisioner.PoolState.CRASHED);
    assertEquals("", shell("true"), "the next request restarts the pool");
    assertNotEquals(before, status("evil").pid());
    assertUntouched();
  }

  @Test
  void theTenantsTmpDirIsItsOwnAndARestartNeverEntersIt() throws Exception {
    Path tmp = run.resolve("pools/evil/tmp");
    String out = shell("ln -s " + target + " " + tmp + "/slow.log; ln -s " + targetDir + " " + tmp + "/sub;"
      + " mkfifo " + tmp + "/fifo; ls " + tmp);
    assertTrue(out.contains("slow.log"), out);
    gateway.pools().stop("evil").toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertEquals("", shell("true"));
    assertUntouched();
    assertEquals("evil", Files.getOwner(tmp, LinkOption.NOFOLLOW_LINKS).getName().substring(3));
  }

  @Test
  void aForgedPidFileNeverMakesTheGatewaySignalAnotherProcess() throws Exception {
    Process bystander = new ProcessBuilder("bash", "-c", "exec -a php-fpm-bystander sleep 300").start();
    try {
      String pid = Long.toString(bystander.pid());
      // a daemon that keeps writing the bystander's pid wherever a pid file could be, across the restart
      shell("setsid sh -c 'for i in $(seq 500); do for f in " + run.resolve("pools/evil") + "/php-fpm.pid "
        + run.resolve("pools/evil/tmp") + "/php-fpm.pid; do echo " + pid + " > $f; done; sleep 0.01; done'"
        + " < /dev/null > /dev/null 2>&1 &");
      gateway.stop().await(30, TimeUnit.SECONDS);
      gateway = startGateway();
      assertEquals("victim ok", victim("/ok.php"));
      assertTrue(bystander.isAlive(), "the gateway signalled the pid the tenant wrote");
    } finally {
      bystander.destroyForcibly();
    }
  }

  @Test
  void aStoppedPoolLeavesNoProcessBehindNotEvenADoubleForkedDaemon() throws Exception {
    String out = shell("setsid sh -c 'sleep 600 & echo daemon-$!' < /dev/null > " + run.resolve("pools/evil/tmp")
      + "/daemon.out 2>&1 & sleep 0.3; cat " + run.resolve("pools/evil/tmp") + "/daemon.out");
    assertTrue(out.contains("daemon-"), out);
    long daemons = sleepers("evil");
    if (daemons < 1) {
      fail("the daemon runs: " + out + shell("ps -ef"));
    }
    gateway.pools().stop("evil").toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertEquals(0, sleepers("evil"), "the daemon outlived its pool");
  }

  @Test
  void aTenantCannotReadListOrConnectToAnotherTenantsFiles() throws Exception {
    String session = victim("/session.php").trim();
    assertFalse(session.isEmpty());
    Path victimTmp = run.resolve("pools/victim/tmp");
    assertTrue(Files.exists(victimTmp.resolve("sess_" + session)), "the victim's session file exists");
    assertFalse(shell("ls " + victimTmp).contains(session), "the victim's sessions were listed");
    assertFalse(shell("cat " + victimTmp + "/sess_" + session).contains("victim-session"));
    assertFalse(shell("cat " + run.resolve("pools/victim/php-fpm.conf")).contains("[victim]"),
      "the victim's pool configuration (its env secrets) was read");
    assertFalse(shell("cat " + work.resolve("victim/public/secret.txt")).contains("victim's secret"));
    String connect = shell("php -r 'echo @stream_socket_client(\"unix://" + run.resolve("pools/victim/php.sock")
      + "\") ? \"connected\" : \"denied\";'");
    assertTrue(connect.contains("denied"), connect);
    long victimMaster = status("victim").pid();
    String signal = shell("kill -0 " + victimMaster + " && echo signalled");
    if (signal.contains("signalled")) {
      fail("the tenant could signal the victim's master " + victimMaster + ": " + signal + shell("ps -ef"));
    }
  }

  void assertUntouched() throws Exception {
    assertEquals("untouched", Files.readString(target));
    assertEquals("root", Files.getOwner(target).getName());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
    assertEquals("root", Files.getOwner(targetDir).getName());
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(targetDir)));
    try (var list = Files.list(targetDir)) {
      assertEquals(0, list.count(), "nothing written into the root-only directory");
    }
  }

  /** @return how many {@code sleep 600} processes the tenant's user has on the host */
  static long sleepers(String tenant) throws Exception {
    Process ps = new ProcessBuilder("pgrep", "-u", "tg-" + tenant, "-f", "^sleep 600$").start();
    String out = new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    ps.waitFor();
    return out.isEmpty() ? 0 : out.split("\\s+").length;
  }

  void awaitState(String tenant, io.tenantgateway.provisioner.PoolState state) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (status(tenant).state() != state) {
      assertTrue(System.nanoTime() < deadline, tenant + " never became " + state + ": " + status(tenant));
      Thread.sleep(5);
    }
  }

  /** SIGKILL to one process: refuses a pid that is not one (kill -9 -1, as root, kills every process). */
  static void kill9(long pid) throws Exception {
    assertTrue(pid > 1, "a process to kill: " + pid);
    new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
  }

  /** @return more tenant entries (YAML list items) of a subclass, their sites made with {@link #site} */
  String moreTenants() throws Exception {
    return "";
  }

  void site(String id, Map<String, String> files) throws Exception {
    Path dir = Files.createDirectories(work.resolve(id).resolve("public"));
    for (Map.Entry<String, String> file : files.entrySet()) {
      Files.writeString(dir.resolve(file.getKey()), file.getValue());
    }
    String user = "tg-" + id;
    new ProcessBuilder("sh", "-c", "id " + user + " >/dev/null 2>&1 || useradd --system --no-create-home"
      + " --comment 'tenant-gateway tenant " + id + "' --shell /usr/sbin/nologin --user-group -K SYS_UID_MIN=70000"
      + " -K SYS_UID_MAX=99999 -K SYS_GID_MIN=70000 -K SYS_GID_MAX=99999 " + user).start().waitFor();
    new ProcessBuilder("chown", "-R", user + ":" + user, dir.getParent().toString()).start().waitFor();
    new ProcessBuilder("chmod", "-R", "go-rwx", dir.getParent().toString()).start().waitFor();
  }

  String tenant(String id) {
    return "  - id: " + id + "\n    domains: [\"" + id + ".test\"]\n    docroot: \"" + work.resolve(id)
      .resolve("public") + "\"\n    php: { max_children: 2 }\n    limits: { pids: 64 }\n";
  }
}
