package io.tenantgateway.gateway.escape;

/**
 * The hostile tenant against pools isolated by their Unix user and cgroups only
 * ({@code isolation: users-only}): the gateway's file handling must hold without namespaces.
 */
class UsersOnlyHostileTenantTest extends HostileTenantTest {

  UsersOnlyHostileTenantTest() {
    super("users-only");
  }
}
