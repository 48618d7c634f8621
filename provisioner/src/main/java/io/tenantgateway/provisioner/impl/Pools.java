package io.tenantgateway.provisioner.impl;

import io.tenantgateway.provisioner.PoolEvents;
import io.tenantgateway.provisioner.PoolSpec;
import io.tenantgateway.provisioner.PoolStatus;
import io.tenantgateway.provisioner.ProvisionerOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;

/**
 * The managed pools by tenant id.
 */
public final class Pools {

  private final Vertx vertx;
  private final ProvisionerOptions options;
  private final PoolProcesses processes;
  private final Function<PoolHandle, Future<Void>> readiness;
  private final ConcurrentMap<String, ManagedPool> byId = new ConcurrentHashMap<>();
  private volatile java.util.function.Consumer<io.tenantgateway.fcgi.FcgiEndpoint> stopping = endpoint -> { };
  private volatile PoolEvents events = PoolEvents.NONE;
  private final PoolEvents forwarder = new PoolEvents() {
    @Override
    public void started(String tenant, long millis, boolean afterCrash) {
      events.started(tenant, millis, afterCrash);
    }

    @Override
    public void startFailed(String tenant) {
      events.startFailed(tenant);
    }

    @Override
    public void crashed(String tenant) {
      events.crashed(tenant);
    }
  };

  /**
   * @param listener told of starts, failed starts and crashes
   */
  public void onEvents(PoolEvents listener) {
    this.events = listener;
  }

  /**
   * @param listener told (on an event loop) when a pool starts stopping, so that connections kept
   *     alive to it are closed: a php-fpm worker pinned to an idle connection would hold the graceful stop
   */
  public void onStopping(java.util.function.Consumer<io.tenantgateway.fcgi.FcgiEndpoint> listener) {
    this.stopping = listener;
  }

  /**
   * @param vertx the Vert.x instance
   * @param options the settings
   * @param processes starts and stops masters
   * @param readiness probes a starting pool until it answers
   */
  public Pools(Vertx vertx, ProvisionerOptions options, PoolProcesses processes,
               Function<PoolHandle, Future<Void>> readiness) {
    this.vertx = vertx;
    this.options = options;
    this.processes = processes;
    this.readiness = readiness;
  }

  /**
   * @param spec a tenant's pool
   * @return its managed pool, created (STOPPED) on first use
   */
  public ManagedPoolAccess get(PoolSpec spec) {
    ManagedPool pool = pool(spec);
    return wanted -> pool.isActive() || admit(pool) ? pool.acquire(wanted)
      : Future.failedFuture(new io.tenantgateway.provisioner.PoolUnavailableException("all "
        + options.maxActivePools() + " active pools are busy", 5));
  }

  /**
   * Starts a tenant's pool as a request would and waits until it answers its ping.
   *
   * @param spec the tenant's pool as it should be
   * @return completes when it is RUNNING
   */
  public Future<Void> start(PoolSpec spec) {
    ManagedPool pool = pool(spec);
    return get(spec).acquire(spec).compose(lease -> {
      lease.release();
      // the run that served the lease may stop for a spec changed meanwhile: start it again, with
      // the newest spec (not this one, which may be the older)
      return pool.state() == io.tenantgateway.provisioner.PoolState.STOPPING ? start(pool.spec()) : pool.running();
    });
  }

  private ManagedPool pool(PoolSpec spec) {
    return byId.computeIfAbsent(spec.id(), id -> new ManagedPool(vertx, options, processes, spec,
      readiness::apply, endpoint -> stopping.accept(endpoint), forwarder));
  }

  /**
   * Makes room for one more active pool: under the limit nothing happens; at the limit the least
   * recently used idle pool is stopped.
   *
   * @return false when the limit is reached and no pool is idle
   */
  private synchronized boolean admit(ManagedPool starting) {
    int limit = options.maxActivePools();
    if (limit <= 0) {
      return true;
    }
    long active = byId.values().stream().filter(ManagedPool::isActive).count();
    if (active < limit) {
      return true;
    }
    ManagedPool lru = null;
    long oldest = Long.MAX_VALUE;
    for (ManagedPool pool : byId.values()) {
      long since = pool == starting ? -1 : pool.idleSince();
      if (since >= 0 && since < oldest) {
        oldest = since;
        lru = pool;
      }
    }
    if (lru == null) {
      return false;
    }
    lru.stop();
    return true;
  }

  /**
   * @param id a tenant id
   * @return completes when its pool is stopped
   */
  public Future<Void> stop(String id) {
    ManagedPool pool = byId.get(id);
    return pool == null ? Future.succeededFuture() : pool.stop();
  }

  /**
   * Stops a deleted tenant's pool and forgets it: its processes, pool directory (sessions, uploads)
   * and groups are removed.
   *
   * @param id a tenant id
   * @return completes when its pool is stopped and gone from {@link #statuses()}
   */
  public Future<Void> remove(String id) {
    ManagedPool pool = byId.get(id);
    if (pool == null) {
      return Future.succeededFuture();
    }
    return pool.stop().compose(v -> vertx.executeBlocking(() -> {
      processes.forget(id, pool.layout());
      return null;
    }, false)).onComplete(ar -> byId.remove(id, pool)).mapEmpty();
  }

  /** @return completes when every pool is stopped */
  public Future<Void> stopAll() {
    List<Future<Void>> stops = new ArrayList<>();
    byId.values().forEach(pool -> stops.add(pool.stop()));
    return Future.join(stops).mapEmpty();
  }

  /**
   * @param now the current time, ms
   */
  public void stopIdle(long now) {
    byId.values().forEach(pool -> pool.stopIfIdle(now));
  }

  /**
   * @param id a tenant id
   * @return its pool's status, or null when it never had a pool
   */
  public PoolStatus status(String id) {
    ManagedPool pool = byId.get(id);
    return pool == null ? null : pool.status();
  }

  /** @return every pool's status, by tenant id */
  public List<PoolStatus> statuses() {
    List<PoolStatus> all = new ArrayList<>();
    byId.values().forEach(pool -> all.add(pool.status()));
    all.sort(Comparator.comparing(PoolStatus::tenant));
    return all;
  }

  /** Acquisition of a lease on one pool. */
  @FunctionalInterface
  public interface ManagedPoolAccess {
    /**
     * @param spec the tenant's current spec
     * @return a lease
     */
    Future<io.tenantgateway.provisioner.PoolLease> acquire(PoolSpec spec);
  }
}
