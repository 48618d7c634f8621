package io.tenantgateway.gateway.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One tenant's meters: requests (created once, then only incremented on the request path) and its
 * pool's starts, cold-start times, failed starts, crashes and restarts. The only label is the tenant
 * id (bounded by the registry) and, for the request counter, the status class.
 */
public final class TenantMeters {

  private static final String[] CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  private static final Duration[] LATENCY_BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(10),
    Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
    Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
    Duration.ofSeconds(10), Duration.ofSeconds(30)};

  private static final Duration[] COLD_START_BUCKETS = {Duration.ofMillis(25), Duration.ofMillis(50),
    Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
    Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10)};

  /** Histogram samples kept for the p95: a minute at {@link GatewayMetrics}' refresh period. */
  static final int SAMPLES_KEPT = 13;

  private final List<Meter> meters = new ArrayList<>();
  private final Counter[] requests = new Counter[CLASSES.length];
  private final Timer duration;
  private final Timer activationWait;
  private final Counter bytesIn;
  private final Counter bytesOut;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final java.util.ArrayDeque<double[]> samples = new java.util.ArrayDeque<>();
  private final Counter activations;
  private final Timer coldStart;
  private final Counter startFailures;
  private final Counter crashes;
  private final Counter restarts;

  TenantMeters(MeterRegistry registry, String tenant) {
    for (int i = 0; i < CLASSES.length; i++) {
      requests[i] = keep(Counter.builder("gateway.requests").description("requests answered, by status class")
        .tag("tenant", tenant).tag("status", CLASSES[i]).register(registry));
    }
    duration = keep(Timer.builder("gateway.request.duration").description("time to answer a request")
      .tag("tenant", tenant).serviceLevelObjectives(LATENCY_BUCKETS).register(registry));
    activationWait = keep(Timer.builder("gateway.activation.wait")
      .description("time a request waited for its tenant's pool to start").tag("tenant", tenant)
      .serviceLevelObjectives(LATENCY_BUCKETS).register(registry));
    bytesIn = keep(Counter.builder("gateway.bytes.received").baseUnit("bytes").tag("tenant", tenant)
      .register(registry));
    bytesOut = keep(Counter.builder("gateway.bytes.sent").baseUnit("bytes").tag("tenant", tenant)
      .register(registry));
    keep(Gauge.builder("gateway.requests.in.flight", inFlight, AtomicInteger::get)
      .description("requests of the tenant being answered now").tag("tenant", tenant).register(registry));
    activations = keep(Counter.builder("gateway.pool.activations").description("pool starts that answered")
      .tag("tenant", tenant).register(registry));
    coldStart = keep(Timer.builder("gateway.pool.cold.start").description("pool start, spawn to answered ping")
      .tag("tenant", tenant).serviceLevelObjectives(COLD_START_BUCKETS).register(registry));
    startFailures = keep(Counter.builder("gateway.pool.start.failures").tag("tenant", tenant).register(registry));
    crashes = keep(Counter.builder("gateway.pool.crashes").description("unexpected exits of a running pool")
      .tag("tenant", tenant).register(registry));
    restarts = keep(Counter.builder("gateway.pool.restarts").description("starts that followed a crash")
      .tag("tenant", tenant).register(registry));
  }

  void poolStarted(long millis, boolean afterCrash) {
    activations.increment();
    coldStart.record(millis, TimeUnit.MILLISECONDS);
    if (afterCrash) {
      restarts.increment();
    }
  }

  void poolStartFailed() {
    startFailures.increment();
  }

  void poolCrashed() {
    crashes.increment();
  }

  private <M extends Meter> M keep(M meter) {
    meters.add(meter);
    return meter;
  }

  void entered() {
    inFlight.incrementAndGet();
  }

  void finished(int status, long nanos, long activationNanos, long received, long sent) {
    inFlight.decrementAndGet();
    int index = status / 100 - 1;
    if (index >= 0 && index < CLASSES.length) {
      requests[index].increment();
    }
    duration.record(nanos, TimeUnit.NANOSECONDS);
    if (activationNanos >= 0) {
      activationWait.record(activationNanos, TimeUnit.NANOSECONDS);
    }
    bytesIn.increment(received);
    bytesOut.increment(sent);
  }

  /**
   * Remembers the request-time histogram as it is now; called every few seconds, so that
   * {@link #p95Millis()} can look at the last minute without any work on the request path.
   */
  synchronized void sample() {
    var snapshot = duration.takeSnapshot();
    CountAtBucket[] buckets = snapshot.histogramCounts();
    double[] counts = new double[buckets.length + 1];
    for (int i = 0; i < buckets.length; i++) {
      counts[i] = buckets[i].count();
    }
    counts[buckets.length] = snapshot.count();
    samples.addLast(counts);
    while (samples.size() > SAMPLES_KEPT) {
      samples.removeFirst();
    }
  }

  /**
   * @return the 95th percentile of the request times since the oldest kept sample (about a minute),
   *     as the upper bound of the histogram bucket it falls in, ms; NaN without requests
   */
  public synchronized double p95Millis() {
    if (samples.size() < 2) {
      return Double.NaN;
    }
    double[] first = samples.getFirst();
    double[] last = samples.getLast();
    double total = last[last.length - 1] - first[first.length - 1];
    if (total <= 0) {
      return Double.NaN;
    }
    for (int i = 0; i < last.length - 1; i++) {
      if (last[i] - first[i] >= 0.95 * total) {
        return LATENCY_BUCKETS[i].toNanos() / 1e6;
      }
    }
    return LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1].toNanos() / 1e6;
  }

  /** @return requests in flight now */
  public int inFlight() {
    return inFlight.get();
  }

  void remove(MeterRegistry registry) {
    meters.forEach(registry::remove);
  }
}
