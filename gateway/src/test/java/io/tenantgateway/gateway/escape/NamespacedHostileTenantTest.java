package io.tenantgateway.gateway.escape;

import io.tenantgateway.gateway.testing.RawHttp;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hostile tenant against pools in their own namespaces (the default as root), plus what only
 * namespaces hide: other processes, the gateway, other docroots, the host's /tmp.
 */
class NamespacedHostileTenantTest extends HostileTenantTest {

  NamespacedHostileTenantTest() {
    super("namespaces");
  }

  private static final String NET_PHP = String.join("\n", "<?php",
    "function probe($target) {",
    "  $c = @stream_socket_client($target, $errno, $error, 2);",
    "  if (!$c) { return \"refused ($error)\"; }",
    "  stream_set_timeout($c, 2);",
    "  return 'open ' . (strpos((string) fread($c, 256), 'MariaDB') !== false ? 'mariadb' : 'other');",
    "}",
    "echo 'tcp-mariadb: ', probe('tcp://127.0.0.1:3306'), \"\\n\";",
    "echo 'tcp-gateway: ', probe('tcp://127.0.0.1:' . (int) $_GET['port']), \"\\n\";",
    "echo 'unix-mariadb: ', probe('unix:///run/mysqld/mysqld.sock'), \"\\n\";",
    "echo 'interfaces: ', implode(' ', array_map(fn($l) => trim(explode(':', $l)[0]),",
    "  array_slice(explode(\"\\n\", trim(shell_exec('cat /proc/net/dev'))), 2))), \"\\n\";", "");

  @Override
  String moreTenants() throws Exception {
    site("offline", java.util.Map.of("net.php", NET_PHP));
    java.nio.file.Files.writeString(work.resolve("evil/public/net.php"), NET_PHP);
    site("plain", java.util.Map.of("sh.php", "<?php echo shell_exec($_GET['c'] . ' 2>&1');"));
    return tenant("offline")
      + "    isolation: { network: none, unix_sockets: [\"/run/mysqld/mysqld.sock\"] }\n"
      + tenant("plain") + "    isolation: { mode: users-only }\n";
  }

  @Test
  void aTenantsOwnIsolationOverridesTheGatewaysDefault() throws Exception {
    String plain = RawHttp.get(gatewayPort(), "plain.test", "/sh.php?c=ps%20-eo%20args").text();
    assertTrue(plain.contains("java"), "a users-only pool sees the host's processes: " + plain);
    assertFalse(shell("ps -eo args").contains("java"));
  }

  /**
   * {@code network: none}: the pool has its own network namespace with only a loopback, so it
   * reaches neither MariaDB's TCP port nor the gateway's, yet MariaDB through the socket bound in;
   * the host-network tenant, run the same, reaches both (the probe can tell open from refused).
   */
  @Test
  void aPoolWithoutNetworkReachesOnlyItsOwnLoopbackAndItsSockets() throws Exception {
    String host = RawHttp.get(gatewayPort(), "evil.test", "/net.php?port=" + gatewayPort()).text();
    assertTrue(host.contains("tcp-mariadb: open mariadb"), "MariaDB listens on 127.0.0.1:3306 (bin/test): " + host);
    assertTrue(host.contains("tcp-gateway: open"), host);
    String none = RawHttp.get(gatewayPort(), "offline.test", "/net.php?port=" + gatewayPort()).text();
    assertTrue(none.contains("tcp-mariadb: refused"), none);
    assertTrue(none.contains("tcp-gateway: refused"), none);
    assertTrue(none.contains("unix-mariadb: open mariadb"), none);
    assertTrue(none.contains("interfaces: lo\n"), "only a loopback: " + none);
    assertTrue(host.lines().filter(l -> l.startsWith("interfaces:")).findFirst().orElse("").split(" ").length > 2,
      "the host's interfaces: " + host);
  }

