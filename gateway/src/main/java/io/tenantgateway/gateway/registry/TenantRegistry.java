package io.tenantgateway.gateway.registry;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * The tenants the gateway serves: an in-memory {@link RegistrySnapshot} that routing reads without
 * waiting, kept in step with a {@link TenantStore}.
 *
 * <p>Every store call runs on one dedicated worker thread, so writes are serialised and no JDBC or
 * file work ever runs on an event loop. A write through this registry publishes a new snapshot before
 * its future completes (it routes at once); changes made elsewhere (another gateway sharing the
 * database, an edit of the tenants file) are found by polling the store's change marker. When the
 * store is unreachable the last snapshot keeps serving and writes fail with {@code UNAVAILABLE}.
 */
public final class TenantRegistry implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(TenantRegistry.class);
  /** A write that waited this long for the registry thread queued behind another call, ms. */
  private static final long QUEUED_WRITE_MILLIS = 50;

  private final Vertx vertx;
  private final TenantStore store;
  private final BackendPolicy backends;
  private final WorkerExecutor worker;
  private final List<BiConsumer<RegistrySnapshot, RegistrySnapshot>> listeners = new CopyOnWriteArrayList<>();
  private final AtomicBoolean polling = new AtomicBoolean();
  private volatile RegistrySnapshot snapshot = RegistrySnapshot.EMPTY;
  private volatile boolean reachable = true;
  /** Confined to the worker thread. */
  private String marker;
  /** Confined to the worker thread: the marker whose content failed to load, logged once. */
  private String rejectedMarker;
  private volatile long pollTimer = -1;

  private TenantRegistry(Vertx vertx, TenantStore store, BackendPolicy backends) {
    this.vertx = vertx;
    this.store = store;
    this.backends = backends;
    this.worker = vertx.createSharedWorkerExecutor("tenant-registry-" + System.identityHashCode(this), 1);
  }

  /**
   * Loads the store and starts watching it. Blocking: call at start-up, off the event loop.
   *
   * @param vertx the Vert.x instance
   * @param store the store
   * @param pollMillis how often to look for changes made elsewhere
   * @param backends which unmanaged backends tenants may name
   * @return the registry
   * @throws RegistryException or a config exception when the store cannot be loaded; the gateway
   *     refuses to start rather than serve a guess
   */
  public static TenantRegistry open(Vertx vertx, TenantStore store, long pollMillis, BackendPolicy backends) {
    TenantRegistry registry = new TenantRegistry(vertx, store, backends);
    registry.marker = store.changeMarker();
    registry.snapshot = RegistrySnapshot.of(registry.routable(store.loadAll()), null);
    registry.pollEvery(pollMillis);
    LOG.info("registry: {}, {} tenants", store.describe(), registry.snapshot.tenants().size());
    return registry;
  }

  /**
   * @param pollMillis how often to look for changes made elsewhere from now on
   */
  public synchronized void pollEvery(long pollMillis) {
    if (pollTimer >= 0) {
      vertx.cancelTimer(pollTimer);
    }
    pollTimer = vertx.setPeriodic(pollMillis, id -> poll());
  }

  /** @return the current snapshot; never waits */
  public RegistrySnapshot snapshot() {
    return snapshot;
  }

  /** @return false while the store cannot be reached (routing continues from the last snapshot) */
  public boolean storeReachable() {
    return reachable;
  }

  /** @return what the store is, for operators */
  public String describe() {
    return store.describe();
  }

  /**
   * @param listener called on the registry's worker thread with the old and the new snapshot after
   *     each change
   */
  public void onChange(BiConsumer<RegistrySnapshot, RegistrySnapshot> listener) {
    listeners.add(listener);
  }

  /**
   * @param json a tenant definition
   * @param actor who asks, for the change log
   * @return the created tenant; fails with {@link InvalidTenantException} or {@link RegistryException}
   */
  public Future<StoredTenant> create(JsonObject json, String actor) {
    return write(() -> store.create(allowed(TenantParser.parse(json)), actor));
  }

  /**
   * @param id the tenant id from the path; the body's id, when present, must be the same
   * @param json the new definition
   * @param expectedVersion the version the caller read ({@code If-Match}), or null
   * @param actor who asks
   * @return the replaced tenant with its new version
   */
  public Future<StoredTenant> replace(String id, JsonObject json, Long expectedVersion, String actor) {
    return write(() -> {
      JsonObject body = json.copy();
      Object bodyId = body.getValue("id");
      if (bodyId == null) {
        body.put("id", id);
      } else if (!id.equals(bodyId)) {
        throw new InvalidTenantException(id, "id", "an id never changes; the body says '" + bodyId + "'");
      }
      return store.replace(allowed(TenantParser.parse(body)), expectedVersion, actor);
    });
  }

  /**
   * @param id the tenant id
   * @param expectedVersion the version the caller read, or null
   * @param actor who asks
   * @return the deleted tenant
   */
  public Future<StoredTenant> delete(String id, Long expectedVersion, String actor) {
    return write(() -> store.delete(id, expectedVersion, actor));
  }

  /**
   * Looks for changes now instead of at the next poll.
   *
   * @return completes when the snapshot is current (or the store is unreachable)
   */
  public Future<Void> refresh() {
    return worker.executeBlocking(() -> {
      refreshFromStore();
      return null;
    });
  }

  private Future<StoredTenant> write(java.util.concurrent.Callable<StoredTenant> operation) {
    long queuedAt = System.nanoTime();
    return worker.executeBlocking(() -> {
      StoredTenant result;
      try {
        // a write that queued behind a call which found the server unreachable (a poll waits up to
        // the whole timeout) has used its time: trying again would answer after twice the timeout
        long timeout = store.timeoutMillis();
        long waited = (System.nanoTime() - queuedAt) / 1_000_000;
        if (timeout > 0 && waited >= QUEUED_WRITE_MILLIS && !reachable) {
          throw new RegistryException(RegistryException.Reason.UNAVAILABLE, null,
            "registry database unreachable: no answer within " + timeout + " ms (registry.db_timeout_ms)");
        }
        result = operation.call();
      } catch (RegistryException e) {
        if (e.reason() == RegistryException.Reason.UNAVAILABLE) {
          markUnreachable(e);
        }
        throw e;
      }
      try {
        refreshFromStore();
      } catch (RuntimeException e) {
        LOG.warn("registry: written, but not re-read ({}); the next poll catches up", e.getMessage());
      }
      return result;
    });
  }

  private void poll() {
    if (!polling.compareAndSet(false, true)) {
      return;
    }
    worker.executeBlocking(() -> {
      refreshFromStore();
      return null;
    }).onComplete(ar -> polling.set(false));
  }

  /** Runs on the worker thread. */
  private void refreshFromStore() {
    String now;
    List<StoredTenant> tenants;
    try {
      now = store.changeMarker();
      if (now.equals(marker)) {
        markReachable();
        return;
      }
      tenants = store.loadAll();
    } catch (RegistryException e) {
      if (e.reason() == RegistryException.Reason.UNAVAILABLE) {
        markUnreachable(e);
        return;
      }
      throw e;
    } catch (RuntimeException e) {
      markReachable();
      String current = safeMarker();
      if (current == null || !current.equals(rejectedMarker)) {
        rejectedMarker = current;
        LOG.error("registry: change not applied, still serving the previous tenants: {}", e.getMessage());
      }
      return;
    }
    markReachable();
    marker = now;
    rejectedMarker = null;
    publish(RegistrySnapshot.of(routable(tenants), snapshot));
  }

  private Tenant allowed(Tenant tenant) {
    backends.check(tenant);
    return tenant;
  }

  /** @return the tenants whose backend is allowed; the others are left out and logged */
  private List<StoredTenant> routable(List<StoredTenant> tenants) {
    List<StoredTenant> kept = new java.util.ArrayList<>(tenants.size());
    for (StoredTenant stored : tenants) {
      try {
        backends.check(stored.tenant());
        kept.add(stored);
      } catch (InvalidTenantException e) {
        LOG.error("registry: not routed: {}", e.getMessage());
      }
    }
    return kept;
  }

  private String safeMarker() {
    try {
      return store.changeMarker();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private void publish(RegistrySnapshot next) {
    RegistrySnapshot previous = snapshot;
    snapshot = next;
    if (previous.tenants().equals(next.tenants())) {
      return;
    }
    LOG.info("registry: {} tenants", next.tenants().size());
    for (BiConsumer<RegistrySnapshot, RegistrySnapshot> listener : listeners) {
      try {
        listener.accept(previous, next);
      } catch (RuntimeException e) {
        LOG.error("registry change listener failed", e);
      }
    }
  }

  private void markUnreachable(RuntimeException e) {
    if (reachable) {
      reachable = false;
      LOG.error("registry: {} unreachable, serving the last snapshot of {} tenants: {}", store.describe(),
        snapshot.tenants().size(), e.getMessage());
    }
  }

  private void markReachable() {
    if (!reachable) {
      reachable = true;
      LOG.info("registry: {} reachable again", store.describe());
    }
  }

  /** Stops watching, closes the store; see {@link #shutdown()} to wait for it. */
  @Override
  public void close() {
    shutdown();
  }

  /**
   * Stops watching and closes the store on the registry's thread, after any write in progress.
   *
   * @return completes once the store is closed (close Vert.x only then: closing it interrupts a
   *     worker that is still closing the MariaDB pool, which HikariCP logs as a failure)
   */
  public synchronized Future<Void> shutdown() {
    if (pollTimer >= 0) {
      vertx.cancelTimer(pollTimer);
      pollTimer = -1;
    }
    return worker.<Void>executeBlocking(() -> {
      store.close();
      return null;
    }).eventually(() -> worker.close());
  }
}
