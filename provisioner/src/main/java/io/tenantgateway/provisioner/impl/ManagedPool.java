package io.tenantgateway.provisioner.impl;

import io.tenantgateway.fcgi.FcgiEndpoint;
import io.tenantgateway.provisioner.PoolEvents;
import io.tenantgateway.provisioner.PoolLease;
import io.tenantgateway.provisioner.PoolSpec;
import io.tenantgateway.provisioner.PoolState;
import io.tenantgateway.provisioner.PoolStatus;
import io.tenantgateway.provisioner.PoolUnavailableException;
import io.tenantgateway.provisioner.ProvisionerOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * One tenant's php-fpm master and its life (docs/ARCHITECTURE.md states). Thread-safe: state changes happen
 * under the pool's monitor; process work runs on worker threads; no callback runs under the lock.
 *
 * <p>Requests that arrive while the pool is STOPPED, STARTING or STOPPING share one activation: they
 * wait on one promise, bounded by {@code maxWaiters}, and are all served by the one start.
 */
final class ManagedPool implements PoolHandle {

  private static final Logger LOG = LoggerFactory.getLogger(ManagedPool.class);
  /** How long the ping of a staged start waits for the requests admitted before it to connect. */
  private static final long PING_AFTER_REQUESTS_MS = 1;

  private final Vertx vertx;
  private final ProvisionerOptions options;
  private final PoolProcesses processes;
  private final PoolLayout layout;
  private final Function<PoolHandle, Future<Void>> readiness;
  private final java.util.function.Consumer<FcgiEndpoint> stopping;
  private final PoolEvents events;
  /** The current start follows a crash. */
  private boolean startingAfterCrash;

  private PoolSpec spec;
  private FcgiEndpoint endpoint;
  private PoolState state = PoolState.STOPPED;
  private PoolProcess process;
  /** The most recent pool process, kept after its exit to explain a failed start. */
  private volatile PoolProcess lastProcess;
  /** Completes once {@link #exited} has handled the current process's exit. */
  private CompletableFuture<Void> exitHandled;
  private long uid = -1;
  private long startedAt;
  private Promise<FcgiEndpoint> activation;
  /** Completed when the start under way answers its ping (a staged start hands out leases before). */
  private Promise<Void> answered;
  /** The start whose requests are sent before its ping is answered ({@link #admit}), or -1. */
  private long admitted = -1;
  private int waiting;
  private int inFlight;
  private long lastUsed = System.currentTimeMillis();
  private long requests;
  /** {@link #requests} when the current process was adopted. */
  private long requestsAtStart;
  private long memoryStateLostAt;
  private long lastActivationMillis = -1;
  private final ArrayDeque<Long> crashTimes = new ArrayDeque<>();
  private long notBefore;
  private boolean restartWanted;
  /** Bumped by each start; a start's completion is ignored once a later start took over. */
  private long generation;
  /** Set when a stop came while php-fpm was being launched; completes when that launch is stopped. */
  private Promise<Void> stoppedWhileLaunching;

  ManagedPool(Vertx vertx, ProvisionerOptions options, PoolProcesses processes, PoolSpec spec,
              Function<PoolHandle, Future<Void>> readiness, java.util.function.Consumer<FcgiEndpoint> stopping,
              PoolEvents events) {
    this.stopping = stopping;
    this.events = events;
    this.vertx = vertx;
    this.options = options;
    this.processes = processes;
    this.layout = PoolLayout.of(options.runDir(), spec.id());
    this.readiness = readiness;
    this.spec = spec;
    this.endpoint = endpointOf(0, spec.maxChildren());
  }

  PoolLayout layout() {
    return layout;
  }

  /**
   * The endpoint of one start: each start's connections are its own, so that closing a stopped
   * run's connections, which the gateway does from an event-loop task that may run late, cannot
   * close those of the next run or fail the requests waiting for them.
   */
  private FcgiEndpoint endpointOf(long start, int maxChildren) {
    return FcgiEndpoint.unix(layout.socket().toString(), maxChildren).instance(Long.toString(start));
  }

  synchronized FcgiEndpoint endpoint() {
    return endpoint;
  }

  /** @return the spec the pool runs, or will run once a restart for a changed spec is done */
  synchronized PoolSpec spec() {
    return spec;
  }

  synchronized PoolState state() {
    return state;
  }

