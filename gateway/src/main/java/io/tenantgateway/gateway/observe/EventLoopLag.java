package io.tenantgateway.gateway.observe;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How long a task waits in an event loop's queue before it runs, sampled every second: the figure
 * that shows an event loop being blocked or saturated ({@code gateway_event_loop_lag_seconds}).
 */
public final class EventLoopLag {

  private static final long PERIOD_MS = 1000;

  private EventLoopLag() {
  }

  /**
   * Starts sampling; call from the event loop's own context (a verticle's start), so that the timer
   * ends with the verticle.
   *
   * @param context the event loop's context
   * @param registry where the gauge goes
   * @param loop a label naming the loop
   */
  public static void watch(Context context, MeterRegistry registry, String loop) {
    AtomicLong lagNanos = new AtomicLong();
    Gauge.builder("gateway.event.loop.lag", lagNanos, lag -> lag.get() / 1e9).baseUnit("seconds")
      .description("time a task waited in the event loop's queue (sampled every second)").tag("loop", loop)
      .register(registry);
    context.owner().setPeriodic(PERIOD_MS, id -> {
      long queued = System.nanoTime();
      context.runOnContext(v -> lagNanos.set(System.nanoTime() - queued));
    });
  }
}