  @Test
  void thePoolSeesOnlyItsOwnProcessesAndFiles() throws Exception {
    victim("/ok.php");
    String ps = shell("ps -eo pid,user,args");
    assertFalse(ps.contains("java"), "the gateway is visible: " + ps);
    assertFalse(ps.contains("pool victim"), "another tenant's workers are visible: " + ps);
    assertTrue(ps.contains("php-fpm: master process"), ps);
    assertTrue(ps.trim().split("\n").length <= 8, "only the pool's own processes: " + ps);
    assertFalse(shell("cat /proc/1/cmdline; ls /proc").contains("java"));
    assertTrue(shell("ls " + work + " 2>&1").contains("evil"), "its own docroot's parents exist");
    assertFalse(shell("ls " + work).contains("victim"), "another tenant's docroot is visible");
    assertFalse(shell("ls " + run + "/pools").contains("victim"), "the gateway's run dir is visible");
    assertTrue(shell("touch /tmp/mine && ls -ld /tmp && ls /tmp").contains("mine"));
    assertFalse(java.nio.file.Files.exists(java.nio.file.Path.of("/tmp/mine")), "its /tmp is the host's");
    assertFalse(shell("ls /root /home 2>&1").contains("work"));
    assertTrue(shell("hostname").trim().equals("evil"));
  }

