package io.tenantgateway.gateway.observe;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TenantMeters}: the p95 the dashboard shows comes from histogram samples, not from work on
 * the request path, and covers only the requests between the oldest and newest sample.
 */
class TenantMetersTest {

  private static void requests(TenantMeters meters, int count, long millis) {
    for (int i = 0; i < count; i++) {
      meters.entered();
      meters.finished(200, TimeUnit.MILLISECONDS.toNanos(millis), -1, 0, 10);
    }
  }

  @Test
  void p95IsTheBucketHoldingThe95thPercentileOfTheSampledWindow() {
    TenantMeters meters = new TenantMeters(new SimpleMeterRegistry(), "blog");
    assertTrue(Double.isNaN(meters.p95Millis()), "no samples yet");
    meters.sample();
    requests(meters, 90, 3);
    requests(meters, 10, 200);
    meters.sample();
    assertEquals(250.0, meters.p95Millis(), "10 % took 200 ms: the 95th percentile is in the 250 ms bucket");

    for (int i = 0; i < TenantMeters.SAMPLES_KEPT; i++) {
      requests(meters, 100, 3);
      meters.sample();
    }
    assertEquals(5.0, meters.p95Millis(), "the slow requests have left the window");
    assertEquals(0, meters.inFlight());
  }

  @Test
  void noRequestsInTheWindowIsNaN() {
    TenantMeters meters = new TenantMeters(new SimpleMeterRegistry(), "idle");
    meters.sample();
    meters.sample();
    assertTrue(Double.isNaN(meters.p95Millis()));
  }
}
