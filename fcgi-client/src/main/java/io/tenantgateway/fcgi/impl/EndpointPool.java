package io.tenantgateway.fcgi.impl;

import io.tenantgateway.fcgi.FcgiBusyException;
import io.tenantgateway.fcgi.FcgiPoolStats;
import io.tenantgateway.fcgi.FcgiTimeoutException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Function;

/**
 * Connections to one endpoint, with admission control: never more than {@code limit} connections
 * open or opening; requests beyond that wait in a bounded FIFO queue with a timeout. Idle
 * connections are reused most-recent-first (preferring one on the caller's event loop), evicted
 * after the idle timeout, and retired after their maximum lifetime.
 *
 * <p>Thread-safe: the state is guarded by the pool's monitor, and no callback runs while it is
 * held. A connection must report its own close through {@link #closed}, exactly once.
 *
 * @param <C> the connection type
 */
public final class EndpointPool<C extends PooledConnection> {

  /** How many waiters a released connection looks through for one on its own event loop. */
  static final int AFFINITY_SCAN = 16;
  /** Once the oldest waiter has waited this long, it is served first whatever its event loop. */
  static final long AFFINITY_MAX_WAIT_NANOS = 5_000_000;
  /** Longest time between two sweeps of expired waiters, ms. */
  static final long QUEUE_SWEEP_MAX_MS = 50;

  private final Vertx vertx;
  private final Function<ContextInternal, Future<C>> connector;
  private final int maxQueueSize;
  private final long queueTimeout;
  private final long idleTimeout;
  private final long maxLifetime;
  private final ArrayDeque<Idle<C>> idle = new ArrayDeque<>();
  private final ArrayDeque<Waiter<C>> waiters = new ArrayDeque<>();
  private int limit;
  private int open;
  private boolean closed;
  /** The periodic sweep of expired waiters, running while anyone waits; -1 when stopped. */
  private long sweepTimer = -1;

  private record Idle<C>(C connection, long since) {
  }

  private static final class Waiter<C> {
    final ContextInternal context;
    final Promise<C> promise;
    final long since = System.nanoTime();

    Waiter(ContextInternal context) {
      this.context = context;
      this.promise = context.promise();
    }
  }

  /**
   * @param vertx for timers
   * @param connector opens a connection on the given context
   * @param limit the most connections open or opening
   * @param maxQueueSize the most waiting requests
   * @param queueTimeout longest wait in the queue, ms (0: none)
   * @param idleTimeout an idle connection older than this is closed, ms (0: never)
   * @param maxLifetime a connection older than this is not reused, ms (0: no limit)
   */
  public EndpointPool(Vertx vertx, Function<ContextInternal, Future<C>> connector, int limit, int maxQueueSize,
                      long queueTimeout, long idleTimeout, long maxLifetime) {
    this.vertx = vertx;
    this.connector = connector;
    this.limit = limit;
    this.maxQueueSize = maxQueueSize;
    this.queueTimeout = queueTimeout;
    this.idleTimeout = idleTimeout;
    this.maxLifetime = maxLifetime;
  }

  /**
   * Gets a connection: an idle one, a new one while under the limit, or one released later to this
   * request if it waits in the queue. The future completes on {@code context}.
   *
   * @param context the caller's context
   * @return the connection; failed with {@link FcgiBusyException} when the queue is full or the
   *     pool closed, {@link FcgiTimeoutException} (QUEUE) when the wait is too long, or the
   *     connector's failure
   */
  public Future<C> acquire(ContextInternal context) {
    List<C> expired = new ArrayList<>(0);
    C reuse = null;
    Waiter<C> waiter = null;
    boolean connect = false;
    String busy = null;
    long now = System.currentTimeMillis();
    synchronized (this) {
      if (closed) {
        busy = "connection pool closed";
      } else {
        reuse = takeIdle(context, now, expired);
        if (reuse == null) {
          if (open < limit) {
            open++;
            connect = true;
          } else if (waiters.size() < maxQueueSize) {
            waiter = new Waiter<>(context);
            waiters.addLast(waiter);
            if (queueTimeout > 0 && sweepTimer < 0) {
              sweepTimer = vertx.setPeriodic(sweepPeriod(), id -> expireWaiters());
            }
          } else {
            busy = "all " + limit + " connections busy and " + maxQueueSize + " requests queued";
          }
        }
      }
    }
    expired.forEach(PooledConnection::close);
    if (reuse != null) {
      return context.succeededFuture(reuse);
    }
    if (connect) {
      Promise<C> promise = context.promise();
      connect(context, promise);
      return promise.future();
    }
    if (waiter != null) {
      return waiter.promise.future();
    }
    return context.failedFuture(new FcgiBusyException(busy));
  }

