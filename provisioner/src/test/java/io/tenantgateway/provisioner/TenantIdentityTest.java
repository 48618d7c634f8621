package io.tenantgateway.provisioner;

import io.tenantgateway.provisioner.impl.TenantIdentity;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Tenant user names: tg-&lt;id&gt;, never longer than useradd accepts. */
class TenantIdentityTest {

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
}
