package io.tenantgateway.provisioner;

import io.tenantgateway.provisioner.impl.PoolLayout;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.tenantgateway.provisioner.PhpFpmTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The next run of a pool is spawned when its run ends, up to php-fpm's exec, and only told to go by
 * the next request (docs/ARCHITECTURE.md, "Staged pools").
 */
class StagedPoolTest extends ManagedPoolsTestBase {

  @Override
  List<String> ids() {
    return List.of("pt-stage");
  }

  @BeforeEach
  void createManager() {
    manager = PoolManager.create(vertx, ProvisionerOptions.defaults(runDir, TEMPLATE).withIsolation(Isolation.USERS_ONLY));
  }

  /**
   * Staged runs of the tenant past their first gate: the shell that waits to run its php-fpm (before
   * the gate the process is the outer shell, whose command line names the same pool).
   */
  private List<Long> staged() throws IOException {
    String config = PoolLayout.of(runDir, "pt-stage").config().toString();
    return pids(cmd -> cmd.startsWith("/bin/sh -c echo tenant-gateway-staged-ready && read -r go ") && cmd.contains(config));
  }

  private long awaitStaged() throws Exception {
    waitFor("the next run to be staged", 10_000, () -> {
      try {
        return staged().size() == 1;
      } catch (IOException e) {
        return false;
      }
    });
    return staged().get(0);
  }

  private PoolSpec ranAndStopped(int maxChildren) throws Exception {
    PoolSpec spec = spec("pt-stage", docroot, maxChildren, 1);
    assertEquals(200, await(request(manager, client, spec, "info.php")).status());
    waitForState(manager, "pt-stage", PoolState.STOPPED, 10_000);
    return spec;
  }

  @Test
  void anEndedRunStagesTheNextWhichTheNextRequestStarts() throws Exception {
    PoolSpec spec = ranAndStopped(2);
    long waiting = awaitStaged();
    assertTrue(masters(runDir, "pt-stage").isEmpty(), "a staged run runs no php-fpm");
    assertEquals(0, procUid(waiting), "it waits as root, out of the tenant's reach");
    assertEquals(PoolState.STOPPED, status(manager, "pt-stage").state());

    Reply reply = await(request(manager, client, spec, "info.php"));
    assertEquals(200, reply.status(), reply.body());
    PoolStatus running = status(manager, "pt-stage");
    assertEquals(waiting, running.pid(), "the staged process became the master (users-only: by exec)");
    assertEquals(Long.toString(waiting), reply.fields()[1]);
    if (isRoot()) {
      assertEquals(uidOf("tg-pt-stage"), procUid(waiting), "php-fpm runs as the tenant's user");
    }
    assertTrue(staged().isEmpty(), "used once");
  }

  /**
   * A staged run's socket listens before php-fpm runs, so the requests waiting for its start are
   * handed the pool as soon as php-fpm is let run and wait in the backlog while it boots; a first
   * start, whose socket the binder may not have bound yet, hands them the pool only once it answers.
   */
  @Test
  void aStagedStartHandsTheWaitingRequestThePoolBeforePhpFpmAnswers() throws Exception {
    PoolSpec spec = spec("pt-stage", docroot, 2, 1);
    assertEquals(PoolState.RUNNING, await(stateAtLease(spec)), "a first start: leased once RUNNING");
    waitForState(manager, "pt-stage", PoolState.STOPPED, 10_000);
    awaitStaged();

    assertEquals(PoolState.STARTING, await(stateAtLease(spec)), "a staged start: leased while php-fpm boots");
    waitForState(manager, "pt-stage", PoolState.RUNNING, 10_000);
  }

  /** The operator's start of a staged pool completes once the pool answers, as an unstaged one does. */
  @Test
  void anOperatorStartOfAStagedPoolCompletesWhenItRuns() throws Exception {
    PoolSpec spec = ranAndStopped(2);
    awaitStaged();
    await(manager.start(spec));
    assertEquals(PoolState.RUNNING, status(manager, "pt-stage").state());
  }

  /**
   * A stop that comes after the waiting requests were handed a staged pool, before it answered its
   * ping, stops it for good: nothing waits for the pool any more, so it is not started again, and a
   * stop asked for is no crash.
   */
  @Test
  void aStopAfterTheRequestsWereHandedTheStartingPoolStopsIt() throws Exception {
    PoolSpec spec = ranAndStopped(2);
    awaitStaged();
    Promise<PoolState> stoppedFrom = Promise.promise();
    manager.acquire(spec).onComplete(lease -> {
      PoolState atLease = status(manager, "pt-stage").state();
      lease.result().release();
      manager.stop("pt-stage").map(atLease).onComplete(stoppedFrom);
    });
    assertEquals(PoolState.STARTING, await(stoppedFrom.future()), "stopped before it answered");
    assertEquals(PoolState.STOPPED, status(manager, "pt-stage").state());
    awaitStaged();
    PoolStatus after = status(manager, "pt-stage");
    assertEquals(PoolState.STOPPED, after.state(), "not started again");
    assertEquals(0, after.crashes(), "a stop asked for is no crash");
  }

