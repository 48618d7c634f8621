package io.tenantgateway.provisioner;

import io.tenantgateway.provisioner.PhpFpmTestSupport.Reply;
import io.tenantgateway.provisioner.impl.PoolLayout;
import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.Set;

import static io.tenantgateway.provisioner.PhpFpmTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * PoolManager against a real php-fpm: cold start, one activation for many waiters, idle stop,
 * crash and restart, crash loop to FAILED, graceful stop, spec change. Pools run as tg-&lt;id&gt;
 * when the tests run as root.
 */
class PoolLifecycleTest extends ManagedPoolsTestBase {

  static final List<String> IDS = List.of("pt-cold", "pt-conc", "pt-idle", "pt-crash", "pt-loop", "pt-bad",
    "pt-grace", "pt-spec", "pt-left");

  @Override
  List<String> ids() {
    return IDS;
  }

  private PoolManager manager(ProvisionerOptions options) {
    manager = PoolManager.create(vertx, options);
    return manager;
  }

  /**
   * The operator starts a pool and, while it starts, starts it again with a changed spec: the
   * second start completes once the pool runs the changed spec (the first start's run is stopped
   * for it as soon as it answers).
   */
  @Test
  void anOperatorStartWithASpecChangedDuringTheStartCompletesWhenTheNewSpecRuns() throws Exception {
    manager(defaults());
    Future<Void> first = manager.start(spec("pt-spec", docroot, 2, 60));
    assertEquals(PoolState.STARTING, status(manager, "pt-spec").state());
    PoolSpec three = spec("pt-spec", docroot, 3, 60);
    await(manager.start(three));
    await(first);
    assertEquals(PoolState.RUNNING, status(manager, "pt-spec").state());
    assertTrue(Files.readString(PoolLayout.of(runDir, "pt-spec").config()).contains("pm.max_children = 3"),
      "the older spec of the first start is not brought back");
  }

  /** Users-only, so that PHP's pids are the host's; namespaced pools are PoolEscapeTest's. */
  private ProvisionerOptions defaults() {
    return ProvisionerOptions.defaults(runDir, TEMPLATE).withIsolation(Isolation.USERS_ONLY);
  }

  @Test
  void coldStartServesAsTenantUser() throws Exception {
    manager(defaults());
    PoolSpec spec = spec("pt-cold", docroot, 2, 60);
    assertNull(status(manager, "pt-cold"), "no pool before the first acquire");

    Future<PoolLease> leased = manager.acquire(spec);
    PoolStatus starting = status(manager, "pt-cold");
    assertNotNull(starting);
    assertEquals(PoolState.STARTING, starting.state(), "the launch runs on a worker thread");
    assertEquals(-1, starting.pid());
    PoolLease lease = await(leased);
    Reply reply;
    try {
      reply = await(send(client, lease, docroot, "info.php"));
    } finally {
      lease.release();
    }
    assertEquals(200, reply.status(), reply.body());

    PoolStatus status = status(manager, "pt-cold");
    assertEquals(PoolState.RUNNING, status.state());
    assertTrue(status.pid() > 0, status.toString());
    assertTrue(status.startedAtMillis() > 0);
    assertTrue(status.lastActivationMillis() >= 0);
    assertEquals(1, status.requests());
    assertEquals(0, status.crashes());
    String[] f = reply.fields();
    assertNotEquals(Long.toString(status.pid()), f[0], "served by a worker, not the master");
    assertEquals(Long.toString(status.pid()), f[1], "the worker's parent is the master in the status");
    assertEquals(List.of(status.pid()), masters(runDir, "pt-cold"));
    if (isRoot()) {
      long uid = uidOf("tg-pt-cold");
      assertEquals(uid, status.uid());
      assertEquals(Long.toString(uid), f[2], "worker euid");
      assertEquals("tg-pt-cold", f[3]);
      assertEquals(uid, procUid(status.pid()), "the master itself runs as the tenant user");
      assertTrue(manager.isolation().contains("per-tenant"));
    }
  }