  /** @return true while a process is starting or serving (counts against max active pools) */
  synchronized boolean isActive() {
    return state == PoolState.STARTING || state == PoolState.RUNNING;
  }

  /** @return the time of the last use, ms, when the pool runs with nothing in flight; else -1 */
  synchronized long idleSince() {
    return state == PoolState.RUNNING && inFlight == 0 && waiting == 0 ? lastUsed : -1;
  }

  /**
   * Gets a lease on a running pool, starting it when needed.
   *
   * @param wanted the tenant's current spec; a different one restarts the pool gracefully
   * @return the lease, or a {@link PoolUnavailableException}
   */
  Future<PoolLease> acquire(PoolSpec wanted) {
    Promise<FcgiEndpoint> wait;
    boolean start = false;
    long delay = 0;
    synchronized (this) {
      if (!wanted.equals(spec)) {
        spec = wanted;
        endpoint = endpointOf(generation, wanted.maxChildren());
        if (state == PoolState.RUNNING || state == PoolState.STARTING) {
          restartWanted = true;
        }
      }
      long now = System.currentTimeMillis();
      if ((state == PoolState.RUNNING || state == PoolState.STARTING && admitted == generation) && !restartWanted) {
        return Future.succeededFuture(lease(endpoint));
      }
      if (state == PoolState.FAILED) {
        if (now < notBefore) {
          return Future.failedFuture(new PoolUnavailableException("pool of " + spec.id() + " is FAILED after "
            + crashTimes.size() + " crashes", Math.max(1, (notBefore - now + 999) / 1000)));
        }
        crashTimes.clear();
        state = PoolState.STOPPED;
      }
      if (waiting >= options.maxWaiters()) {
        return Future.failedFuture(new PoolUnavailableException("too many requests waiting for the pool of "
          + spec.id(), 1));
      }
      if (activation == null) {
        activation = Promise.promise();
        if (state == PoolState.STOPPED || state == PoolState.CRASHED) {
          start = true;
          delay = Math.max(0, notBefore - now);
          startingAfterCrash = state == PoolState.CRASHED;
          state = PoolState.STARTING;
          admitted = -1;
        }
      }
      if (restartWanted && state == PoolState.RUNNING) {
        restartWanted = false;
        stopLocked("configuration changed");
      }
      waiting++;
      wait = activation;
    }
    if (start) {
      scheduleStart(delay);
    }
    return wait.future().transform(ar -> {
      synchronized (this) {
        waiting--;
        if (ar.failed()) {
          return Future.failedFuture(ar.cause());
        }
        return Future.succeededFuture(lease(ar.result()));
      }
    });
  }

  private PoolLease lease(FcgiEndpoint target) {
    inFlight++;
    requests++;
    lastUsed = System.currentTimeMillis();
    AtomicBoolean released = new AtomicBoolean();
    return new PoolLease() {
      @Override
      public FcgiEndpoint endpoint() {
        return target;
      }

      @Override
      public void release() {
        if (released.compareAndSet(false, true)) {
          synchronized (ManagedPool.this) {
            inFlight--;
            lastUsed = System.currentTimeMillis();
          }
        }
      }
    };
  }

  private void scheduleStart(long delay) {
    if (delay > 0) {
      vertx.setTimer(delay, id -> start());
    } else {
      start();
    }
  }

  private void start() {
    PoolSpec current;
    long gen;
    FcgiEndpoint previous;
    synchronized (this) {
      current = spec;
      gen = ++generation;
      previous = endpoint;
      endpoint = endpointOf(gen, current.maxChildren());
      if (answered == null) {
        answered = Promise.promise();
      }
    }
    // the previous run's connections: a stop closed them already, a crash left them (closing them
    // at the crash would turn the 502 of its in-flight requests into 503)
    vertx.runOnContext(v -> stopping.accept(previous));
    long spawnedAt = System.nanoTime();
    long[] launchedAt = new long[1];
    // a staged pool is let run here, on the calling thread: php-fpm's boot is the critical path, the
    // hop to a worker and the check of its command are not. Then one blocking task up to the pool
    // adopted (launched pools are in their cgroups), then the ping, which waits in the gateway's
    // socket's backlog, and for a run staged ahead the waiting requests too (docs/ARCHITECTURE.md,
    // "Staged pools").
    PoolProcess stagedNow = processes.startStagedNow(current);
    Future<PoolProcess> launched = vertx.executeBlocking(() -> {
      PoolProcess process = stagedNow != null ? processes.confirm(stagedNow, current, layout)
        : processes.launch(current, layout);
      launchedAt[0] = System.nanoTime();
      if (!adopt(process)) {
        throw new java.io.IOException("stopped while starting");
      }
      return process;
    }, false);
    launched.compose(process -> process.stagedAhead() ? admitWithPing(gen, current.maxChildren())
      : readiness.apply(this)).onComplete(ar -> {
      long end = System.nanoTime();
      LOG.debug("pool {} start phases: launch {} ms, ping {} ms", current.id(),
        (launchedAt[0] - spawnedAt) / 1_000_000, (end - launchedAt[0]) / 1_000_000);
      started(gen, ar.failed() ? ar.cause() : null, (end - spawnedAt) / 1_000_000);
    });
  }

