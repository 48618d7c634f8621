package io.tenantgateway.gateway.admin;

import io.tenantgateway.gateway.registry.StoredTenant;
import io.tenantgateway.gateway.registry.TenantRegistry;
import io.tenantgateway.provisioner.PoolManager;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.List;

/**
 * {@code /v1/tenants} and {@code /v1/tenants/{id}}: list, create, read, replace and delete tenants.
 * Reads come from the registry's snapshot; writes go through the registry, which validates them and
 * publishes the new snapshot before they complete. Versions travel as {@code ETag} / {@code If-Match}.
 */
final class TenantHandlers {

  /** Page size of {@code GET /v1/tenants} without {@code limit}. */
  static final int DEFAULT_LIMIT = 100;
  /** Largest {@code limit}. */
  static final int MAX_LIMIT = 1000;

  private final TenantRegistry registry;
  private final PoolManager pools;
  private final PoolView poolView;

  /**
   * @param registry the tenants
   * @param pools the managed pools, or null
   * @param poolView pool statuses
   */
  TenantHandlers(TenantRegistry registry, PoolManager pools, PoolView poolView) {
    this.registry = registry;
    this.pools = pools;
    this.poolView = poolView;
  }

  Future<Void> list(RoutingContext ctx) {
    int limit = AdminRequests.intParam(ctx, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
    String after = ctx.queryParams().get("after");
    List<StoredTenant> tenants = registry.snapshot().tenants();
    int from = 0;
    while (after != null && from < tenants.size() && tenants.get(from).id().compareTo(after) <= 0) {
      from++;
    }
    int to = Math.min(tenants.size(), from + limit);
    JsonArray items = new JsonArray();
    tenants.subList(from, to).forEach(stored -> items.add(body(stored)));
    String next = to < tenants.size() ? tenants.get(to - 1).id() : null;
    return JsonReplies.send(ctx, 200, new JsonObject().put("items", items).put("next", next));
  }

  Future<Void> create(RoutingContext ctx) {
    JsonObject json = AdminRequests.jsonObject(ctx);
    return registry.create(json, AdminRequests.actor(ctx)).compose(stored -> {
      ctx.response()
        .putHeader("Location", "/v1/tenants/" + stored.id())
        .putHeader("ETag", JsonReplies.etag(stored.version()));
      return JsonReplies.send(ctx, 201, body(stored));
    });
  }

  Future<Void> get(RoutingContext ctx) {
    StoredTenant stored = existing(ctx.pathParam("id"));
    return poolView.of(stored.tenant()).compose(pool -> {
      ctx.response().putHeader("ETag", JsonReplies.etag(stored.version()));
      return JsonReplies.send(ctx, 200, body(stored).put("pool", pool));
    });
  }

  Future<Void> replace(RoutingContext ctx) {
    Long expected = AdminRequests.ifMatch(ctx);
    JsonObject json = AdminRequests.jsonObject(ctx);
    json.remove("version");
    json.remove("pool");
    return registry.replace(ctx.pathParam("id"), json, expected, AdminRequests.actor(ctx)).compose(stored -> {
      ctx.response().putHeader("ETag", JsonReplies.etag(stored.version()));
      return JsonReplies.send(ctx, 200, body(stored));
    });
  }

  Future<Void> delete(RoutingContext ctx) {
    Long expected = AdminRequests.ifMatch(ctx);
    String id = ctx.pathParam("id");
    return registry.delete(id, expected, AdminRequests.actor(ctx))
      .compose(deleted -> pools == null ? Future.succeededFuture() : pools.remove(id))
      .compose(v -> JsonReplies.empty(ctx, 204));
  }

  private StoredTenant existing(String id) {
    StoredTenant stored = registry.snapshot().tenant(id);
    if (stored == null) {
      throw new ApiException(404, "no tenant '" + id + "'");
    }
    return stored;
  }

  private static JsonObject body(StoredTenant stored) {
    return stored.tenant().toJson().put("version", stored.version());
  }
}
