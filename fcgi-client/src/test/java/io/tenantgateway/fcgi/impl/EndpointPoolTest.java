package io.tenantgateway.fcgi.impl;

import io.tenantgateway.fcgi.FcgiBusyException;
import io.tenantgateway.fcgi.FcgiConnectException;
import io.tenantgateway.fcgi.FcgiPoolStats;
import io.tenantgateway.fcgi.FcgiTimeoutException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pool with a fake connection and a connector completed by hand: no sockets, every ordering
 * chosen by the test. Connector futures carry no context, so completing one runs the pool's
 * continuation at once on the test thread.
 */
@ExtendWith(VertxExtension.class)
class EndpointPoolTest {

  static final class FakeConnection implements PooledConnection {
    final Context context;
    final String name;
    volatile long createdAt = System.currentTimeMillis();
    volatile boolean open = true;
    int closeCalls;

    FakeConnection(Context context, String name) {
      this.context = context;
      this.name = name;
    }

    @Override
    public Context context() {
      return context;
    }

    @Override
    public long createdAt() {
      return createdAt;
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() {
      closeCalls++;
      open = false;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** A connect the pool asked for, waiting for the test to complete it. */
  record Connect(ContextInternal context, Promise<FakeConnection> promise) {
  }

  private Vertx vertx;
  private ContextInternal ctx;
  private final ArrayDeque<Connect> connects = new ArrayDeque<>();
  private int connectionCount;
  private RuntimeException connectorThrows;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    this.ctx = (ContextInternal) vertx.getOrCreateContext();
  }

  private EndpointPool<FakeConnection> pool(int limit, int maxQueue, long queueTimeout, long idleTimeout,
                                            long maxLifetime) {
    return new EndpointPool<>(vertx, context -> {
      if (connectorThrows != null) {
        throw connectorThrows;
      }
      Promise<FakeConnection> promise = Promise.promise();
      connects.add(new Connect(context, promise));
      return promise.future();
    }, limit, maxQueue, queueTimeout, idleTimeout, maxLifetime);
  }

  private EndpointPool<FakeConnection> pool(int limit, int maxQueue) {
    return pool(limit, maxQueue, 0, 0, 0);
  }

  /** Completes the oldest connect the pool asked for with a new connection. */
  private FakeConnection completeConnect() {
    Connect connect = connects.poll();
    assertTrue(connect != null, "the pool asked for a connection");
    FakeConnection conn = new FakeConnection(connect.context(), "c" + (++connectionCount));
    connect.promise().complete(conn);
    return conn;
  }

  private static void assertStats(EndpointPool<?> pool, int open, int idle, int waiting) {
    FcgiPoolStats stats = pool.stats();
    assertEquals(open, stats.open(), "open " + stats);
    assertEquals(idle, stats.idle(), "idle " + stats);
    assertEquals(waiting, stats.waiting(), "waiting " + stats);
  }

  @Test
  void neverMoreThanLimitOpeningOrOpen() {
    EndpointPool<FakeConnection> pool = pool(2, 100);
    List<Future<FakeConnection>> acquisitions = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      acquisitions.add(pool.acquire(ctx));
    }
    assertEquals(2, connects.size(), "only two connects while two are opening");
    assertStats(pool, 2, 0, 4);
    FakeConnection c1 = completeConnect();
    FakeConnection c2 = completeConnect();
    assertSame(c1, acquisitions.get(0).result());
    assertSame(c2, acquisitions.get(1).result());
    for (int i = 2; i < 6; i++) {
      assertFalse(acquisitions.get(i).isComplete());
    }
    assertEquals(0, connects.size(), "no connect beyond the limit once open");
    assertStats(pool, 2, 0, 4);
    assertEquals(2, pool.stats().limit());
  }