  /** Acquires a lease, notes the pool's state when it is granted, runs info.php on it (200). */
  private Future<PoolState> stateAtLease(PoolSpec spec) {
    return manager.acquire(spec).compose(lease -> {
      PoolState atLease = status(manager, "pt-stage").state();
      return send(client, lease, docroot, "info.php").andThen(ar -> lease.release()).map(reply -> {
        assertEquals(200, reply.status(), reply.body());
        return atLease;
      });
    });
  }

  /**
   * With more requests waiting than the pool has workers, its ping goes ahead of them into the
   * backlog: the start it measures ends when php-fpm answers, not after one of the requests ran.
   */
  @Test
  void withMoreWaitingRequestsThanWorkersThePingGoesFirst() throws Exception {
    PoolSpec one = ranAndStopped(1);
    awaitStaged();
    Promise<List<Reply>> replies = Promise.promise();
    vertx.runOnContext(v -> Future.all(request(manager, client, one, "sleep.php"),
        request(manager, client, one, "sleep.php"))
      .map(all -> List.<Reply>of(all.resultAt(0), all.resultAt(1))).onComplete(replies));
    for (Reply reply : await(replies.future())) {
      assertEquals("slept", reply.body().trim(), "both served, one after the other by the one worker");
    }
    long activation = status(manager, "pt-stage").lastActivationMillis();
    assertTrue(activation >= 0 && activation < 1_000, "the ping did not wait for a sleep of 1 s: " + activation);
  }

  /** As root the staged run is in the tenant's groups (v1: each hierarchy; v2: the one). */
  @Test
  void theStagedRunIsInTheTenantsGroups() throws Exception {
    assertTrue(isRoot(), "bin/test runs as root: without root there are no per-tenant groups to check");
    ranAndStopped(2);
    long waiting = awaitStaged();
    List<String> groups = Files.readAllLines(Path.of("/proc", Long.toString(waiting), "cgroup"));
    List<String> tenant = groups.stream().filter(line -> line.endsWith(":/tenant-gateway/pt-stage")).toList();
    assertFalse(tenant.isEmpty(), "in the tenant's groups: " + groups);
    if (Files.isDirectory(Path.of("/sys/fs/cgroup/pids/tenant-gateway"))) {
      assertTrue(tenant.stream().anyMatch(line -> line.contains(":pids:")), groups.toString());
      assertTrue(tenant.stream().anyMatch(line -> line.contains(":memory:")), groups.toString());
    }
  }

  @Test
  void aChangedSpecDiscardsTheStagedRun() throws Exception {
    ranAndStopped(2);
    long waiting = awaitStaged();
    PoolSpec three = spec("pt-stage", docroot, 3, 60);
    assertEquals(200, await(request(manager, client, three, "info.php")).status());
    assertNotEquals(waiting, status(manager, "pt-stage").pid());
    waitFor("the staged process to be killed", 5_000, () -> !alive(waiting));
    assertTrue(Files.readString(PoolLayout.of(runDir, "pt-stage").config()).contains("pm.max_children = 3"));
  }

  @Test
  void aRemovedTenantsStagedRunIsKilled() throws Exception {
    ranAndStopped(2);
    long waiting = awaitStaged();
    await(manager.remove("pt-stage"));
    waitFor("the staged process to be killed", 5_000, () -> !alive(waiting));
  }

  /**
   * A staged run's output reader is started with its build and waits for the go, so that a start
   * creates no thread; a run discarded unused must end its reader too.
   */
  @Test
  void aDiscardedStagedRunLeavesNoOutputReader() throws Exception {
    ranAndStopped(2);
    awaitStaged();
    waitFor("one output reader, the staged run's, waiting", 5_000, () -> outputReaders() == 1);
    await(manager.remove("pt-stage"));
    waitFor("the staged run's reader to end", 5_000, () -> outputReaders() == 0);
  }

  private static long outputReaders() {
    return Thread.getAllStackTraces().keySet().stream()
      .filter(t -> t.getName().equals("pool-output-pt-stage") && t.isAlive()).count();
  }

  @Test
  void stopAllLeavesNoStagedRun() throws Exception {
    ranAndStopped(2);
    long waiting = awaitStaged();
    await(manager.stopAll());
    waitFor("the staged process to be killed", 5_000, () -> !alive(waiting));
    assertTrue(staged().isEmpty());
  }
}
