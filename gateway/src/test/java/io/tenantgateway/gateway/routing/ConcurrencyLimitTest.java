package io.tenantgateway.gateway.routing;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ConcurrencyLimit}: slots up to the limit, a bounded FIFO of waiters, hand-over on release,
 * refusal when full or timed out, and no slot lost or counted twice.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ConcurrencyLimitTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void slotsUpToTheLimitThenFifoWaitersThenRefusal() throws Exception {
    ConcurrencyLimit limit = new ConcurrencyLimit(2);
    ConcurrencyLimit.Slot a = limit.acquire(vertx, 10_000, 2).await();
    ConcurrencyLimit.Slot b = limit.acquire(vertx, 10_000, 2).await();
    Future<ConcurrencyLimit.Slot> c = limit.acquire(vertx, 10_000, 2);
    Future<ConcurrencyLimit.Slot> d = limit.acquire(vertx, 10_000, 2);
    Future<ConcurrencyLimit.Slot> e = limit.acquire(vertx, 10_000, 2);
    assertFalse(c.isComplete());
    assertFalse(d.isComplete());
    assertInstanceOf(ConcurrencyLimit.Refused.class, e.cause(), "queue of 2 is full");
    assertEquals(2, limit.inFlight());
    assertEquals(2, limit.waiting());

    a.release();
    ConcurrencyLimit.Slot third = c.await(5, TimeUnit.SECONDS);
    assertFalse(d.isComplete(), "first in, first served");
    a.release();
    assertEquals(1, limit.waiting(), "a second release of the same slot hands nothing over");
    b.release();
    ConcurrencyLimit.Slot fourth = d.await(5, TimeUnit.SECONDS);
    assertEquals(2, limit.inFlight());
    third.release();
    fourth.release();
    assertEquals(0, limit.inFlight());
    assertEquals(0, limit.waiting());
  }

  @Test
  void aWaiterThatTimesOutIsRefusedAndLeavesNoSlotBehind() throws Exception {
    ConcurrencyLimit limit = new ConcurrencyLimit(1);
    ConcurrencyLimit.Slot held = limit.acquire(vertx, 10_000, 4).await();
    Future<ConcurrencyLimit.Slot> late = limit.acquire(vertx, 50, 4);
    Throwable refused = assertThrowsAwait(late);
    assertInstanceOf(ConcurrencyLimit.Refused.class, refused);
    assertTrue(refused.getMessage().contains("50 ms"), refused.getMessage());
    assertEquals(0, limit.waiting());
    held.release();
    assertEquals(0, limit.inFlight(), "the timed-out waiter got nothing");
    limit.acquire(vertx, 10, 4).await().release();
  }

  @Test
  void manyThreadsNeverExceedTheLimit() throws Exception {
    ConcurrencyLimit limit = new ConcurrencyLimit(3);
    java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger peak = new java.util.concurrent.atomic.AtomicInteger();
    java.util.List<Future<Void>> all = new java.util.ArrayList<>();
    for (int i = 0; i < 200; i++) {
      all.add(limit.acquire(vertx, 10_000, 1000).compose(slot -> {
        peak.accumulateAndGet(running.incrementAndGet(), Math::max);
        return vertx.timer(1).map(t -> {
          running.decrementAndGet();
          slot.release();
          return null;
        });
      }));
    }
    Future.all(all).await(15, TimeUnit.SECONDS);
    assertEquals(3, peak.get());
    assertEquals(0, limit.inFlight());
  }

  private static Throwable assertThrowsAwait(Future<?> future) throws InterruptedException {
    try {
      future.await(5, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("neither completed nor failed");
    } catch (Exception e) {
      return e;
    }
    throw new AssertionError("expected a refusal");
  }
}
