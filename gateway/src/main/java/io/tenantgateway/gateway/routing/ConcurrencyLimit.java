package io.tenantgateway.gateway.routing;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayDeque;

/**
 * A tenant's cap on script requests in flight ({@code limits.max_concurrent}). Requests over the cap
 * wait in a FIFO queue (bounded by {@code fastcgi.max_queue}), each at most the queue timeout, as
 * nginx + php-fpm would hold a burst in the listen backlog; only beyond that are they refused. One
 * busy tenant holds no more than its own cap of the gateway's upstream work. Shared by every event loop: a slot
 * freed on one loop is handed to the oldest waiter on that waiter's own loop.
 */
public final class ConcurrencyLimit {

  private final int limit;
  private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
  private int inFlight;

  /** Why a request did not get a slot. */
  public static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  private record Waiter(Promise<Slot> promise, Context context, long[] timer) {
  }

  /** A held slot; {@link #release} once, when the request is over. */
  public final class Slot {
    private boolean released;

    /** Gives the slot back, to the oldest waiter if there is one. Idempotent. */
    public void release() {
      Waiter next;
      synchronized (ConcurrencyLimit.this) {
        if (released) {
          return;
        }
        released = true;
        next = waiting.pollFirst();
        if (next == null) {
          inFlight--;
          return;
        }
      }
      handOver(next);
    }
  }

  /**
   * @param limit most requests in flight
   */
  public ConcurrencyLimit(int limit) {
    this.limit = limit;
  }

  /**
   * @param vertx the Vert.x instance (for the wait timeout)
   * @param timeoutMillis longest wait for a slot
   * @param maxWaiting most requests waiting for a slot
   * @return a slot at once when one is free, later when one frees up, or a failure with
   *     {@link Refused} when the queue is full or the wait timed out
   */
  public Future<Slot> acquire(Vertx vertx, long timeoutMillis, int maxWaiting) {
    Waiter waiter;
    synchronized (this) {
      if (inFlight < limit) {
        inFlight++;
        return Future.succeededFuture(new Slot());
      }
      if (waiting.size() >= maxWaiting) {
        return Future.failedFuture(new Refused(limit + " requests in flight and " + maxWaiting + " waiting"));
      }
      waiter = new Waiter(Promise.promise(), vertx.getOrCreateContext(), new long[] {-1});
      waiting.addLast(waiter);
    }
    waiter.timer()[0] = vertx.setTimer(timeoutMillis, id -> {
      boolean removed;
      synchronized (this) {
        removed = waiting.remove(waiter);
      }
      if (removed) {
        waiter.promise().tryFail(new Refused("no free slot within " + timeoutMillis + " ms"));
      }
    });
    return waiter.promise().future();
  }

  /** @return requests in flight now */
  public synchronized int inFlight() {
    return inFlight;
  }

  /** @return requests waiting now */
  public synchronized int waiting() {
    return waiting.size();
  }

  private void handOver(Waiter next) {
    next.context().runOnContext(v -> {
      next.context().owner().cancelTimer(next.timer()[0]);
      if (!next.promise().tryComplete(new Slot())) {
        new Slot().release();
      }
    });
  }
}