  @Test
  void waitersServedFifoOnRelease() {
    EndpointPool<FakeConnection> pool = pool(1, 100);
    Future<FakeConnection> first = pool.acquire(ctx);
    List<Future<FakeConnection>> waiting = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      waiting.add(pool.acquire(ctx));
    }
    FakeConnection conn = completeConnect();
    assertSame(conn, first.result());
    for (int i = 0; i < 4; i++) {
      for (int j = i; j < 4; j++) {
        assertFalse(waiting.get(j).isComplete(), "waiter " + j + " still waits after " + i + " releases");
      }
      pool.release(conn, true);
      assertSame(conn, waiting.get(i).result(), "waiter " + i + " served in order");
      assertStats(pool, 1, 0, 3 - i);
    }
    pool.release(conn, true);
    assertStats(pool, 1, 1, 0);
    assertEquals(0, connects.size());
    assertEquals(0, conn.closeCalls);
  }

  @Test
  void idleConnectionIsReused() {
    EndpointPool<FakeConnection> pool = pool(4, 100);
    Future<FakeConnection> a = pool.acquire(ctx);
    FakeConnection conn = completeConnect();
    pool.release(a.result(), true);
    Future<FakeConnection> b = pool.acquire(ctx);
    assertTrue(b.succeeded());
    assertSame(conn, b.result());
    assertEquals(0, connects.size());
    assertStats(pool, 1, 0, 0);
  }

  @Test
  void idleReusePrefersMostRecentThenCallersContext() {
    EndpointPool<FakeConnection> pool = pool(4, 100);
    ContextInternal other = (ContextInternal) vertx.getOrCreateContext();
    assertNotSame(ctx, other);
    Future<FakeConnection> a = pool.acquire(ctx);
    FakeConnection onCtx = completeConnect();
    Future<FakeConnection> b = pool.acquire(other);
    FakeConnection onOther = completeConnect();
    Future<FakeConnection> c = pool.acquire(other);
    FakeConnection onOther2 = completeConnect();
    pool.release(a.result(), true);
    pool.release(b.result(), true);
    pool.release(c.result(), true);
    assertSame(onCtx, pool.acquire(ctx).result(), "same event loop preferred");
    assertSame(onOther2, pool.acquire(ctx).result(), "then the most recently released");
    assertSame(onOther, pool.acquire(other).result());
  }

  @Test
  void queueFullFailsAtOnce() {
    EndpointPool<FakeConnection> pool = pool(1, 2);
    pool.acquire(ctx);
    Future<FakeConnection> w1 = pool.acquire(ctx);
    Future<FakeConnection> w2 = pool.acquire(ctx);
    Future<FakeConnection> rejected = pool.acquire(ctx);
    assertTrue(rejected.failed(), "failed at once, not queued");
    assertInstanceOf(FcgiBusyException.class, rejected.cause());
    assertFalse(w1.isComplete());
    assertFalse(w2.isComplete());
    assertStats(pool, 1, 0, 2);
  }

  @Test
  void zeroQueueFailsAtOnce() {
    EndpointPool<FakeConnection> pool = pool(1, 0);
    pool.acquire(ctx);
    assertInstanceOf(FcgiBusyException.class, pool.acquire(ctx).cause());
  }

