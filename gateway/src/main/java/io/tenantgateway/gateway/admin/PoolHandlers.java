package io.tenantgateway.gateway.admin;

import io.tenantgateway.gateway.registry.RegistrySnapshot;
import io.tenantgateway.gateway.registry.StoredTenant;
import io.tenantgateway.gateway.registry.Tenant;
import io.tenantgateway.gateway.registry.TenantRegistry;
import io.tenantgateway.provisioner.PoolManager;
import io.tenantgateway.provisioner.PoolSpec;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.function.Function;

/**
 * {@code POST /v1/tenants/{id}/start|stop|restart} and {@code GET /v1/pools}. An action answers
 * once it completed, with the pool's status then.
 */
final class PoolHandlers {

  private final TenantRegistry registry;
  private final PoolManager pools;
  private final PoolView poolView;
  private final String isolation;

  /**
   * @param registry the tenants
   * @param pools the managed pools, or null when unavailable
   * @param poolView pool statuses
   */
  PoolHandlers(TenantRegistry registry, PoolManager pools, PoolView poolView) {
    this.registry = registry;
    this.pools = pools;
    this.poolView = poolView;
    this.isolation = pools == null ? null : pools.isolation();
  }

  Future<Void> start(RoutingContext ctx) {
    return act(ctx, true, spec -> pools.start(spec));
  }

  Future<Void> stop(RoutingContext ctx) {
    return act(ctx, false, spec -> pools.stop(spec.id()));
  }

  Future<Void> restart(RoutingContext ctx) {
    return act(ctx, true, spec -> pools.restart(spec));
  }

  Future<Void> list(RoutingContext ctx) {
    requirePools();
    RegistrySnapshot snapshot = registry.snapshot();
    return poolView.all(snapshot.tenants().stream().map(StoredTenant::tenant).toList())
      .compose(items -> JsonReplies.send(ctx, 200, new JsonObject().put("isolation", isolation).put("pools", items)));
  }

  private Future<Void> act(RoutingContext ctx, boolean needsEnabled, Function<PoolSpec, Future<Void>> action) {
    String id = ctx.pathParam("id");
    RegistrySnapshot snapshot = registry.snapshot();
    StoredTenant stored = snapshot.tenant(id);
    if (stored == null) {
      throw new ApiException(404, "no tenant '" + id + "'");
    }
    Tenant tenant = stored.tenant();
    if (tenant.backend() != null) {
      throw new ApiException(409, "tenant '" + id + "' is served by its backend " + tenant.backend()
        + "; the gateway runs no pool for it", "backend");
    }
    if (needsEnabled && !tenant.enabled()) {
      throw new ApiException(409, "tenant '" + id + "' is disabled; enable it first", "enabled");
    }
    requirePools();
    return action.apply(snapshot.sites().get(id).poolSpec())
      .compose(v -> poolView.of(tenant))
      .compose(pool -> JsonReplies.send(ctx, 200, pool));
  }

  private void requirePools() {
    if (pools == null) {
      throw new ApiException(503, "managed pools unavailable: php-fpm could not be used on this gateway "
        + "(see its start-up log); only tenants with a backend are served");
    }
  }
}
