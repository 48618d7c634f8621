package io.tenantgateway.gateway.registry;

import io.tenantgateway.gateway.routing.HostRouter;
import io.tenantgateway.gateway.routing.TenantSite;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One immutable view of the registry: what routing reads on every request, without waiting on
 * storage.
 *
 * @param tenants every tenant, ordered by id
 * @param byId the same tenants by id
 * @param sites each tenant as the request path needs it, by id
 * @param router Host → site
 */
public record RegistrySnapshot(List<StoredTenant> tenants, Map<String, StoredTenant> byId,
                               Map<String, TenantSite> sites, HostRouter router) {

  /** An empty registry. */
  public static final RegistrySnapshot EMPTY = of(List.of(), null);

  /**
   * Builds a snapshot; reuses the previous snapshot's site of every tenant whose version did not
   * change, so that per-site caches survive. Resolves docroots: call off the event loop.
   *
   * @param tenants the tenants, ordered by id
   * @param previous the snapshot it replaces, or null
   * @return the snapshot
   */
  public static RegistrySnapshot of(List<StoredTenant> tenants, RegistrySnapshot previous) {
    Map<String, StoredTenant> byId = new LinkedHashMap<>();
    Map<String, TenantSite> sites = new LinkedHashMap<>();
    for (StoredTenant stored : tenants) {
      byId.put(stored.id(), stored);
      StoredTenant before = previous == null ? null : previous.byId.get(stored.id());
      boolean unchanged = before != null && before.version() == stored.version()
        && before.tenant().equals(stored.tenant());
      sites.put(stored.id(), unchanged ? previous.sites.get(stored.id()) : new TenantSite(stored.tenant()));
    }
    return new RegistrySnapshot(List.copyOf(tenants), Map.copyOf(byId), Map.copyOf(sites),
      HostRouter.forSites(sites.values()));
  }

  /**
   * @param id a tenant id
   * @return the tenant, or null
   */
  public StoredTenant tenant(String id) {
    return byId.get(id);
  }
}
