package io.tenantgateway.gateway.observe;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tenantgateway.provisioner.PoolEvents;
import io.tenantgateway.provisioner.PoolManager;
import io.tenantgateway.provisioner.PoolStatus;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The gateway's Micrometer registry, scraped in Prometheus format at the admin listener's
 * {@code /metrics}. Vert.x's Micrometer integration contributes the JVM and worker-pool figures; the
 * per-request HTTP metrics of Vert.x are off, because the gateway records its own per tenant with
 * meters created once ({@link TenantMeters}), which costs a few atomic increments per request.
 */
public final class GatewayMetrics {

  private static final long POOL_REFRESH_MS = 5000;

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final ConcurrentMap<String, TenantMeters> tenants = new ConcurrentHashMap<>();

  /**
   * @param options the Vert.x options
   * @return a Vert.x builder reporting to this registry
   */
  public VertxBuilder vertxBuilder(VertxOptions options) {
    options.setMetricsOptions(new MicrometerMetricsOptions()
      .setEnabled(true)
      .setJvmMetricsEnabled(true)
      .setDisabledMetricsCategories(Set.of(MetricsDomain.HTTP_SERVER.toCategory(),
        MetricsDomain.HTTP_CLIENT.toCategory(), MetricsDomain.NET_SERVER.toCategory(),
        MetricsDomain.NET_CLIENT.toCategory(), MetricsDomain.DATAGRAM_SOCKET.toCategory(),
        MetricsDomain.EVENT_BUS.toCategory(), MetricsDomain.VERTICLES.toCategory())));
    return Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(registry));
  }

  /** @return the registry */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /**
   * @param tenantId a tenant id
   * @return its meters, created on first use
   */
  public TenantMeters tenant(String tenantId) {
    TenantMeters meters = tenants.get(tenantId);
    return meters != null ? meters : tenants.computeIfAbsent(tenantId, id -> new TenantMeters(registry, id));
  }

  /**
   * @param tenantId a tenant id
   * @return its meters, or null when it has served nothing yet
   */
  public TenantMeters existing(String tenantId) {
    return tenants.get(tenantId);
  }

  /**
   * Drops a removed tenant's meters, so that labels stay bounded by the registry.
   *
   * @param tenantId the tenant id
   */
  public void forget(String tenantId) {
    TenantMeters meters = tenants.remove(tenantId);
    if (meters != null) {
      meters.remove(registry);
    }
  }

  /** @return pool events recorded in each tenant's meters */
  public PoolEvents poolEvents() {
    return new PoolEvents() {
      @Override
      public void started(String tenantId, long millis, boolean afterCrash) {
        tenant(tenantId).poolStarted(millis, afterCrash);
      }

      @Override
      public void startFailed(String tenantId) {
        tenant(tenantId).poolStartFailed();
      }

      @Override
      public void crashed(String tenantId) {
        tenant(tenantId).poolCrashed();
      }
    };
  }

  /**
   * Samples every tenant's request-time histogram every {@link #POOL_REFRESH_MS} for the dashboard's
   * p95 ({@link TenantMeters#p95Millis()}).
   *
   * @param vertx the Vert.x instance
   */
  public void sampleLatencies(Vertx vertx) {
    vertx.setPeriodic(1, POOL_REFRESH_MS, id -> tenants.values().forEach(TenantMeters::sample));
  }

  /**
   * Publishes every pool's state ({@code gateway_pool_state{tenant,state} 1}) and memory
   * ({@code gateway_pool_memory_bytes}), refreshed every few seconds on a worker thread (reading
   * the memory touches cgroup files).
   *
   * @param vertx the Vert.x instance
   * @param pools the managed pools
   */
  public void watchPools(Vertx vertx, PoolManager pools) {
    MultiGauge states = MultiGauge.builder("gateway.pool.state").description("1 for the state each pool is in")
      .register(registry);
    MultiGauge memory = MultiGauge.builder("gateway.pool.memory").baseUnit("bytes")
      .description("memory the pool uses now (from its cgroup)").register(registry);
    vertx.setPeriodic(1, POOL_REFRESH_MS, id -> vertx.executeBlocking(() -> {
      List<PoolStatus> statuses = pools.statuses();
      states.register(statuses.stream().map(s -> MultiGauge.Row.of(Tags.of("tenant", s.tenant(),
        "state", s.state().name()), 1)).toList(), true);
      memory.register(statuses.stream().filter(s -> s.memoryBytes() >= 0).map(s -> MultiGauge.Row.of(
        Tags.of("tenant", s.tenant()), s.memoryBytes())).toList(), true);
      return null;
    }, false));
  }

  /** @return the registry as a plain Micrometer registry, for binders */
  public MeterRegistry meterRegistry() {
    return registry;
  }
}
