package io.tenantgateway.gateway.registry;

import java.util.List;

/**
 * Where tenants are kept. Routing reads {@link #tenants()}, an in-memory snapshot that never waits
 * on storage.
 */
public interface TenantRegistry {

  /** @return every tenant, in a stable order */
  List<Tenant> tenants();
}