  @Test
  void queueTimeout(VertxTestContext test) {
    EndpointPool<FakeConnection> pool = pool(1, 10, 50, 0, 0);
    Future<FakeConnection> first = pool.acquire(ctx);
    completeConnect();
    long start = System.nanoTime();
    pool.acquire(ctx).onComplete(test.failing(err -> test.verify(() -> {
      assertInstanceOf(FcgiTimeoutException.class, err);
      assertEquals(FcgiTimeoutException.Phase.QUEUE, ((FcgiTimeoutException) err).phase());
      assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(45));
      assertStats(pool, 1, 0, 0);
      // the slot holder is unaffected; its release makes the connection idle, not handed to the expired waiter
      pool.release(first.result(), true);
      assertStats(pool, 1, 1, 0);
      test.completeNow();
    })));
  }

  @Test
  void servedWaiterDoesNotTimeOut(VertxTestContext test) {
    EndpointPool<FakeConnection> pool = pool(1, 10, 100, 0, 0);
    Future<FakeConnection> first = pool.acquire(ctx);
    FakeConnection conn = completeConnect();
    Future<FakeConnection> second = pool.acquire(ctx);
    pool.release(first.result(), true);
    assertSame(conn, second.result());
    // a third waiter times out; by then the second must still hold its connection untouched
    pool.acquire(ctx).onComplete(test.failing(err -> test.verify(() -> {
      assertInstanceOf(FcgiTimeoutException.class, err);
      assertTrue(second.succeeded());
      assertEquals(0, conn.closeCalls);
      test.completeNow();
    })));
  }

  @Test
  void releaseNotReusableClosesAndSlotWaitsForClosed() {
    EndpointPool<FakeConnection> pool = pool(1, 10);
    Future<FakeConnection> first = pool.acquire(ctx);
    FakeConnection conn = completeConnect();
    Future<FakeConnection> waiter = pool.acquire(ctx);
    pool.release(first.result(), false);
    assertEquals(1, conn.closeCalls);
    assertEquals(0, connects.size(), "no new connection before the old one reported its close");
    assertFalse(waiter.isComplete());
    assertStats(pool, 1, 0, 1);
    pool.closed(conn);
    assertEquals(1, connects.size(), "the freed slot connects for the waiter");
    assertStats(pool, 1, 0, 0);
    FakeConnection fresh = completeConnect();
    assertSame(fresh, waiter.result());
  }

  @Test
  void releaseOfAClosedConnectionClosesIt() {
    EndpointPool<FakeConnection> pool = pool(1, 10);
    Future<FakeConnection> first = pool.acquire(ctx);
    FakeConnection conn = completeConnect();
    Future<FakeConnection> waiter = pool.acquire(ctx);
    conn.open = false;
    pool.release(first.result(), true);
    assertFalse(waiter.isComplete(), "a dead connection is not handed to a waiter");
    pool.closed(conn);
    completeConnect();
    assertTrue(waiter.succeeded());
  }

  @Test
  void connectFailureFailsThatRequestAndNextWaiterTries() {
    EndpointPool<FakeConnection> pool = pool(1, 10);
    Future<FakeConnection> first = pool.acquire(ctx);
    Future<FakeConnection> second = pool.acquire(ctx);
    FcgiConnectException refused = new FcgiConnectException("refused", null);
    connects.poll().promise().fail(refused);
    assertSame(refused, first.cause());
    assertFalse(second.isComplete());
    assertEquals(1, connects.size(), "the next waiter tries its own connect");
    assertStats(pool, 1, 0, 0);
    FakeConnection conn = completeConnect();
    assertSame(conn, second.result());
  }

  @Test
  void connectFailureWithoutWaitersFreesTheSlot() {
    EndpointPool<FakeConnection> pool = pool(1, 10);
    Future<FakeConnection> first = pool.acquire(ctx);
    connects.poll().promise().fail(new FcgiConnectException("refused", null));
    assertTrue(first.failed());
    assertStats(pool, 0, 0, 0);
    Future<FakeConnection> again = pool.acquire(ctx);
    completeConnect();
    assertTrue(again.succeeded());
  }

  @Test
  void connectorThatThrowsFailsTheRequest(VertxTestContext test) {
    EndpointPool<FakeConnection> pool = pool(1, 10);
    connectorThrows = new IllegalStateException("boom");
    pool.acquire(ctx).onComplete(test.failing(err -> test.verify(() -> {
      assertSame(connectorThrows, err);
      assertStats(pool, 0, 0, 0);
      test.completeNow();
    })));
  }

  @Test
  void idleEviction(VertxTestContext test) {
    EndpointPool<FakeConnection> pool = pool(2, 10, 0, 300, 0);
    Future<FakeConnection> a = pool.acquire(ctx);
    FakeConnection conn = completeConnect();
    pool.release(a.result(), true);
    pool.evictIdle();
    assertEquals(0, conn.closeCalls, "not idle long enough yet");
    assertStats(pool, 1, 1, 0);
    vertx.setTimer(600, id -> test.verify(() -> {
      pool.evictIdle();
      assertEquals(1, conn.closeCalls);
      assertStats(pool, 1, 0, 0);
      pool.closed(conn);
      assertStats(pool, 0, 0, 0);
      test.completeNow();
    }));
  }

  @Test
  void noIdleTimeoutNeverEvicts(VertxTestContext test) {
    EndpointPool<FakeConnection> pool = pool(2, 10, 0, 0, 0);
    Future<FakeConnection> a = pool.acquire(ctx);
    FakeConnection conn = completeConnect();
    pool.release(a.result(), true);
    vertx.setTimer(20, id -> test.verify(() -> {
      pool.evictIdle();
      assertEquals(0, conn.closeCalls);
      assertStats(pool, 1, 1, 0);
      test.completeNow();
    }));
  }

  @Test
  void idleConnectionClosedByPeerLeavesThePool() {
    EndpointPool<FakeConnection> pool = pool(1, 10);
    Future<FakeConnection> a = pool.acquire(ctx);
    FakeConnection conn = completeConnect();
    pool.release(a.result(), true);
    conn.open = false;
    pool.closed(conn);
    assertStats(pool, 0, 0, 0);
    Future<FakeConnection> b = pool.acquire(ctx);
    assertFalse(b.isComplete(), "a new connection, not the closed one");
    assertNotSame(conn, completeConnect());
  }

  @Test
  void maxLifetimeOnRelease() {
    EndpointPool<FakeConnection> pool = pool(1, 10, 0, 0, 5_000);
    Future<FakeConnection> a = pool.acquire(ctx);
    FakeConnection conn = completeConnect();
    Future<FakeConnection> waiter = pool.acquire(ctx);
    conn.createdAt = System.currentTimeMillis() - 5_001;
    pool.release(a.result(), true);
    assertEquals(1, conn.closeCalls, "too old to reuse");
    assertFalse(waiter.isComplete());
    pool.closed(conn);
    FakeConnection fresh = completeConnect();
    assertSame(fresh, waiter.result());
  }

  @Test
  void maxLifetimeWhileIdle() {
    EndpointPool<FakeConnection> pool = pool(2, 10, 0, 0, 5_000);
    Future<FakeConnection> a = pool.acquire(ctx);
    FakeConnection conn = completeConnect();
    pool.release(a.result(), true);
    conn.createdAt = System.currentTimeMillis() - 5_001;
    Future<FakeConnection> b = pool.acquire(ctx);
    assertEquals(1, conn.closeCalls, "an idle connection past its lifetime is not handed out");
    assertFalse(b.isComplete());
    assertSame(completeConnect(), b.result());
    pool.closed(conn);
    assertStats(pool, 1, 0, 0);
  }

  @Test
  void maxLifetimeOnEviction() {
    EndpointPool<FakeConnection> pool = pool(2, 10, 0, 0, 5_000);
    Future<FakeConnection> a = pool.acquire(ctx);
    FakeConnection conn = completeConnect();
    pool.release(a.result(), true);
    pool.evictIdle();
    assertEquals(0, conn.closeCalls);
    conn.createdAt = System.currentTimeMillis() - 5_001;
    pool.evictIdle();
    assertEquals(1, conn.closeCalls);
    assertStats(pool, 1, 0, 0);
  }

  @Test
  void cancelWaitingAcquisition() {
    EndpointPool<FakeConnection> pool = pool(1, 10);
    Future<FakeConnection> first = pool.acquire(ctx);
    FakeConnection conn = completeConnect();
    Future<FakeConnection> w1 = pool.acquire(ctx);
    Future<FakeConnection> w2 = pool.acquire(ctx);
    assertTrue(pool.cancel(w1));
    assertInstanceOf(FcgiBusyException.class, w1.cause());
    assertStats(pool, 1, 0, 1);
    assertFalse(pool.cancel(w1), "cancelled once only");
    assertFalse(pool.cancel(first), "a served acquisition is not cancelled");
    pool.release(first.result(), true);
    assertSame(conn, w2.result(), "the next waiter, not the cancelled one, gets the connection");
    pool.release(conn, true);
    assertStats(pool, 1, 1, 0);
  }

  @Test
  void cancelConnectingAcquisitionIsRefused() {
    EndpointPool<FakeConnection> pool = pool(1, 10);
    Future<FakeConnection> first = pool.acquire(ctx);
    assertFalse(pool.cancel(first), "only a queued acquisition can be cancelled");
    completeConnect();
    assertTrue(first.succeeded());
  }

  @Test
  void closeClosesIdleAndInUseOnRelease() {
    EndpointPool<FakeConnection> pool = pool(2, 10);
    Future<FakeConnection> a = pool.acquire(ctx);
    Future<FakeConnection> b = pool.acquire(ctx);
    FakeConnection idleConn = completeConnect();
    FakeConnection busyConn = completeConnect();
    pool.release(a.result(), true);
    assertStats(pool, 2, 1, 0);
    pool.close();
    assertEquals(1, idleConn.closeCalls, "idle connections close at once");
    assertEquals(0, busyConn.closeCalls, "a connection in use is left to its request");
    pool.release(b.result(), true);
    assertEquals(1, busyConn.closeCalls, "and closes when released");
    pool.closed(idleConn);
    pool.closed(busyConn);
    assertStats(pool, 0, 0, 0);
    assertInstanceOf(FcgiBusyException.class, pool.acquire(ctx).cause());
    assertEquals(0, connects.size());
  }

  @Test
  void closeClosesIdleConnections() {
    EndpointPool<FakeConnection> pool = pool(2, 10);
    Future<FakeConnection> a = pool.acquire(ctx);
    FakeConnection conn = completeConnect();
    pool.release(a.result(), true);
    Future<FakeConnection> w = pool.acquire(ctx);
    assertSame(conn, w.result());
    pool.release(conn, true);
    pool.close();
    assertEquals(1, conn.closeCalls);
    pool.closed(conn);
    assertStats(pool, 0, 0, 0);
  }

  @Test
  void closeFailsQueuedWaiters() {
    EndpointPool<FakeConnection> pool = pool(1, 10, 10_000, 0, 0);
    pool.acquire(ctx);
    Future<FakeConnection> w1 = pool.acquire(ctx);
    Future<FakeConnection> w2 = pool.acquire(ctx);
    pool.close();
    assertInstanceOf(FcgiBusyException.class, w1.cause());
    assertInstanceOf(FcgiBusyException.class, w2.cause());
    assertStats(pool, 1, 0, 0);
    FakeConnection late = completeConnect();
    assertEquals(1, late.closeCalls);
    pool.closed(late);
    assertStats(pool, 0, 0, 0);
  }

  @Test
  void raisingTheLimitServesWaiters() {
    EndpointPool<FakeConnection> pool = pool(1, 10);
    Future<FakeConnection> first = pool.acquire(ctx);
    List<Future<FakeConnection>> waiting = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      waiting.add(pool.acquire(ctx));
    }
    assertEquals(1, connects.size());
    pool.setLimit(3);
    assertEquals(3, connects.size(), "two more connects at once");
    assertStats(pool, 3, 0, 2);
    assertEquals(3, pool.stats().limit());
    FakeConnection c1 = completeConnect();
    FakeConnection c2 = completeConnect();
    FakeConnection c3 = completeConnect();
    assertSame(c1, first.result());
    assertSame(c2, waiting.get(0).result(), "FIFO");
    assertSame(c3, waiting.get(1).result());
    assertFalse(waiting.get(2).isComplete());
    assertFalse(waiting.get(3).isComplete());
  }

  @Test
  void loweringTheLimitHoldsNewConnects() {
    EndpointPool<FakeConnection> pool = pool(3, 10);
    Future<FakeConnection> a = pool.acquire(ctx);
    Future<FakeConnection> b = pool.acquire(ctx);
    completeConnect();
    FakeConnection cb = completeConnect();
    pool.setLimit(1);
    Future<FakeConnection> w = pool.acquire(ctx);
    assertFalse(w.isComplete());
    assertEquals(0, connects.size(), "over the new limit: wait");
    pool.release(a.result(), false);
    pool.closed(a.result());
    assertEquals(0, connects.size(), "still at the limit with one open");
    pool.release(b.result(), true);
    assertSame(cb, w.result());
  }
}