  /**
   * Gives back a connection after a request.
   *
   * @param connection the connection
   * @param reusable false when the request did not end cleanly; the connection is then closed
   */
  public void release(C connection, boolean reusable) {
    Waiter<C> handOff = null;
    boolean close = false;
    synchronized (this) {
      if (!reusable || closed || !connection.isOpen() || tooOld(connection, System.currentTimeMillis())) {
        close = true;
      } else if (!waiters.isEmpty()) {
        handOff = nextWaiterFor(connection);
      } else {
        idle.addLast(new Idle<>(connection, System.currentTimeMillis()));
      }
    }
    if (close) {
      connection.close();
    } else if (handOff != null) {
      handOff.promise.complete(connection);
    }
  }

  /**
   * Reports that a connection closed (by either side). Frees its slot for a waiting request.
   *
   * @param connection the connection that closed
   */
  public void closed(C connection) {
    Waiter<C> next;
    synchronized (this) {
      open--;
      idle.removeIf(entry -> entry.connection() == connection);
      next = nextWaiterForNewConnection();
    }
    connectFor(next);
  }

  /**
   * Cancels a request still waiting in the queue.
   *
   * @param acquisition the future {@link #acquire} returned
   * @return true when it was waiting and is now failed; false when it already had a connection
   */
  public boolean cancel(Future<C> acquisition) {
    Waiter<C> removed = null;
    synchronized (this) {
      for (Iterator<Waiter<C>> it = waiters.iterator(); it.hasNext(); ) {
        Waiter<C> w = it.next();
        if (w.promise.future() == acquisition) {
          it.remove();
          removed = w;
          break;
        }
      }
    }
    if (removed == null) {
      return false;
    }
    removed.promise.tryFail(new FcgiBusyException("request cancelled while queued"));
    return true;
  }

  /**
   * Changes the connection limit; a raised limit lets waiting requests connect at once.
   *
   * @param newLimit the most connections open or opening
   */
  public void setLimit(int newLimit) {
    List<Waiter<C>> toConnect = new ArrayList<>();
    synchronized (this) {
      limit = newLimit;
      Waiter<C> w;
      while ((w = nextWaiterForNewConnection()) != null) {
        toConnect.add(w);
      }
    }
    toConnect.forEach(this::connectFor);
  }

  /**
   * Closes idle connections past the idle timeout or their lifetime. Called periodically.
   */
  public void evictIdle() {
    List<C> evicted = new ArrayList<>(0);
    long now = System.currentTimeMillis();
    synchronized (this) {
      for (Iterator<Idle<C>> it = idle.iterator(); it.hasNext(); ) {
        Idle<C> entry = it.next();
        if (tooOld(entry.connection(), now) || (idleTimeout > 0 && now - entry.since() >= idleTimeout)) {
          it.remove();
          evicted.add(entry.connection());
        }
      }
    }
    evicted.forEach(PooledConnection::close);
  }

  /**
   * Closes idle connections and fails every waiting request; connections in use close when
   * released.
   */
  public void close() {
    List<C> toClose;
    List<Waiter<C>> toFail;
    synchronized (this) {
      closed = true;
      toClose = new ArrayList<>();
      idle.forEach(entry -> toClose.add(entry.connection()));
      idle.clear();
      toFail = new ArrayList<>(waiters);
      waiters.clear();
      stopSweep();
    }
    toClose.forEach(PooledConnection::close);
    for (Waiter<C> w : toFail) {
      w.promise.tryFail(new FcgiBusyException("connection pool closed"));
    }
  }

  /** @return the current figures */
  public synchronized FcgiPoolStats stats() {
    return new FcgiPoolStats(open, idle.size(), waiters.size(), limit);
  }

