package io.tenantgateway.provisioner;

import io.tenantgateway.provisioner.impl.TenantIdentity;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Tenant users: names tg-&lt;id&gt; never longer than useradd accepts, uids from the configured range,
 * and a same-named user outside the range refused rather than used.
 */
class TenantIdentityTest {

  private static void deleteUser(String name) throws Exception {
    new ProcessBuilder("userdel", name).redirectErrorStream(true).start().waitFor();
  }

  @Test
  void usersAreCreatedInTheConfiguredRangeAndOthersAreRefused() throws Exception {
    assertEquals("root", System.getProperty("user.name"), "bin/test runs the suite as root");
    String fresh = "uidrange-" + ProcessHandle.current().pid();
    String foreign = "uidforeign-" + ProcessHandle.current().pid();
    try {
      TenantIdentity identity = TenantIdentity.detect(71_000, 71_999);
      assertTrue(identity.describe().contains("71000-71999"), identity.describe());
      TenantIdentity.User user = identity.userFor(fresh);
      assertTrue(user.uid() >= 71_000 && user.uid() <= 71_999, "uid " + user.uid());
      assertTrue(user.gid() >= 71_000 && user.gid() <= 71_999, "gid " + user.gid());
      assertTrue(user.switchUser());

      Process add = new ProcessBuilder("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
        TenantIdentity.userName(foreign)).redirectErrorStream(true).start();
      assertEquals(0, add.waitFor());
      java.io.IOException refused = assertThrows(java.io.IOException.class, () -> identity.userFor(foreign));
      assertTrue(refused.getMessage().contains("outside the tenant range 71000-71999"), refused.getMessage());
    } finally {
      deleteUser(TenantIdentity.userName(fresh));
      deleteUser(TenantIdentity.userName(foreign));
    }
  }

  @Test
  void tenantUserNames() {
    assertEquals("tg-a", TenantIdentity.userName("a"));
    assertEquals("tg-acme-01", TenantIdentity.userName("acme-01"));
    String id29 = "a".repeat(29);
    assertEquals("tg-" + id29, TenantIdentity.userName(id29));
    String id32 = "abcdefghijklmnopqrstuvwxyz012345";
    String name = TenantIdentity.userName(id32);
    assertTrue(name.length() <= 32, name);
    assertTrue(name.startsWith("tg-"), name);
    assertEquals(name, TenantIdentity.userName(id32), "stable");
    assertNotEquals(name, TenantIdentity.userName("abcdefghijklmnopqrstuvwxyz012346"));
    assertTrue(name.matches("[a-z0-9-]+"), name);
  }

  @Test
  void aUserClaimedByAnotherTenantIsRefusedSoTwoTenantsNeverShareOne() throws Exception {
    String suffix = Long.toString(ProcessHandle.current().pid());
    String owner = "claimowner-" + suffix;
    String other = "claimother-" + suffix;
    TenantIdentity identity = TenantIdentity.detect(71_000, 71_999);
    try {
      TenantIdentity.User user = identity.userFor(owner);
      Process gecos = new ProcessBuilder("getent", "passwd", user.name()).start();
      assertTrue(new String(gecos.getInputStream().readAllBytes()).contains("tenant-gateway tenant " + owner),
        "the user records its tenant");
      // the operator (or an old gateway) handed the owner's user to another tenant's name
      Process rename = new ProcessBuilder("usermod", "-l", TenantIdentity.userName(other), user.name())
        .redirectErrorStream(true).start();
      assertEquals(0, rename.waitFor());
      java.io.IOException refused = assertThrows(java.io.IOException.class,
        () -> TenantIdentity.detect(71_000, 71_999).userFor(other));
      assertTrue(refused.getMessage().contains("belongs to another tenant"), refused.getMessage());
    } finally {
      deleteUser(TenantIdentity.userName(owner));
      deleteUser(TenantIdentity.userName(other));
    }
  }

  @Test
  void longIdsWithACommonPrefixGetDistinctUsers() {
    String a = "shop-customer-number-000000001";
    String b = "shop-customer-number-000000002";
    assertNotEquals(TenantIdentity.userName(a), TenantIdentity.userName(b));
    assertEquals(TenantIdentity.userName(a).substring(0, 19), TenantIdentity.userName(b).substring(0, 19));
  }
}
