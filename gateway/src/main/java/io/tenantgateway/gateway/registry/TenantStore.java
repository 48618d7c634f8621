package io.tenantgateway.gateway.registry;

import java.util.List;

/**
 * Where tenants are persisted: the YAML file or MariaDB. Every method blocks (file or JDBC work), so
 * it is only called from worker threads, never from an event loop. Every write validates across
 * tenants (a domain belongs to one tenant) and fails with a {@link RegistryException}.
 */
public interface TenantStore extends AutoCloseable {

  /**
   * @return every tenant, ordered by id
   * @throws RegistryException {@code UNAVAILABLE} when the store cannot be read
   */
  List<StoredTenant> loadAll();

  /**
   * @param tenant a validated tenant whose id is new
   * @param actor who asks (for the change log)
   * @return the stored tenant with its first version
   * @throws RegistryException {@code CONFLICT} when the id or a domain is taken, {@code UNAVAILABLE}
   */
  StoredTenant create(Tenant tenant, String actor);

  /**
   * @param tenant the new definition of an existing tenant
   * @param expectedVersion the version the caller read, or null to replace whatever is there
   * @param actor who asks
   * @return the stored tenant with its new version
   * @throws RegistryException {@code NOT_FOUND}, {@code VERSION_MISMATCH}, {@code CONFLICT} (a domain
   *     of another tenant), {@code UNAVAILABLE}
   */
  StoredTenant replace(Tenant tenant, Long expectedVersion, String actor);

  /**
   * @param id the tenant id
   * @param expectedVersion the version the caller read, or null
   * @param actor who asks
   * @return the tenant as it was before deletion
   * @throws RegistryException {@code NOT_FOUND}, {@code VERSION_MISMATCH}, {@code UNAVAILABLE}
   */
  StoredTenant delete(String id, Long expectedVersion, String actor);

  /**
   * A cheap check for changes made elsewhere (another gateway, an editor): the value differs after
   * any change.
   *
   * @return a marker of the store's current content
   * @throws RegistryException {@code UNAVAILABLE} when the store cannot be read
   */
  String changeMarker();

  /** @return what the store is, for logs (no password) */
  String describe();

  /**
   * @return the longest a call may take before it fails as unreachable, ms ({@code registry.db_timeout_ms});
   *     0 when the store has no such bound (a local file)
   */
  default long timeoutMillis() {
    return 0;
  }

  /** Releases connections; further calls fail. */
  @Override
  void close();
}
