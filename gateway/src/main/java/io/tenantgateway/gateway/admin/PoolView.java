package io.tenantgateway.gateway.admin;

import io.tenantgateway.gateway.registry.Tenant;
import io.tenantgateway.provisioner.PoolManager;
import io.tenantgateway.provisioner.PoolStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Reads pool statuses for the admin API. The manager reads cgroup files for memory use, so every
 * read runs on a worker thread, never on the event loop.
 */
final class PoolView {

  private final Vertx vertx;
  private final PoolManager pools;

  /**
   * @param vertx the Vert.x instance
   * @param pools the managed pools, or null when unavailable
   */
  PoolView(Vertx vertx, PoolManager pools) {
    this.vertx = vertx;
    this.pools = pools;
  }

  /**
   * @param tenant a tenant
   * @return its pool item, or null when it has an unmanaged backend or pools are unavailable
   */
  Future<JsonObject> of(Tenant tenant) {
    if (tenant.backend() != null || pools == null) {
      return Future.succeededFuture(null);
    }
    return vertx.executeBlocking(() -> pools.status(tenant.id()), false)
      .map(status -> PoolJson.of(tenant, status, pools.defaultIsolation()));
  }

  /**
   * @param tenants the registry's tenants, ordered by id
   * @return one item per managed tenant, in the same order
   */
  Future<JsonArray> all(List<Tenant> tenants) {
    return vertx.executeBlocking(pools::statuses, false).map(statuses -> {
      Map<String, PoolStatus> byTenant = statuses.stream()
        .collect(Collectors.toMap(PoolStatus::tenant, Function.identity(), (a, b) -> b));
      JsonArray items = new JsonArray();
      for (Tenant tenant : tenants) {
        if (tenant.backend() == null) {
          items.add(PoolJson.of(tenant, byTenant.get(tenant.id()), pools.defaultIsolation()));
        }
      }
      return items;
    });
  }
}
