package io.tenantgateway.provisioner.impl;

import io.tenantgateway.provisioner.PoolSpec;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;

/**
 * Starting and stopping pools, and killing what a pool or a previous gateway run left behind.
 * Which processes are a pool's is decided by the kernel: its cgroups (and, with namespaces, its
 * PID namespace), never a file the tenant could write. Every method but {@link #startStagedNow}
 * blocks: call it from worker threads.
 */
public final class PoolProcesses {

  private static final Logger LOG = LoggerFactory.getLogger(PoolProcesses.class);

  private final PhpFpmLauncher launcher;
  private final Cgroups cgroups;
  /** Launches per tenant; a lock per tenant orders launches and the kills after an exit. */
  private final java.util.concurrent.ConcurrentMap<String, Launches> launches =
    new java.util.concurrent.ConcurrentHashMap<>();
  private volatile boolean closed;
  /** Pools spawned ahead of their start, by tenant. */
  private final java.util.concurrent.ConcurrentMap<String, StagedPool> staged =
    new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * @param launcher spawns pools
   * @param cgroups the pools' groups
   */
  public PoolProcesses(PhpFpmLauncher launcher, Cgroups cgroups) {
    this.launcher = launcher;
    this.cgroups = cgroups;
  }

  /**
   * @param spec the pool
   * @param layout its files
   * @return the started pool
   * @throws IOException when it cannot be started
   */
  PoolProcess launch(PoolSpec spec, PoolLayout layout) throws IOException {
    Launches tenant = launchesOf(spec.id());
    tenant.lock.lock();
    try {
      PoolProcess pool = startStaged(spec, layout);
      if (pool == null) {
        pool = launcher.launch(spec, layout);
      }
      pool.launch(++tenant.count);
      return pool;
    } finally {
      tenant.lock.unlock();
    }
  }

  /**
   * Lets the tenant's staged pool run php-fpm when one is built for this very spec, without
   * waiting for anything: callable from an event loop (its output read so far, the check of its
   * sandbox's files, a one-byte pipe write). Its command is checked against the file system again by
   * {@link #confirm}, which must follow before any request is sent to it.
   *
   * @param spec the pool
   * @return the started pool; null when no staged pool is built for the spec, or the tenant's lock
   *     is held by a launch, staging or kill ({@link #launch} then decides, on a worker thread)
   */
  PoolProcess startStagedNow(PoolSpec spec) {
    Launches tenant = launchesOf(spec.id());
    if (!tenant.lock.tryLock()) {
      LOG.debug("pool of {} started on a worker: a launch, staging or kill holds its lock", spec.id());
      return null;
    }
    try {
      StagedPool ready = staged.get(spec.id());
      String unusable = ready == null ? "nothing staged" : ready.whyNotNow(spec);
      if (unusable != null) {
        LOG.debug("pool of {} started on a worker: {}", spec.id(), unusable);
        return null;
      }
      PoolProcess pool = goAhead(ready);
      staged.remove(spec.id());
      pool.launch(++tenant.count);
      return pool;
    } catch (IOException e) {
      LOG.debug("pool of {} started on a worker: {}", spec.id(), e.getMessage());
      return null;
    } finally {
      tenant.lock.unlock();
    }
  }

  /**
   * Checks, with every symlink check of a launch, that a pool started by {@link #startStagedNow}
   * runs the command a launch would run now. When it does not, the pool is killed and launched
   * afresh; when a path is no longer safe to bind, it is killed and the start fails, as a launch
   * would.
   *
   * @param started the pool started from its staged process
   * @param spec the pool
   * @param layout its files
   * @return the pool to use: the started one, or its fresh replacement
   * @throws IOException when a path is not safe to bind, or the replacement cannot be launched
   */
  PoolProcess confirm(PoolProcess started, PoolSpec spec, PoolLayout layout) throws IOException {
    Launches tenant = launchesOf(spec.id());
    tenant.lock.lock();
    try {
      boolean current;
      try {
        current = launcher.runsCurrentCommand(started, spec, layout);
      } catch (IOException e) {
        kill(started);
        throw e;
      }
      if (current) {
        return started;
      }
      kill(started);
      PoolProcess fresh = launcher.launch(spec, layout);
      fresh.launch(++tenant.count);
      return fresh;
    } finally {
      tenant.lock.unlock();
    }
  }