  /**
   * The waiter a released connection goes to: the oldest one, unless a waiter on the connection's
   * own event loop is among the first {@link #AFFINITY_SCAN} and the oldest has waited less than
   * {@link #AFFINITY_MAX_WAIT_NANOS}. Serving a request on its own loop saves two thread hops;
   * the age bound keeps the queue fair.
   */
  private Waiter<C> nextWaiterFor(C connection) {
    Waiter<C> head = waiters.peekFirst();
    if (sameLoop(head.context, connection.context()) || System.nanoTime() - head.since > AFFINITY_MAX_WAIT_NANOS) {
      return waiters.pollFirst();
    }
    int scanned = 0;
    for (Iterator<Waiter<C>> it = waiters.iterator(); it.hasNext() && scanned < AFFINITY_SCAN; scanned++) {
      Waiter<C> w = it.next();
      if (sameLoop(w.context, connection.context())) {
        it.remove();
        return w;
      }
    }
    return waiters.pollFirst();
  }

  private static boolean sameLoop(ContextInternal waiter, Context connection) {
    return connection instanceof ContextInternal
      && waiter.nettyEventLoop() == ((ContextInternal) connection).nettyEventLoop();
  }

  private void connect(ContextInternal context, Promise<C> promise) {
    Future<C> attempt;
    try {
      attempt = connector.apply(context);
    } catch (RuntimeException e) {
      attempt = context.failedFuture(e);
    }
    attempt.onComplete(ar -> {
      if (ar.succeeded()) {
        boolean late;
        synchronized (this) {
          late = closed;
        }
        if (late) {
          ar.result().close();
          promise.tryFail(new FcgiBusyException("connection pool closed"));
        } else if (!promise.tryComplete(ar.result())) {
          release(ar.result(), true);
        }
      } else {
        Waiter<C> next;
        synchronized (this) {
          open--;
          next = nextWaiterForNewConnection();
        }
        promise.tryFail(ar.cause());
        connectFor(next);
      }
    });
  }

  private void connectFor(Waiter<C> waiter) {
    if (waiter != null) {
      connect(waiter.context, waiter.promise);
    }
  }

  private Waiter<C> nextWaiterForNewConnection() {
    if (closed || open >= limit || waiters.isEmpty()) {
      return null;
    }
    open++;
    return waiters.pollFirst();
  }

  /**
   * Fails the waiters whose wait reached the queue timeout; stops the sweep once nobody waits.
   * Waiters leave the queue out of order (a connection may go to one on its own loop) but join it
   * in order of arrival, so the expired ones are at its head.
   */
  private void expireWaiters() {
    List<Waiter<C>> expired = new ArrayList<>(0);
    synchronized (this) {
      long deadline = System.nanoTime() - queueTimeout * 1_000_000;
      Waiter<C> head;
      while ((head = waiters.peekFirst()) != null && head.since - deadline <= 0) {
        expired.add(waiters.pollFirst());
      }
      if (waiters.isEmpty()) {
        stopSweep();
      }
    }
    for (Waiter<C> w : expired) {
      w.promise.tryFail(new FcgiTimeoutException(FcgiTimeoutException.Phase.QUEUE, queueTimeout));
    }
  }

  /** A waiter fails within a quarter of the queue timeout of its deadline, and within 50 ms. */
  private long sweepPeriod() {
    return Math.max(1, Math.min(QUEUE_SWEEP_MAX_MS, queueTimeout / 4));
  }

  private void stopSweep() {
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
      sweepTimer = -1;
    }
  }

  private C takeIdle(ContextInternal context, long now, List<C> expired) {
    Idle<C> chosen = null;
    for (Iterator<Idle<C>> it = idle.descendingIterator(); it.hasNext(); ) {
      Idle<C> entry = it.next();
      C c = entry.connection();
      if (!c.isOpen() || tooOld(c, now)) {
        it.remove();
        expired.add(c);
      } else if (chosen == null || c.context() == context && chosen.connection().context() != context) {
        chosen = entry;
      }
    }
    if (chosen == null) {
      return null;
    }
    idle.remove(chosen);
    return chosen.connection();
  }

  private boolean tooOld(C c, long now) {
    return maxLifetime > 0 && now - c.createdAt() >= maxLifetime;
  }
}