  /** Issue 11: an operator can see when a stop emptied APCu and OPcache (a run that served requests ended). */
  @Test
  void aStoppedRunThatServedRequestsIsReportedAsHavingLostItsMemory() throws Exception {
    manager(defaults());
    PoolSpec spec = spec("pt-lost", docroot, 1, 60);
    long before = System.currentTimeMillis();
    assertEquals(200, await(request(manager, client, spec, "info.php")).status());
    assertEquals(0, status(manager, "pt-lost").memoryStateLostAtMillis(), "nothing lost while the run goes on");
    await(manager.stop("pt-lost"));
    long lost = status(manager, "pt-lost").memoryStateLostAtMillis();
    assertTrue(lost >= before, "the stop after a served request is recorded: " + lost);
  }

  @Test
  void concurrentAcquiresShareOneActivation() throws Exception {
    manager(defaults());
    client.close();
    client = keepAliveClient(vertx);
    PoolSpec spec = spec("pt-conc", docroot, 4, 60);
    List<Future<Reply>> replies = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      replies.add(request(manager, client, spec, "info.php"));
    }
    await(Future.all(replies), 30_000);
    PoolStatus status = status(manager, "pt-conc");
    Set<String> parents = new HashSet<>();
    for (Future<Reply> r : replies) {
      assertEquals(200, r.result().status(), r.result().body());
      parents.add(r.result().fields()[1]);
    }
    assertEquals(Set.of(Long.toString(status.pid())), parents, "every request served by one master");
    assertEquals(List.of(status.pid()), masters(runDir, "pt-conc"));
    assertEquals(100, status.requests());
    assertEquals(PoolState.RUNNING, status.state());
    assertEquals(0, status.crashes());
  }

  @Test
  void concurrentRequestsToRunningPool() throws Exception {
    manager(defaults());
    client.close();
    client = keepAliveClient(vertx);
    PoolSpec spec = spec("pt-conc", docroot, 4, 60);
    assertEquals(200, await(request(manager, client, spec, "info.php")).status());
    List<Future<Reply>> replies = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      replies.add(request(manager, client, spec, "info.php"));
    }
    await(Future.all(replies), 30_000);
    long pid = status(manager, "pt-conc").pid();
    for (Future<Reply> r : replies) {
      assertEquals(200, r.result().status());
      assertEquals(Long.toString(pid), r.result().fields()[1]);
    }
    assertEquals(101, status(manager, "pt-conc").requests());
  }

  @Test
  void aDeletedTenantsFilesAndSessionsDoNotPassToALaterTenantWithTheSameId() throws Exception {
    manager(defaults());
    PoolSpec spec = spec("pt-gone", docroot, 2, 60);
    assertEquals(200, await(request(manager, client, spec, "info.php")).status());
    PoolLayout layout = PoolLayout.of(runDir, "pt-gone");
    Path session = layout.tmp().resolve("sess_left-behind");
    Files.writeString(session, "secret|s:6:\"secret\";");
    await(manager.remove("pt-gone"), 10_000);
    assertFalse(Files.exists(layout.dir()), "the pool directory, its sessions with it, is removed");
    assertNull(status(manager, "pt-gone"));
    assertEquals(200, await(request(manager, client, spec, "info.php")).status(), "a new tenant with the id");
    assertFalse(Files.exists(session), "the old tenant's session is not the new one's");
  }

  @Test
  void idlePoolStopsAndRestartsOnDemand() throws Exception {
    manager(defaults());
    PoolSpec spec = spec("pt-idle", docroot, 2, 1);
    Reply first = await(request(manager, client, spec, "info.php"));
    assertEquals(200, first.status());
    long pid = status(manager, "pt-idle").pid();
    assertTrue(alive(pid));

    PoolStatus stopped = waitForState(manager, "pt-idle", PoolState.STOPPED, 10_000);
    assertEquals(-1, stopped.pid());
    waitFor("master " + pid + " to exit", 5_000, () -> !alive(pid));
    waitFor("no master left", 5_000, () -> {
      try {
        return masters(runDir, "pt-idle").isEmpty();
      } catch (Exception e) {
        return false;
      }
    });

    Reply second = await(request(manager, client, spec, "info.php"));
    assertEquals(200, second.status());
    long newPid = status(manager, "pt-idle").pid();
    assertTrue(newPid > 0);
    assertNotEquals(pid, newPid);
    assertEquals(Long.toString(newPid), second.fields()[1]);
  }

  @Test
  void idlePoolWithLeaseOutIsNotStopped() throws Exception {
    manager(defaults());
    PoolSpec spec = spec("pt-idle", docroot, 2, 1);
    PoolLease lease = await(manager.acquire(spec));
    try {
      long pid = status(manager, "pt-idle").pid();
      // three idle checks pass past the timeout with the lease out
      long until = System.currentTimeMillis() + 1000 + 3 * PoolManager.IDLE_CHECK_PERIOD_MS;
      waitFor("time to pass", 5_000, () -> System.currentTimeMillis() >= until);
      assertEquals(PoolState.RUNNING, status(manager, "pt-idle").state());
      assertEquals(pid, status(manager, "pt-idle").pid());
    } finally {
      lease.release();
    }
    waitForState(manager, "pt-idle", PoolState.STOPPED, 10_000);
  }

  @Test
  void killedMasterCrashesAndRestartsOnNextAcquire() throws Exception {
    manager(defaults().withCrashPolicy(5, 10, 60_000));
    List<String> closed = new java.util.concurrent.CopyOnWriteArrayList<>();
    manager.onStopping(endpoint -> closed.add(endpoint.key()));
    PoolSpec spec = spec("pt-crash", docroot, 2, 60);
    java.util.concurrent.atomic.AtomicReference<String> used = new java.util.concurrent.atomic.AtomicReference<>();
    assertEquals(200, await(manager.acquire(spec).compose(lease -> {
      used.set(lease.endpoint().key());
      return send(client, lease, docroot, "info.php").andThen(ar -> lease.release());
    })).status());
    long pid = status(manager, "pt-crash").pid();

    kill9(pid);
    PoolStatus crashed = waitForState(manager, "pt-crash", PoolState.CRASHED, 5_000);
    assertEquals(1, crashed.crashes());
    assertEquals(-1, crashed.pid());
    // the killed master's workers do not live on unsupervised
    waitFor("orphaned workers to be killed", 5_000, () -> {
      try {
        return pids(cmd -> cmd.equals("php-fpm: pool pt-crash")).isEmpty();
      } catch (Exception ex) {
        return false;
      }
    });

    Reply reply = await(request(manager, client, spec, "info.php"));
    assertEquals(200, reply.status(), reply.body());
    // the crashed run's connections are closed by the next start (its client pool is not left behind)
    waitFor("the crashed run's endpoint to be closed", 5_000, () -> closed.contains(used.get()));
    PoolStatus status = status(manager, "pt-crash");
    assertEquals(PoolState.RUNNING, status.state());
    assertNotEquals(pid, status.pid());
    assertEquals(Long.toString(status.pid()), reply.fields()[1]);
    assertEquals(List.of(status.pid()), masters(runDir, "pt-crash"));
  }

  @Test
  void crashLoopGoesFailedThenCoolsDown() throws Exception {
    manager(defaults().withCrashPolicy(2, 10, 500));
    PoolSpec spec = spec("pt-loop", docroot, 2, 60);

    assertEquals(200, await(request(manager, client, spec, "info.php")).status());
    kill9(status(manager, "pt-loop").pid());
    waitForState(manager, "pt-loop", PoolState.CRASHED, 5_000);

    assertEquals(200, await(request(manager, client, spec, "info.php")).status());
    kill9(status(manager, "pt-loop").pid());
    PoolStatus failed = waitForState(manager, "pt-loop", PoolState.FAILED, 5_000);
    assertEquals(2, failed.crashes());

    long t0 = System.currentTimeMillis();
    Exception e = assertThrows(PoolUnavailableException.class, () -> await(manager.acquire(spec), 1_000));
    assertTrue(System.currentTimeMillis() - t0 < 300, "fails at once");
    assertTrue(((PoolUnavailableException) e).retryAfterSeconds() >= 1);
    assertTrue(e.getMessage().contains("FAILED"), e.getMessage());

    // after the cool-down it starts again
    long until = t0 + 500;
    waitFor("cool-down", 5_000, () -> System.currentTimeMillis() > until);
    Reply reply = await(request(manager, client, spec, "info.php"));
    assertEquals(200, reply.status());
    PoolStatus status = status(manager, "pt-loop");
    assertEquals(PoolState.RUNNING, status.state());
    assertEquals(0, status.crashes());
  }

  /** Issue 11: an operator's restart clears FAILED at once, without waiting out the cool-down. */
  @Test
  void aRestartClearsAFailedPoolAtOnce() throws Exception {
    manager(defaults().withCrashPolicy(2, 10, 60_000));
    PoolSpec spec = spec("pt-revive", docroot, 2, 60);
    for (int i = 0; i < 2; i++) {
      assertEquals(200, await(request(manager, client, spec, "info.php")).status());
      kill9(status(manager, "pt-revive").pid());
      waitForState(manager, "pt-revive", i == 0 ? PoolState.CRASHED : PoolState.FAILED, 5_000);
    }
    assertThrows(PoolUnavailableException.class, () -> await(manager.acquire(spec), 1_000), "FAILED for a minute");
    await(manager.restart(spec));
    PoolStatus revived = status(manager, "pt-revive");
    assertEquals(PoolState.RUNNING, revived.state());
    assertEquals(0, revived.crashes());
    assertEquals(200, await(request(manager, client, spec, "info.php")).status());
  }

  /** Issue 11: after a crash the next start waits for its back-off, counted from the crash. */
  @Test
  void aCrashedPoolStartsAgainOnlyAfterItsBackOff() throws Exception {
    manager(defaults().withCrashPolicy(5, 400, 60_000));
    PoolSpec spec = spec("pt-backoff", docroot, 2, 60);
    assertEquals(200, await(request(manager, client, spec, "info.php")).status());
    long killed = System.nanoTime();
    kill9(status(manager, "pt-backoff").pid());
    waitForState(manager, "pt-backoff", PoolState.CRASHED, 5_000);
    assertEquals(200, await(request(manager, client, spec, "info.php")).status());
    long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
    assertTrue(waitedMs >= 400, "the restart waited for the 400 ms back-off: " + waitedMs + " ms");
  }

  @Test
  void lateCloseOfAStoppedPoolsConnectionsLeavesTheNextStartAlone() throws Exception {
    manager(defaults());
    // the gateway closes a stopping pool's connections from an event-loop task, which can run after
    // the pool has stopped and started again; here it runs 600 ms late
    manager.onStopping(endpoint -> vertx.setTimer(600, t -> client.closeEndpoint(endpoint)));
    PoolSpec spec = spec("pt-late", docroot, 2, 60);
    assertEquals(200, await(request(manager, client, spec, "info.php")).status());
    await(manager.stop("pt-late"));

    // the next start: two requests take both workers, the third waits in the client's queue while
    // the previous run's close comes in
    List<Future<Reply>> replies = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      replies.add(request(manager, client, spec, "sleep.php"));
    }
    for (Future<Reply> reply : replies) {
      Reply r = await(reply);
      assertEquals(200, r.status(), r.body());
      assertEquals("slept", r.body());
    }
  }

  @Test
  void startFailureIsReportedWithTheLog() throws Exception {
    Path template = base.resolve("broken.conf");
    Files.writeString(template, Files.readString(TEMPLATE).replaceAll("\npm = \\w+", "\npm = no-such-pm"));
    ProvisionerOptions d = defaults();
    manager(new ProvisionerOptions(runDir, template, null, d.startTimeout(), d.stopGrace(), d.maxWaiters(), 5,
      d.crashWindow(), 10, 60_000).withIsolation(Isolation.USERS_ONLY));
    PoolSpec spec = spec("pt-bad", docroot, 2, 60);

    long t0 = System.currentTimeMillis();
    PoolUnavailableException e = assertThrows(PoolUnavailableException.class,
      () -> await(manager.acquire(spec), 15_000));
    assertTrue(System.currentTimeMillis() - t0 < 5_000, "does not wait for the whole start timeout");
    assertTrue(e.getMessage().contains("failed to start"), e.getMessage());
    assertTrue(e.getMessage().contains("invalid process manager"), "quotes the log: " + e.getMessage());
    PoolStatus status = status(manager, "pt-bad");
    assertEquals(PoolState.CRASHED, status.state());
    assertEquals(1, status.crashes());
    assertEquals(-1, status.pid());
    assertTrue(masters(runDir, "pt-bad").isEmpty());
  }

  @Test
  void gracefulStopLetsInFlightRequestFinish() throws Exception {
    manager(defaults());
    PoolSpec spec = spec("pt-grace", docroot, 2, 60);
    PoolLayout layout = PoolLayout.of(runDir, "pt-grace");
    PoolLease lease = await(manager.acquire(spec));
    long pid = status(manager, "pt-grace").pid();
    Future<Reply> slow = send(client, lease, docroot, "sleep.php").andThen(ar -> lease.release());
    waitFor("the slow request to run", 5_000, () -> Files.exists(layout.tmp().resolve("started")));

    Future<Void> stopped = manager.stop("pt-grace");
    assertEquals(PoolState.STOPPING, status(manager, "pt-grace").state());
    Future<Reply> during = request(manager, client, spec, "info.php");

    Reply slowReply = await(slow);
    assertEquals(200, slowReply.status(), slowReply.body());
    assertEquals("slept", slowReply.body().trim());
    await(stopped);
    assertFalse(alive(pid));

    Reply next = await(during);
    assertEquals(200, next.status(), next.body());
    PoolStatus status = status(manager, "pt-grace");
    assertEquals(PoolState.RUNNING, status.state());
    assertNotEquals(pid, status.pid());
    assertEquals(Long.toString(status.pid()), next.fields()[1]);
    assertEquals(0, status.crashes());
  }

  @Test
  void stopWithIdleKeptAliveConnectionEndsAfterStopGrace() throws Exception {
    client.close();
    client = keepAliveClient(vertx);
    ProvisionerOptions d = defaults();
    manager(new ProvisionerOptions(runDir, TEMPLATE, null, d.startTimeout(), 1_000, d.maxWaiters(), d.maxCrashes(),
      d.crashWindow(), d.backoffBase(), d.failedCooldown()).withIsolation(Isolation.USERS_ONLY));
    PoolSpec spec = spec("pt-grace", docroot, 2, 60);
    assertEquals(200, await(request(manager, client, spec, "info.php")).status());
    long pid = status(manager, "pt-grace").pid();
    // the worker waits on the idle kept-alive connection; the stop grace (SIGKILL) ends it
    long t0 = System.currentTimeMillis();
    await(manager.stop("pt-grace"), 10_000);
    assertTrue(System.currentTimeMillis() - t0 < 5_000);
    assertEquals(PoolState.STOPPED, status(manager, "pt-grace").state());
    assertFalse(alive(pid));
    waitFor("no worker left", 5_000, () -> {
      try {
        return pids(cmd -> cmd.equals("php-fpm: pool pt-grace")).isEmpty();
      } catch (Exception e) {
        return false;
      }
    });
  }

  @Test
  void newManagerStopsLeftoversOfPreviousRun() throws Exception {
    PoolManager previous = PoolManager.create(vertx, defaults());
    CompletableFuture<String> previousSawTheCrash = new CompletableFuture<>();
    previous.onEvents(new PoolEvents() {
      @Override
      public void crashed(String tenant) {
        previousSawTheCrash.complete(tenant);
      }
    });
    try {
      PoolSpec spec = spec("pt-left", docroot, 2, 60);
      assertEquals(200, await(request(previous, client, spec, "info.php")).status());
      long pid = status(previous, "pt-left").pid();
      PoolLayout layout = PoolLayout.of(runDir, "pt-left");
      assertTrue(Files.exists(layout.socket()));

      // the gateway "crashed": a new manager on the same run dir finds the pool through its cgroups
      manager(defaults());
      assertFalse(alive(pid), "leftover master stopped by create()");
      waitFor("leftover workers to exit", 5_000, () -> {
        try {
          return pids(cmd -> cmd.equals("php-fpm: pool pt-left")).isEmpty();
        } catch (Exception e) {
          return false;
        }
      });
      assertNull(status(manager, "pt-left"));
      // a dead gateway does nothing more; this one, still alive, cleans up after its run first
      assertEquals("pt-left", previousSawTheCrash.get(5, TimeUnit.SECONDS));

      Reply reply = await(request(manager, client, spec, "info.php"));
      assertEquals(200, reply.status());
      long newPid = status(manager, "pt-left").pid();
      assertNotEquals(pid, newPid);
      assertEquals(Long.toString(newPid), reply.fields()[1]);
    } finally {
      await(previous.stopAll(), 15_000);
    }
    // the old manager's stop does not touch the new manager's pool
    assertEquals(PoolState.RUNNING, status(manager, "pt-left").state());
    assertEquals(1, masters(runDir, "pt-left").size());
  }

  @Test
  void waitQueueIsBounded() throws Exception {
    ProvisionerOptions d = defaults();
    manager(new ProvisionerOptions(runDir, TEMPLATE, null, d.startTimeout(), d.stopGrace(), 2, d.maxCrashes(),
      d.crashWindow(), d.backoffBase(), d.failedCooldown()).withIsolation(Isolation.USERS_ONLY));
    PoolSpec spec = spec("pt-conc", docroot, 2, 60);
    Future<PoolLease> a = manager.acquire(spec);
    Future<PoolLease> b = manager.acquire(spec);
    Future<PoolLease> c = manager.acquire(spec);
    PoolUnavailableException e = assertThrows(PoolUnavailableException.class, () -> await(c, 1_000));
    assertTrue(e.getMessage().contains("too many"), e.getMessage());
    await(a).release();
    await(b).release();
    assertEquals(PoolState.RUNNING, status(manager, "pt-conc").state());
    assertEquals(2, status(manager, "pt-conc").requests());
  }

  @Test
  void stopWhileStartingStopsTheLaunchAndServesWaitersFromTheNextStart() throws Exception {
    manager(defaults());
    PoolSpec spec = spec("pt-grace", docroot, 2, 60);
    Future<PoolLease> waiting = manager.acquire(spec);
    assertEquals(PoolState.STARTING, status(manager, "pt-grace").state());
    await(manager.stop("pt-grace"));
    // the launch was stopped, not counted as a crash; the waiter keeps waiting for the next start
    assertFalse(waiting.isComplete());
    assertEquals(0, status(manager, "pt-grace").crashes());

    PoolLease lease = await(waiting);
    Reply reply;
    try {
      reply = await(send(client, lease, docroot, "info.php"));
    } finally {
      lease.release();
    }
    assertEquals(200, reply.status(), reply.body());
    PoolStatus status = status(manager, "pt-grace");
    assertEquals(PoolState.RUNNING, status.state());
    assertEquals(0, status.crashes());
    assertEquals(Long.toString(status.pid()), reply.fields()[1]);
    assertEquals(List.of(status.pid()), masters(runDir, "pt-grace"));
  }

  @Test
  void stopAllWhileStartingLeavesNoProcess() throws Exception {
    manager(defaults());
    PoolSpec spec = spec("pt-spec", docroot, 2, 60);
    manager.acquire(spec).onSuccess(PoolLease::release);
    await(manager.stop("pt-spec"));
    await(manager.acquire(spec)).release();
    await(manager.stopAll());
    assertEquals(PoolState.STOPPED, status(manager, "pt-spec").state());
    assertTrue(masters(runDir, "pt-spec").isEmpty());
  }

  @Test
  void createWithMissingTemplateFails() {
    assertThrows(java.io.UncheckedIOException.class,
      () -> PoolManager.create(vertx, ProvisionerOptions.defaults(runDir, base.resolve("no-such.conf"))));
  }

  @Test
  void stopOfUnknownOrStoppedPoolCompletes() throws Exception {
    manager(defaults());
    await(manager.stop("pt-none"), 2_000);
    PoolSpec spec = spec("pt-grace", docroot, 2, 60);
    assertEquals(200, await(request(manager, client, spec, "info.php")).status());
    await(manager.stop("pt-grace"));
    assertEquals(PoolState.STOPPED, status(manager, "pt-grace").state());
    await(manager.stop("pt-grace"), 2_000);
  }

  @Test
  void changedSpecRestartsRunningPool() throws Exception {
    manager(defaults());
    PoolSpec two = spec("pt-spec", docroot, 2, 60);
    assertEquals(200, await(request(manager, client, two, "info.php")).status());
    long pid = status(manager, "pt-spec").pid();
    PoolLayout layout = PoolLayout.of(runDir, "pt-spec");
    assertTrue(Files.readString(layout.config()).contains("pm.max_children = 2"));

    PoolSpec three = spec("pt-spec", docroot, 3, 60);
    PoolLease lease = await(manager.acquire(three));
    Reply reply;
    try {
      assertEquals(3, lease.endpoint().maxConnections());
      reply = await(send(client, lease, docroot, "info.php"));
    } finally {
      lease.release();
    }
    assertEquals(200, reply.status(), reply.body());
    PoolStatus status = status(manager, "pt-spec");
    assertEquals(PoolState.RUNNING, status.state());
    assertNotEquals(pid, status.pid());
    assertEquals(Long.toString(status.pid()), reply.fields()[1]);
    assertFalse(alive(pid));
    assertEquals(0, status.crashes());
    assertTrue(Files.readString(layout.config()).contains("pm.max_children = 3"));
    assertEquals(List.of(status.pid()), masters(runDir, "pt-spec"));
  }
}