  /** Lets a pool staged ahead of its start run php-fpm (it is built). */
  private static PoolProcess goAhead(StagedPool ready) throws IOException {
    PoolProcess pool = ready.go();
    pool.stagedAhead(true);
    return pool;
  }

  private Launches launchesOf(String tenant) {
    return launches.computeIfAbsent(tenant, id -> new Launches());
  }

  /** The launches of one tenant and the lock that orders them. */
  private static final class Launches {
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
    private long count;
  }

  /** @return the tenant's staged pool, now told to go, when it matches the spec; else null */
  private PoolProcess startStaged(PoolSpec spec, PoolLayout layout) throws IOException {
    StagedPool ready = staged.remove(spec.id());
    if (ready == null) {
      return null;
    }
    boolean usable;
    try {
      usable = ready.process().isAlive() && launcher.matches(ready, spec, layout);
    } catch (IOException e) {
      usable = false;
    }
    if (!usable) {
      ready.discard();
      return null;
    }
    try {
      ready.awaitReady();
      return goAhead(ready);
    } catch (IOException e) {
      LOG.debug("staged pool of {} gone: {}", spec.id(), e.getMessage());
      ready.discard();
      return null;
    }
  }

  /**
   * Spawns the tenant's next pool ahead of its start, so that an activation only lets it run
   * php-fpm ({@link PhpFpmLauncher#stage}). Call when a pool's run ended; does nothing when a pool
   * of the tenant was launched or staged since, or the tenant forgotten.
   *
   * @param spec the pool
   * @param layout its files
   * @param after the launch whose end this follows
   */
  void stageNext(PoolSpec spec, PoolLayout layout, long after) {
    Launches tenant = launchesOf(spec.id());
    tenant.lock.lock();
    try {
      if (closed || tenant.count != after || staged.containsKey(spec.id())) {
        return;
      }
      tenant.count++;
      try {
        staged.put(spec.id(), launcher.stage(spec, layout));
      } catch (IOException | RuntimeException e) {
        LOG.info("pool of {} not staged: {}", spec.id(), e.getMessage());
      }
    } finally {
      tenant.lock.unlock();
    }
    if (closed) {
      discardStaged();
    }
  }

  /** Stages nothing more and kills every staged pool (gateway stop). */
  public void close() {
    closed = true;
    discardStaged();
  }

  private void discardStaged() {
    for (String tenant : java.util.List.copyOf(staged.keySet())) {
      Launches launches = launchesOf(tenant);
      launches.lock.lock();
      try {
        StagedPool ready = staged.remove(tenant);
        if (ready != null) {
          ready.discard();
        }
      } finally {
        launches.lock.unlock();
      }
    }
  }

  /**
   * Kills what a pool left behind once its master is gone, unless a new pool of the tenant was
   * launched since (that launch killed the leftovers itself, and its processes must live).
   *
   * @param pool the pool whose leftovers these are
   * @return how many were killed
   */
  int killLeftoversUnlessRelaunched(PoolProcess pool) {
    Launches tenant = launchesOf(pool.tenant());
    tenant.lock.lock();
    try {
      if (tenant.count != pool.launch()) {
        return 0;
      }
      try {
        // php-fpm cannot unlink it (the directory is the gateway's); no newer launch owns it
        Files.deleteIfExists(pool.socket());
      } catch (IOException e) {
        LOG.debug("socket {} not removed: {}", pool.socket(), e.getMessage());
      }
      return killLeftovers(pool.tenant());
    } finally {
      tenant.lock.unlock();
    }
  }

