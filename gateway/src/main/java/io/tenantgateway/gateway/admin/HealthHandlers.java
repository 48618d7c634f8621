package io.tenantgateway.gateway.admin;

import io.tenantgateway.gateway.registry.TenantRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /healthz} (the process answers) and {@code GET /readyz} (it routes requests; 503 once
 * the admin listener began to close). An unreachable registry store leaves the gateway ready: it keeps
 * routing from its last snapshot.
 */
final class HealthHandlers {

  private final TenantRegistry registry;
  private volatile boolean stopping;

  /**
   * @param registry the tenants
   */
  HealthHandlers(TenantRegistry registry) {
    this.registry = registry;
  }

  /** From now on {@code /readyz} answers 503. */
  void stopping() {
    stopping = true;
  }

  Future<Void> healthz(RoutingContext ctx) {
    return JsonReplies.send(ctx, 200, new JsonObject().put("status", "ok"));
  }

  Future<Void> readyz(RoutingContext ctx) {
    if (stopping) {
      return JsonReplies.send(ctx, 503, new JsonObject().put("status", "stopping"));
    }
    return JsonReplies.send(ctx, 200, new JsonObject()
      .put("status", "ready")
      .put("tenants", registry.snapshot().tenants().size())
      .put("registry", registry.storeReachable() ? "reachable" : "unreachable"));
  }
}