  /**
   * Admits the waiting requests and sends the ping, both into the socket's backlog, in the order
   * php-fpm's workers should take them: the first worker it forks takes the first connection. With a
   * worker left for the ping the requests go first, so that the first request does not wait for the
   * next fork; with more requests than workers the ping goes first, so that the activation time it
   * measures does not include a request's run. Requests connect through tasks of their own client and
   * event loop, so a ping sent right after them still overtook them in 5 of 11 traced starts (the
   * first request then waited for the second worker's fork); sent a millisecond later, while php-fpm
   * still boots, it comes second.
   */
  private Future<Void> admitWithPing(long gen, int workers) {
    boolean requestsFirst;
    synchronized (this) {
      requestsFirst = waiting < workers;
    }
    if (!requestsFirst) {
      Future<Void> ready = readiness.apply(this);
      admit(gen);
      return ready;
    }
    admit(gen);
    Promise<Void> ready = Promise.promise();
    vertx.setTimer(PING_AFTER_REQUESTS_MS, id -> readiness.apply(this).onComplete(ready));
    return ready.future();
  }

  /**
   * Hands the pool's endpoint to the requests waiting for this start before its ping is answered:
   * its socket listens, so they wait in the backlog beside the ping and php-fpm takes them as it
   * boots. The pool stays STARTING until the ping is answered; a start that fails then fails them
   * with the pool's connections (502), never runs them twice.
   */
  private void admit(long gen) {
    Promise<FcgiEndpoint> leases;
    FcgiEndpoint target;
    synchronized (this) {
      if (gen != generation || state != PoolState.STARTING) {
        return;
      }
      admitted = gen;
      leases = activation;
      activation = null;
      target = endpoint;
    }
    if (leases != null) {
      leases.tryComplete(target);
    }
  }

  /**
   * Makes a just-launched master this pool's process (its exit is then handled by {@link #exited}).
   *
   * @return false when stop() came while php-fpm was being launched: it is then stopped, not probed
   */
  private boolean adopt(PoolProcess launched) {
    Promise<Void> stopWaiter;
    CompletableFuture<Void> handled = new CompletableFuture<>();
    synchronized (this) {
      process = launched;
      lastProcess = launched;
      requestsAtStart = requests;
      uid = launched.uid();
      startedAt = System.currentTimeMillis();
      exitHandled = handled;
      stopWaiter = state == PoolState.STOPPING ? stoppedWhileLaunching : null;
      stoppedWhileLaunching = null;
    }
    // outside the monitor: a master that exited already is handled at once, on this thread, and
    // must find the state as adopt left it
    launched.onExit().thenAccept(exit -> exited(launched)).whenComplete((v, e) -> handled.complete(null));
    if (stopWaiter == null) {
      return true;
    }
    handled.whenComplete((v, e) -> stopWaiter.tryComplete());
    vertx.executeBlocking(() -> {
      processes.stopGracefully(vertx, launched, options.stopGrace());
      return null;
    }, false);
    return false;
  }