  /**
   * bwrap mounts the docroot as root and follows symlinks. The tenant owns its docroot's parent,
   * so with a shell on the host as its user (SFTP, a users-only pool) it can swap the docroot for a
   * link to another tenant's tree; the next start must refuse it, not mount the other tree.
   */
  @Test
  void aDocrootSwappedForALinkToAnotherTenantsTreeIsNeverMounted() throws Exception {
    assertTrue(victim("/ok.php").contains("victim ok"));
    assertTrue(shell("echo up").contains("up"), "the tenant's pool runs");
    java.nio.file.Path docroot = swapDocrootForALinkToTheVictims();
    try {
      kill9(status("evil").pid());
      awaitState("evil", io.tenantgateway.provisioner.PoolState.CRASHED);
      io.tenantgateway.gateway.testing.RawHttp.Response r = io.tenantgateway.gateway.testing.RawHttp.get(
        gatewayPort(), "evil.test", "/secret.txt");
      assertFalse(r.text().contains("victim's secret"), "the gateway served the other tenant's file: " + r.text());
      // a request cannot reach a script through the link (the mapper resolves it outside the docroot),
      // so the start is asked for as the operator's API would
      Throwable refused = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> gateway().pools()
        .start(new io.tenantgateway.provisioner.PoolSpec("evil", docroot, 2, 60, 60, java.util.Map.of(),
          java.util.Map.of())).toCompletionStage().toCompletableFuture().get(20, java.util.concurrent.TimeUnit.SECONDS));
      assertTrue(String.valueOf(refused.getMessage()).contains("is a symlink or lies under one"),
        "the pool refuses to start on the swapped docroot: " + refused);
    } finally {
      restoreDocroot();
    }
    assertTrue(shell("echo back").contains("back"), "the pool starts again on its own docroot");
  }

  /**
   * A pool whose run ended is staged for its next start: its sandbox is built then, php-fpm runs
   * only when a request comes (docs/ARCHITECTURE.md, "Staged pools"). A tenant that swaps its docroot
   * for a link to another tenant's tree after the staging must not get a pool on that tree: the
   * start checks every path again, discards the staged run and refuses, as an unstaged start does.
   */
  @Test
  void aDocrootSwappedAfterItsPoolWasStagedIsNeverMounted() throws Exception {
    assertTrue(shell("echo up").contains("up"));
    gateway().pools().stop("evil").toCompletionStage().toCompletableFuture().get(20, java.util.concurrent.TimeUnit.SECONDS);
    String config = run.resolve("pools/evil/php-fpm.conf").toString();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (ProcessHandle.allProcesses().noneMatch(p -> p.info().arguments().map(a -> String.join(" ", a))
      .filter(a -> a.startsWith("-c echo tenant-gateway-staged-ready && read -r go ") && a.contains(config)).isPresent())) {
      assertTrue(System.nanoTime() < deadline, "the next run of evil was staged");
      Thread.sleep(20);
    }
    java.nio.file.Path docroot = swapDocrootForALinkToTheVictims();
    try {
      // the spec the staged run was made for, as the operator's start action would use it
      io.tenantgateway.provisioner.PoolSpec spec = gateway().registry().snapshot().sites().get("evil").poolSpec();
      Throwable refused = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> gateway().pools()
        .start(spec).toCompletionStage().toCompletableFuture().get(20, java.util.concurrent.TimeUnit.SECONDS));
      assertTrue(String.valueOf(refused.getMessage()).contains("is a symlink or lies under one"),
        "the staged run is not used on the swapped docroot: " + refused);
    } finally {
      restoreDocroot();
    }
    assertTrue(shell("echo back").contains("back"), "the pool starts again on its own docroot");
  }

  /**
   * The race on the same swap: the symlink check of a start and bwrap's mount are two steps, so a
   * tenant that swaps its docroot for a link to the victim's and back every half millisecond, while
   * its pool is staged and started over and over (until 5 starts got through), gets the victim's
   * tree mounted at its docroot once the mount falls on the link and the checks on the real
   * directory, unless the start proves that what was mounted is what was checked. Each pool that starts is checked through the kernel: the
   * directory at its docroot inside its sandbox must not be the victim's.
   */
  @Test
  void aDocrootSwappedBackAndForthWhileItsPoolStartsIsNeverMountedOnTheVictimsTree() throws Exception {
    assertTrue(shell("echo up").contains("up"));
    java.nio.file.Path docroot = work.resolve("evil/public");
    Object victims = java.nio.file.Files.getAttribute(work.resolve("victim/public"), "unix:ino");
    io.tenantgateway.provisioner.PoolSpec spec = gateway().registry().snapshot().sites().get("evil").poolSpec();
    Process swapper = new ProcessBuilder("setpriv", "--reuid=tg-evil", "--regid=tg-evil", "--init-groups",
      "/usr/bin/perl", "-e", "my ($d, $t) = @ARGV; my $aside = \"$d.real\"; "
        + "while (1) { rename($d, $aside) or die \"rename: $!\"; symlink($t, $d) or die \"symlink: $!\"; "
        + "select(undef, undef, undef, 0.0005); unlink($d) or die \"unlink: $!\"; "
        + "rename($aside, $d) or die \"rename back: $!\"; select(undef, undef, undef, 0.0005); }",
      docroot.toString(), work.resolve("victim/public").toString()).redirectErrorStream(true).start();
    int started = 0;
    try {
      // until 5 starts got past the swaps (most are refused, by the path check or the mount check)
      for (int i = 0; i < 400 && started < 5; i++) {
        gateway().pools().stop("evil").toCompletionStage().toCompletableFuture().get(20, java.util.concurrent.TimeUnit.SECONDS);
        try {
          gateway().pools().start(spec).toCompletionStage().toCompletableFuture().get(20, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException refused) {
          continue;
        }
        started++;
        java.nio.file.Path inside = java.nio.file.Path.of("/proc/" + status("evil").pid() + "/root" + docroot);
        assertFalse(victims.equals(java.nio.file.Files.getAttribute(inside, "unix:ino",
          java.nio.file.LinkOption.NOFOLLOW_LINKS)), "start " + i + " mounted the victim's tree at the docroot");
      }
      assertTrue(swapper.isAlive(), () -> "the tenant kept swapping: " + output(swapper));
    } finally {
      swapper.destroyForcibly().waitFor();
      if (java.nio.file.Files.isSymbolicLink(docroot)) {
        java.nio.file.Files.delete(docroot);
      }
      if (java.nio.file.Files.exists(work.resolve("evil/public.real"))) {
        java.nio.file.Files.move(work.resolve("evil/public.real"), docroot);
      }
    }
    assertTrue(started > 0, "some starts won against the swaps");
    // the starts the swaps made fail may have left the pool FAILED: the operator's stop clears it
    gateway().pools().stop("evil").toCompletionStage().toCompletableFuture().get(20, java.util.concurrent.TimeUnit.SECONDS);
    assertTrue(shell("echo back").contains("back"), "the pool starts again on its own docroot");
  }

  private static String output(Process process) {
    try {
      return new String(process.getInputStream().readAllBytes());
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }

  /** As its own user the tenant moves its docroot aside and puts a link to the victim's in its place. */
  private java.nio.file.Path swapDocrootForALinkToTheVictims() throws Exception {
    java.nio.file.Path docroot = work.resolve("evil/public");
    Process swap = new ProcessBuilder("setpriv", "--reuid=tg-evil", "--regid=tg-evil", "--init-groups", "sh", "-c",
      "mv " + docroot + " " + work.resolve("evil/public.old") + " && ln -s " + work.resolve("victim/public") + " "
        + docroot)
      .redirectErrorStream(true).start();
    String swapOut = new String(swap.getInputStream().readAllBytes());
    org.junit.jupiter.api.Assertions.assertEquals(0, swap.waitFor(), "the tenant swapped its docroot: " + swapOut);
    return docroot;
  }

  private void restoreDocroot() throws java.io.IOException {
    java.nio.file.Files.delete(work.resolve("evil/public"));
    java.nio.file.Files.move(work.resolve("evil/public.old"), work.resolve("evil/public"));
  }
}
