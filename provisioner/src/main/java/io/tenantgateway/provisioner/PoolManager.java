package io.tenantgateway.provisioner;

import io.tenantgateway.fcgi.FcgiClient;
import io.tenantgateway.fcgi.FcgiClientOptions;
import io.tenantgateway.fcgi.FcgiEndpoint;
import io.tenantgateway.fcgi.FcgiParams;
import io.tenantgateway.fcgi.FcgiRequest;
import io.tenantgateway.provisioner.impl.Cgroups;
import io.tenantgateway.provisioner.impl.PhpFpmLauncher;
import io.tenantgateway.provisioner.impl.PoolConfigRenderer;
import io.tenantgateway.provisioner.impl.PoolDirectory;
import io.tenantgateway.provisioner.impl.PoolProcesses;
import io.tenantgateway.provisioner.impl.Pools;
import io.tenantgateway.provisioner.impl.TenantIdentity;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs one php-fpm pool per tenant, on demand: {@link #acquire} starts a stopped pool and holds the
 * request until it answers its ping; idle pools are stopped; crashed pools restart on the next
 * request with back-off, and after repeated crashes answer 503 for a cool-down.
 *
 * <p>Knows nothing of HTTP: callers pass a {@link PoolSpec} and get a {@link PoolLease} with the
 * pool's FastCGI endpoint.
 */
public final class PoolManager {

  /** Time between two readiness pings of a starting pool, ms. */
  static final long PING_RETRY_MS = 2;


  /** The most bytes of a ping's answer read ("pong"; a worker's code could answer instead). */
  static final int PING_BODY_LIMIT = 64;

  /** Period of the idle check, ms. */
  public static final long IDLE_CHECK_PERIOD_MS = 500;

  private final Vertx vertx;
  private final String isolation;
  private final Isolation defaultIsolation;
  private final FcgiClient probeClient;
  private final Pools pools;
  private final Cgroups cgroups;
  private final PoolProcesses processes;
  private final long idleTimer;

  private PoolManager(Vertx vertx, String isolation, Isolation defaultIsolation, Pools pools, Cgroups cgroups,
                      PoolProcesses processes, FcgiClient probeClient) {
    this.vertx = vertx;
    this.processes = processes;
    this.defaultIsolation = defaultIsolation;
    this.cgroups = cgroups;
    this.isolation = isolation;
    this.pools = pools;
    this.probeClient = probeClient;
    this.idleTimer = vertx.setPeriodic(IDLE_CHECK_PERIOD_MS, id -> pools.stopIdle(System.currentTimeMillis()));
  }

  /**
   * Creates the manager: finds php-fpm, reads the template, stops pools a previous run left behind.
   * Blocking (file and process work): call at start-up, off the event loop.
   *
   * @param vertx the Vert.x instance
   * @param options the settings
   * @return the manager
   * @throws IllegalStateException when php-fpm is missing (the message says how to install it)
   * @throws UncheckedIOException when the template cannot be read
   */
  public static PoolManager create(Vertx vertx, ProvisionerOptions options) {
    String template;
    try {
      template = Files.readString(options.template());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the pool template " + options.template(), e);
    }
    try {
      PoolDirectory.preparePoolsDir(options.runDir().toAbsolutePath().normalize().resolve("pools"));
    } catch (IOException e) {
      throw new IllegalStateException("cannot prepare the run directory " + options.runDir() + ": " + e.getMessage(),
        e);
    }
    TenantIdentity identity = TenantIdentity.detect(options.uidMin(), options.uidMax());
    Cgroups cgroups = identity.perTenantUsers() ? Cgroups.detect(Path.of("/sys/fs/cgroup")) : Cgroups.none();
    if (options.isolation() == Isolation.NAMESPACES && !identity.perTenantUsers()) {
      throw new IllegalStateException("isolation 'namespaces' needs root");
    }
    PhpFpmLauncher launcher = new PhpFpmLauncher(new PoolConfigRenderer(template),
      PhpFpmLauncher.findBinary(options.phpFpmBinary()), identity, cgroups, options.isolation());
    PoolProcesses processes = new PoolProcesses(launcher, cgroups);
    processes.cleanUpLeftovers();
    FcgiClient probeClient = FcgiClient.create(vertx, new FcgiClientOptions()
      .setConnectTimeout(1000).setReadIdleTimeout(options.startTimeout()).setPoolIdleTimeout(0));
    Pools pools = new Pools(vertx, options, processes, probe(vertx, probeClient, options));
    return new PoolManager(vertx, identity.describe() + "; " + describe(options.isolation()) + "; "
      + cgroups.describe(), options.isolation(), pools, cgroups, processes, probeClient);
  }

  /**
   * @param spec the tenant's pool as it should be
   * @return a lease on the running pool; failed with {@link PoolUnavailableException} (503)
   */
  public Future<PoolLease> acquire(PoolSpec spec) {
    return pools.get(spec).acquire(spec);
  }

  /**
   * @param listener told when a pool starts stopping, and when it starts again after a crash, with
   *     the endpoint of the run that ends; the caller should close the connections it keeps to it,
   *     since a php-fpm worker pinned to one would hold the stop (each run has its own endpoint, see
   *     FcgiEndpoint.instance); the same endpoint may be told twice
   */
  public void onStopping(java.util.function.Consumer<FcgiEndpoint> listener) {
    pools.onStopping(listener);
  }

  /**
   * @param listener told of every start (with its duration), failed start and crash
   */
  public void onEvents(PoolEvents listener) {
    pools.onEvents(listener);
  }

  /**
   * @param tenantId a tenant
   * @return completes when its pool is stopped (at once when it has none)
   */
  public Future<Void> stop(String tenantId) {
    return pools.stop(tenantId);
  }

  /**
   * Starts a pool now, as a request would, and waits until it answers its ping.
   *
   * @param spec the tenant's pool as it should be
   * @return completes when it is RUNNING; failed with {@link PoolUnavailableException}
   */
  public Future<Void> start(PoolSpec spec) {
    return pools.start(spec);
  }

  /**
   * Stops a pool gracefully and starts it again; also clears a FAILED state (operator action).
   *
   * @param spec the tenant's pool as it should be
   * @return completes when it is RUNNING again
   */
  public Future<Void> restart(PoolSpec spec) {
    return stop(spec.id()).compose(v -> start(spec));
  }

  /**
   * Applies a changed spec to a pool that is running: it restarts gracefully with the new settings.
   * A pool that is not running is left alone; its next start uses the new spec.
   *
   * @param spec the tenant's pool as it should be
   * @return completes when done
   */
  public Future<Void> apply(PoolSpec spec) {
    PoolStatus status = pools.status(spec.id());
    if (status == null || (status.state() != PoolState.RUNNING && status.state() != PoolState.STARTING)) {
      return Future.succeededFuture();
    }
    return start(spec);
  }

  /**
   * @param tenantId a tenant
   * @return its pool's status with memory use (reads cgroup files: call off the event loop), or null
   *     when the tenant never had a pool
   */
  public PoolStatus status(String tenantId) {
    PoolStatus status = pools.status(tenantId);
    return status == null ? null : withMemory(status);
  }

  /**
   * Stops the pool of a tenant that was deleted and forgets it.
   *
   * @param tenantId a tenant
   * @return completes when its pool is stopped and no longer listed
   */
  public Future<Void> remove(String tenantId) {
    return pools.remove(tenantId);
  }

  /**
   * @return completes when every pool is stopped
   */
  public Future<Void> stopAll() {
    vertx.cancelTimer(idleTimer);
    processes.close();
    return pools.stopAll().eventually(() -> {
      processes.close();
      return probeClient.close();
    });
  }

  /**
   * @return every known pool, with memory use (reads cgroup files: call off the event loop)
   */
  public List<PoolStatus> statuses() {
    return pools.statuses().stream().map(this::withMemory).toList();
  }

  private PoolStatus withMemory(PoolStatus status) {
    return status.pid() < 0 ? status : status.withMemory(cgroups.memoryUsage(status.tenant()));
  }

  private static String describe(Isolation isolation) {
    return isolation == Isolation.NAMESPACES
      ? "isolation namespaces: own PID, IPC, UTS and mount namespaces and a private root per pool (bubblewrap)"
      : "isolation users-only: pools see the host's processes and every file their user may read";
  }

  /** @return the isolation of tenants that set none ({@code provisioner.isolation}) */
  public Isolation defaultIsolation() {
    return defaultIsolation;
  }

  /** @return what isolation is in force, for logs and operators */
  public String isolation() {
    return isolation;
  }

  private static java.util.function.Function<io.tenantgateway.provisioner.impl.PoolHandle, Future<Void>> probe(
    Vertx vertx, FcgiClient client, ProvisionerOptions options) {
    return pool -> {
      long deadline = System.currentTimeMillis() + options.startTimeout();
      return ping(vertx, client, pool, deadline).eventually(() -> {
        client.closeEndpoint(pool.probeEndpoint());
        return Future.succeededFuture();
      });
    };
  }

  private static Future<Void> ping(Vertx vertx, FcgiClient client, io.tenantgateway.provisioner.impl.PoolHandle pool,
                                   long deadline) {
    if (!pool.processAlive()) {
      return vertx.executeBlocking(pool::lastLogLines, false)
        .compose(lines -> Future.failedFuture("php-fpm exited while starting: " + lines));
    }
    FcgiParams params = new FcgiParams()
      .add("REQUEST_METHOD", "GET")
      .add("SCRIPT_NAME", PoolConfigRenderer.PING_PATH)
      .add("SCRIPT_FILENAME", PoolConfigRenderer.PING_PATH)
      .add("REQUEST_URI", PoolConfigRenderer.PING_PATH)
      .add("QUERY_STRING", "")
      .add("SERVER_PROTOCOL", "HTTP/1.1")
      .add("GATEWAY_INTERFACE", "CGI/1.1");
    // the socket is the gateway's own: the ping waits in its backlog while php-fpm boots, so one
    // ping may take the whole start timeout; a retry follows only a refused or reset connection
    long left = Math.max(1, deadline - System.currentTimeMillis());
    return client.send(pool.probeEndpoint(), new FcgiRequest(params).timeout(left))
      .compose(response -> response.body(PING_BODY_LIMIT).map(body -> response.status() == 200
        && body.toString().trim().equals("pong")))
      .recover(e -> Future.succeededFuture(false))
      .compose(ok -> {
        if (ok) {
          return Future.succeededFuture();
        }
        if (System.currentTimeMillis() >= deadline) {
          return Future.failedFuture("no answer to the readiness ping within " + (deadline > 0 ? "the start timeout"
            : ""));
        }
        return vertx.timer(PING_RETRY_MS).compose(v -> ping(vertx, client, pool, deadline));
      });
  }
}
