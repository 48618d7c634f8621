package io.tenantgateway.gateway.registry;

/**
 * A tenant as a store keeps it: the definition and the version that changes with every write, used
 * for optimistic concurrency ({@code ETag} / {@code If-Match}).
 *
 * @param tenant the validated definition
 * @param version the current version (positive)
 */
public record StoredTenant(Tenant tenant, long version) {

  /** @return the tenant id */
  public String id() {
    return tenant.id();
  }
}