  /**
   * Kills every process a pool left behind once its master is gone: php-fpm workers outlive their
   * master, and a tenant's daemons outlive both. With cgroups, every member of the tenant's groups;
   * without (the gateway is not root), workers titled as the pool's whose parent is no master.
   *
   * @param tenantId the tenant id (the pool name)
   * @return how many were killed
   */
  public int killLeftovers(String tenantId) {
    if (cgroups.version() != Cgroups.Version.NONE) {
      return cgroups.killAll(tenantId);
    }
    String title = "php-fpm: pool " + tenantId;
    int killed = 0;
    for (ProcessHandle p : (Iterable<ProcessHandle>) ProcessHandle.allProcesses()::iterator) {
      if (!title.equals(cmdline(p.pid()))) {
        continue;
      }
      boolean orphan = p.parent().map(parent -> !cmdline(parent.pid()).startsWith("php-fpm: master process"))
        .orElse(true);
      if (orphan && p.destroyForcibly()) {
        killed++;
      }
    }
    if (killed > 0) {
      LOG.info("killed {} orphaned php-fpm workers of pool {}", killed, tenantId);
    }
    return killed;
  }

  private static String cmdline(long pid) {
    try {
      return ProcFs.read("/proc/" + pid + "/cmdline").replace('\0', ' ').trim();
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  /**
   * Stops a pool gracefully: SIGQUIT to its master now (running requests finish), SIGKILL of the
   * whole pool if it is still alive after the grace. A pool whose master is not running yet is
   * killed at once. No thread waits meanwhile: with many pools stopping at once, waiting threads
   * had taken the whole worker pool and pool starts queued behind them.
   *
   * @param vertx for the grace timer
   * @param pool the pool
   * @param graceMillis time the graceful stop may take
   */
  void stopGracefully(Vertx vertx, PoolProcess pool, long graceMillis) {
    if (!pool.isAlive()) {
      return;
    }
    long master = pool.masterPid();
    if (master <= 0) {
      kill(pool);
      return;
    }
    try {
      Libc.signal(master, jnr.constants.platform.Signal.SIGQUIT);
    } catch (IOException e) {
      LOG.warn("cannot signal the php-fpm master of {}: {}", pool.tenant(), e.getMessage());
    }
    long timer = vertx.setTimer(Math.max(1, graceMillis), id -> {
      if (pool.isAlive()) {
        LOG.warn("pool of {} did not stop within {} ms; killing it", pool.tenant(), graceMillis);
        vertx.executeBlocking(() -> {
          kill(pool);
          return null;
        }, false);
      }
    });
    pool.onExit().thenRun(() -> vertx.cancelTimer(timer));
  }

  /**
   * SIGKILL of the pool: the spawned process, its descendants and every member of its groups
   * (unless the tenant was launched again meanwhile: the groups are then the new pool's).
   *
   * @param pool the pool, or null
   */
  void kill(PoolProcess pool) {
    if (pool == null) {
      return;
    }
    pool.spawned().descendants().forEach(ProcessHandle::destroyForcibly);
    pool.spawned().destroyForcibly();
    killLeftoversUnlessRelaunched(pool);
  }

  /**
   * Forgets a deleted tenant: kills whatever is left of its pool, removes its pool directory (its
   * sessions and uploads with it) and its groups. Its Unix user stays, so that its uid is never
   * handed to another tenant.
   *
   * @param tenantId the tenant id
   * @param layout its pool's files
   */
  void forget(String tenantId, PoolLayout layout) {
    Launches tenant = launchesOf(tenantId);
    tenant.lock.lock();
    try {
      // a staging queued by the last run's stop must not bring the files back
      tenant.count++;
      StagedPool ready = staged.remove(tenantId);
      if (ready != null) {
        ready.discard();
      }
      killLeftovers(tenantId);
      try {
        PoolDirectory.discard(layout);
      } catch (IOException e) {
        LOG.warn("files of the deleted tenant {} not removed: {}", tenantId, e.getMessage());
      }
      cgroups.remove(tenantId);
    } finally {
      tenant.lock.unlock();
    }
  }

  /**
   * Kills the pools a previous gateway run left behind: every process in a tenant's groups. (With
   * namespaces they died with the gateway already: bwrap runs with {@code --die-with-parent}.)
   *
   * @return how many processes were killed
   */
  public int cleanUpLeftovers() {
    int killed = 0;
    for (String tenant : cgroups.tenantsWithGroups()) {
      killed += cgroups.killAll(tenant);
    }
    if (killed > 0) {
      LOG.info("killed {} processes of pools left by a previous run", killed);
    }
    return killed;
  }
}