  private void started(long gen, Throwable failure, long millis) {
    Promise<FcgiEndpoint> done;
    Promise<Void> answer;
    FcgiEndpoint target;
    PoolProcess failedProcess = null;
    Promise<Void> stopWaiter = null;
    boolean running = false;
    PoolProcess runningProcess = null;
    long runningUid = -1;
    boolean startFailed = false;
    boolean afterCrash;
    synchronized (this) {
      if (gen != generation) {
        return;
      }
      afterCrash = startingAfterCrash;
      done = activation;
      target = endpoint;
      answer = answered;
      answered = null;
      if (state == PoolState.STOPPING && process == null && stoppedWhileLaunching != null) {
        // the launch itself failed after a stop was requested: nothing to wait for
        state = PoolState.STOPPED;
        activation = null;
        stopWaiter = stoppedWhileLaunching;
        stoppedWhileLaunching = null;
      } else if (state == PoolState.STOPPING || state == PoolState.STOPPED) {
        // stopped on request while starting (the ping then fails): not a crash
        done = null;
      } else if (failure == null && state == PoolState.STARTING) {
        state = PoolState.RUNNING;
        lastActivationMillis = millis;
        activation = null;
        runningProcess = process;
        runningUid = uid;
        running = true;
        if (restartWanted) {
          restartWanted = false;
          stopLocked("configuration changed");
        }
      } else {
        activation = null;
        failedProcess = process;
        process = null;
        startFailed = true;
        recordCrashLocked("start failed: " + (failure == null ? "stopped while starting" : failure.getMessage()));
      }
    }
    if (running) {
      logRunning(runningProcess, runningUid, millis);
      events.started(spec.id(), millis, afterCrash);
    } else if (startFailed) {
      events.startFailed(spec.id());
    }
    if (failedProcess != null) {
      PoolProcess failed = failedProcess;
      vertx.executeBlocking(() -> {
        processes.kill(failed);
        return null;
      }, false);
    }
    if (stopWaiter != null) {
      stopWaiter.tryComplete();
    }
    PoolUnavailableException unavailable = failure == null ? null
      : new PoolUnavailableException("pool of " + spec.id() + " failed to start: " + failure.getMessage(), 5);
    if (done != null) {
      if (unavailable == null) {
        done.tryComplete(target);
      } else {
        done.tryFail(unavailable);
      }
    }
    if (answer != null) {
      if (running) {
        answer.tryComplete();
      } else {
        answer.tryFail(unavailable != null ? unavailable
          : new PoolUnavailableException("pool of " + spec.id() + " was stopped while starting", 1));
      }
    }
  }

  /**
   * @return completes when the pool is RUNNING: at once, or when the start under way answers its
   *     ping; failed when that start fails or the pool is neither
   */
  synchronized Future<Void> running() {
    if (state == PoolState.RUNNING) {
      return Future.succeededFuture();
    }
    if (answered != null) {
      return answered.future();
    }
    return Future.failedFuture(new PoolUnavailableException("pool of " + spec.id() + " is " + state, 1));
  }

  private void exited(PoolProcess exitedProcess) {
    Promise<FcgiEndpoint> restartFor = null;
    boolean crashedNow = false;
    String tenant;
    synchronized (this) {
      if (exitedProcess != process) {
        return;
      }
      process = null;
      if (requests > requestsAtStart) {
        memoryStateLostAt = System.currentTimeMillis();
      }
      if (state == PoolState.STOPPING) {
        state = PoolState.STOPPED;
        LOG.info("pool {} STOPPED", spec.id());
        if (activation != null) {
          restartFor = activation;
          state = PoolState.STARTING;
          admitted = -1;
        }
      } else if (state == PoolState.RUNNING) {
        recordCrashLocked("master exited with status " + exitedProcess.exitValue());
        crashedNow = true;
      }
      tenant = spec.id();
    }
    // what is left in the tenant's groups (workers, daemons) belongs to the run that ended
    processes.killLeftoversUnlessRelaunched(exitedProcess);
    if (crashedNow) {
      events.crashed(tenant);
    }
    if (restartFor != null) {
      start();
    } else {
      stageNext(exitedProcess);
    }
  }

  /**
   * Spawns the next run ahead of the request that will want it (docs/ARCHITECTURE.md, "Staged
   * pools"), after a stop: not after a crash (a pool that crashes may crash again, and its restart
   * waits for a request and its back-off anyway), nor when the pool is starting again.
   */
  private void stageNext(PoolProcess ended) {
    PoolSpec next;
    synchronized (this) {
      if (state != PoolState.STOPPED) {
        return;
      }
      next = spec;
    }
    vertx.executeBlocking(() -> {
      processes.stageNext(next, layout, ended.launch());
      return null;
    }, false);
  }

