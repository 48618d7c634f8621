package io.tenantgateway.gateway.admin;

import io.tenantgateway.gateway.registry.Tenant;
import io.tenantgateway.provisioner.Isolation;
import io.tenantgateway.provisioner.PoolState;
import io.tenantgateway.provisioner.PoolStatus;
import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * A pool status as the admin API shows it; unknown values are null rather than -1.
 */
final class PoolJson {

  private static final long MIB = 1024L * 1024L;

  private PoolJson() {
  }

  /**
   * @param tenant the managed tenant
   * @param status its pool's status, or null when the pool never ran
   * @param defaultIsolation the gateway's isolation, in force for a tenant that sets none
   * @return the pool item of {@code GET /v1/pools}
   */
  static JsonObject of(Tenant tenant, PoolStatus status, Isolation defaultIsolation) {
    PoolStatus s = status != null ? status
      : new PoolStatus(tenant.id(), PoolState.STOPPED, -1, -1, 0, 0, -1, 0, -1, 0);
    return new JsonObject()
      .put("tenant", tenant.id())
      .put("state", s.state().name())
      .put("pid", orNull(s.pid()))
      .put("uid", orNull(s.uid()))
      .put("started_at", s.startedAtMillis() > 0 ? Instant.ofEpochMilli(s.startedAtMillis()).toString() : null)
      .put("requests", s.requests())
      .put("last_activation_ms", orNull(s.lastActivationMillis()))
      .put("crashes", s.crashes())
      .put("memory_bytes", orNull(s.memoryBytes()))
      .put("memory_limit_bytes", tenant.limits().memoryMb() * MIB)
      .put("isolation", tenant.isolation().mode() != null ? tenant.isolation().mode() : defaultIsolation.label())
      .put("network", tenant.isolation().privateNetwork() ? "none" : "host")
      .put("memory_state_lost_at", s.memoryStateLostAtMillis() > 0
        ? Instant.ofEpochMilli(s.memoryStateLostAtMillis()).toString() : null);
  }

  private static Long orNull(long value) {
    return value < 0 ? null : value;
  }
}
