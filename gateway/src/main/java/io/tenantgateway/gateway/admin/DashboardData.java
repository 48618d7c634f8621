package io.tenantgateway.gateway.admin;

import io.tenantgateway.gateway.registry.StoredTenant;
import io.tenantgateway.gateway.registry.Tenant;
import io.tenantgateway.gateway.registry.TenantRegistry;
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
 * What the dashboard shows, as {@code GET /dashboard/api/tenants} answers it: every tenant of the
 * registry's snapshot merged with its pool's status, in id order.
 *
 * <pre>
 * {"sampled_at_ms": 1767225600000, "pools": true, "isolation": "...",
 *  "tenants": [{"id": "blog", "domains": ["blog.example.test"], "enabled": true, "backend": null,
 *               "managed": true, "state": "RUNNING", "pid": 4242, "uid": 70001,
 *               "started_at": "2026-01-01T00:00:00Z", "requests": 1234, "last_activation_ms": 180,
 *               "crashes": 0, "memory_bytes": 31457280, "memory_limit_bytes": 268435456, "memory_state_lost_at": null,
 *               "uptime_s": 3600, "p95_ms": null}]}
 * </pre>
 *
 * Every row has every key; unknown values are null. The pool keys ({@code state} to
 * {@code memory_limit_bytes}) mean what they mean in {@code GET /v1/pools}, and are null for a tenant
 * with a {@code backend} ({@code "managed": false}) or when pools are unavailable ({@code "pools": false}).
 * {@code requests} is a counter: the page derives requests per second from its change between two
 * samples ({@code sampled_at_ms}). {@code p95_ms} is the 95th percentile of the tenant's request
 * latency, null until a latency source is given.
 */
final class DashboardData {

  private static final List<String> POOL_KEYS = List.of("state", "pid", "uid", "started_at", "requests",
    "last_activation_ms", "crashes", "memory_bytes", "memory_limit_bytes", "memory_state_lost_at");

  private final Vertx vertx;
  private final TenantRegistry registry;
  private final PoolManager pools;
  private final Function<String, Double> p95Millis;

  /**
   * @param vertx the Vert.x instance
   * @param registry the tenants
   * @param pools the managed pools, or null when unavailable
   * @param p95Millis a tenant id's p95 request latency in ms, or null when unknown
   */
  DashboardData(Vertx vertx, TenantRegistry registry, PoolManager pools, Function<String, Double> p95Millis) {
    this.vertx = vertx;
    this.registry = registry;
    this.pools = pools;
    this.p95Millis = p95Millis;
  }

  /**
   * Without a latency source: {@code p95_ms} stays null.
   *
   * @param vertx the Vert.x instance
   * @param registry the tenants
   * @param pools the managed pools, or null when unavailable
   */
  DashboardData(Vertx vertx, TenantRegistry registry, PoolManager pools) {
    this(vertx, registry, pools, id -> null);
  }

  /** @return the reply of {@code GET /dashboard/api/tenants}; pool statuses are read on a worker thread */
  Future<JsonObject> tenants() {
    List<Tenant> tenants = registry.snapshot().tenants().stream().map(StoredTenant::tenant).toList();
    Future<Map<String, PoolStatus>> statuses = pools == null ? Future.succeededFuture(Map.of())
      : vertx.executeBlocking(() -> pools.statuses().stream()
        .collect(Collectors.toMap(PoolStatus::tenant, Function.identity(), (a, b) -> b)), false);
    return statuses.map(byTenant -> {
      long now = System.currentTimeMillis();
      JsonArray rows = new JsonArray();
      for (Tenant tenant : tenants) {
        rows.add(row(tenant, byTenant.get(tenant.id()), now));
      }
      return new JsonObject()
        .put("sampled_at_ms", now)
        .put("pools", pools != null)
        .put("isolation", pools == null ? null : pools.isolation())
        .put("tenants", rows);
    });
  }

  private JsonObject row(Tenant tenant, PoolStatus status, long now) {
    boolean managed = tenant.backend() == null;
    JsonObject row = new JsonObject()
      .put("id", tenant.id())
      .put("domains", new JsonArray(tenant.domains()))
      .put("enabled", tenant.enabled())
      .put("backend", tenant.backend())
      .put("managed", managed);
    JsonObject pool = managed && pools != null ? PoolJson.of(tenant, status, pools.defaultIsolation()) : null;
    for (String key : POOL_KEYS) {
      row.put(key, pool == null ? null : pool.getValue(key));
    }
    long startedAt = status == null ? 0 : status.startedAtMillis();
    row.put("uptime_s", pool != null && startedAt > 0 ? Math.max(0, (now - startedAt) / 1000) : null);
    row.put("p95_ms", p95Millis.apply(tenant.id()));
    return row;
  }
}
