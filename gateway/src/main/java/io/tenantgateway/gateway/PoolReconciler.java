package io.tenantgateway.gateway;

import io.tenantgateway.gateway.registry.RegistrySnapshot;
import io.tenantgateway.gateway.registry.StoredTenant;
import io.tenantgateway.provisioner.PoolManager;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.BiConsumer;

/**
 * Keeps managed pools in step with the registry: a removed or disabled tenant's pool is stopped, a
 * tenant moved to an unmanaged backend loses its pool, and a running pool whose settings changed is
 * restarted gracefully with the new ones.
 */
final class PoolReconciler implements BiConsumer<RegistrySnapshot, RegistrySnapshot> {

  private static final Logger LOG = LoggerFactory.getLogger(PoolReconciler.class);

  private final PoolManager pools;

  PoolReconciler(PoolManager pools) {
    this.pools = pools;
  }

  @Override
  public void accept(RegistrySnapshot before, RegistrySnapshot after) {
    for (StoredTenant old : before.tenants()) {
      StoredTenant now = after.tenant(old.id());
      if (now == null || !now.tenant().enabled() || now.tenant().backend() != null) {
        if (old.tenant().backend() == null) {
          String why = now == null ? "removed" : !now.tenant().enabled() ? "disabled" : "moved to a backend";
          Future<Void> stopped = now == null ? pools.remove(old.id()) : pools.stop(old.id());
          stopped.onSuccess(v -> LOG.debug("pool of {} stopped: tenant {}", old.id(), why));
        }
      } else if (!after.sites().get(old.id()).poolSpec().equals(before.sites().get(old.id()).poolSpec())) {
        pools.apply(after.sites().get(old.id()).poolSpec())
          .onFailure(e -> LOG.warn("pool of {} not restarted with its new settings: {}", old.id(), e.getMessage()));
      }
    }
  }
}
