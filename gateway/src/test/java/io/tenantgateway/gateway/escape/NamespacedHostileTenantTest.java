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
}