  private void recordCrashLocked(String why) {
    long now = System.currentTimeMillis();
    crashTimes.addLast(now);
    while (!crashTimes.isEmpty() && now - crashTimes.peekFirst() > options.crashWindow()) {
      crashTimes.pollFirst();
    }
    if (crashTimes.size() >= options.maxCrashes()) {
      state = PoolState.FAILED;
      notBefore = now + options.failedCooldown();
      LOG.error("pool {} FAILED ({} crashes within {} ms, last: {}); 503 for {} ms", spec.id(), crashTimes.size(),
        options.crashWindow(), why, options.failedCooldown());
    } else {
      state = PoolState.CRASHED;
      notBefore = now + (options.backoffBase() << Math.min(crashTimes.size() - 1, 16));
      LOG.warn("pool {} CRASHED: {}; restart on the next request, not before {} ms", spec.id(), why,
        notBefore - now);
    }
  }

  /**
   * Stops the pool gracefully when it is RUNNING and idle past its timeout.
   *
   * @param now the current time, ms
   */
  void stopIfIdle(long now) {
    synchronized (this) {
      if (state == PoolState.RUNNING && inFlight == 0 && waiting == 0
        && now - lastUsed >= spec.idleTimeoutSeconds() * 1000L) {
        stopLocked("idle for " + (now - lastUsed) + " ms");
      }
    }
  }

  /**
   * Stops the pool gracefully now (operator action, tenant removed, gateway shutdown).
   *
   * @return completes when the process is gone
   */
  Future<Void> stop() {
    PoolProcess running;
    CompletableFuture<Void> handled;
    synchronized (this) {
      running = process;
      handled = exitHandled;
      if ((state == PoolState.STARTING || state == PoolState.STOPPING) && running == null
        && (state == PoolState.STARTING || stoppedWhileLaunching != null)) {
        // php-fpm is being launched: the launch sees STOPPING and stops it
        if (state == PoolState.STARTING) {
          stopLocked("stop requested while starting");
        }
        if (stoppedWhileLaunching == null) {
          stoppedWhileLaunching = Promise.promise();
        }
        return stoppedWhileLaunching.future();
      }
      if (state == PoolState.RUNNING || state == PoolState.STARTING) {
        stopLocked("stop requested");
      } else if (state == PoolState.CRASHED || state == PoolState.FAILED) {
        state = PoolState.STOPPED;
        crashTimes.clear();
        notBefore = 0;
      }
    }
    if (running == null) {
      return Future.succeededFuture();
    }
    // completes after exited() has moved the state on, not merely when the process is gone
    return Future.fromCompletionStage(handled);
  }

  private void stopLocked(String why) {
    PoolState before = state;
    state = PoolState.STOPPING;
    PoolProcess running = process;
    LOG.info("pool {} STOPPING: {}", spec.id(), why);
    FcgiEndpoint stoppingEndpoint = endpoint;
    vertx.runOnContext(v -> stopping.accept(stoppingEndpoint));
    if (running == null) {
      if (before != PoolState.STARTING) {
        state = PoolState.STOPPED;
      }
      return;
    }
    vertx.executeBlocking(() -> {
      processes.stopGracefully(vertx, running, options.stopGrace());
      return null;
    }, false);
  }

  @Override
  public synchronized boolean processAlive() {
    return process != null && process.isAlive();
  }

  @Override
  public synchronized FcgiEndpoint probeEndpoint() {
    return FcgiEndpoint.unix(layout.socket().toString(), 1).instance(generation + "-probe");
  }

  @Override
  public String lastLogLines() {
    PoolProcess last = lastProcess;
    return last == null ? "" : last.isAlive() ? last.lastLines() : last.lastLinesAfterExit();
  }

  synchronized PoolStatus status() {
    return new PoolStatus(spec.id(), state, pidOf(process), process == null ? -1 : uid, process == null ? 0 : startedAt,
      requests, lastActivationMillis, crashTimes.size(), -1, memoryStateLostAt);
  }

  /**
   * Logs a start with its master's pid, which is read from /proc: on a worker, since the event loop
   * that takes the ping's answer relays the first responses next.
   */
  private void logRunning(PoolProcess started, long startedUid, long millis) {
    String id = spec.id();
    vertx.executeBlocking(() -> {
      LOG.info("pool {} RUNNING (pid {}, uid {}) after {} ms", id, pidOf(started), startedUid, millis);
      return null;
    }, false);
  }

  /** @return the pid to report for a run: its master's when found, else its spawned process's; -1 without one */
  private static long pidOf(PoolProcess run) {
    if (run == null) {
      return -1;
    }
    run.masterPid();
    return run.reportedPid();
  }
}
