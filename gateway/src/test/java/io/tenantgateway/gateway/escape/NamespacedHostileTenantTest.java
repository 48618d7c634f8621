package io.tenantgateway.gateway.escape;

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
    java.nio.file.Path docroot = work.resolve("evil/public");
    java.nio.file.Path moved = work.resolve("evil/public.old");
    Process swap = new ProcessBuilder("setpriv", "--reuid=tg-evil", "--regid=tg-evil", "--init-groups", "sh", "-c",
      "mv " + docroot + " " + moved + " && ln -s " + work.resolve("victim/public") + " " + docroot)
      .redirectErrorStream(true).start();
    String swapOut = new String(swap.getInputStream().readAllBytes());
    org.junit.jupiter.api.Assertions.assertEquals(0, swap.waitFor(), "the tenant swapped its docroot: " + swapOut);
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
      java.nio.file.Files.delete(docroot);
      java.nio.file.Files.move(moved, docroot);
    }
    assertTrue(shell("echo back").contains("back"), "the pool starts again on its own docroot");
  }
}
