package io.tenantgateway.provisioner;

import java.nio.file.Path;

/**
 * Settings of the {@link PoolManager}. Times in milliseconds unless the name says otherwise.
 *
 * @param runDir where each pool gets {@code pools/<id>/} (configuration, socket, tmp)
 * @param template the php-fpm pool configuration template ({@code conf/php-fpm-pool.conf})
 * @param phpFpmBinary the php-fpm executable, or null to find it
 * @param startTimeout longest time from spawn to a successful ping
 * @param stopGrace time a graceful stop (SIGQUIT) may take before SIGKILL
 * @param maxWaiters requests that may wait per tenant while its pool starts (503 beyond)
 * @param maxCrashes crashes within {@code crashWindow} that make a pool FAILED
 * @param crashWindow window in which crashes count
 * @param backoffBase first restart delay after a crash, doubled per further crash
 * @param failedCooldown how long a FAILED pool answers 503 before it may start again
 * @param maxActivePools most pools running at once (0: no limit); one more stops the least recently
 *     used idle pool, or is refused with 503 when none is idle
 * @param uidMin lowest uid and gid of a tenant user (as root)
 * @param uidMax highest uid and gid of a tenant user; a {@code tg-*} user outside the range is
 *     refused as not the gateway's
 * @param isolation namespaces (bubblewrap) or users only
 */
public record ProvisionerOptions(Path runDir, Path template, String phpFpmBinary, long startTimeout, long stopGrace,
                                 int maxWaiters, int maxCrashes, long crashWindow, long backoffBase,
                                 long failedCooldown, int maxActivePools, long uidMin, long uidMax,
                                 Isolation isolation) {

  /** Default lowest tenant uid: above Debian's user range (1000-59999) and its reserved 60000-69999. */
  public static final long DEFAULT_UID_MIN = 70_000;
  /** Default highest tenant uid: below the usual subordinate-uid ranges that start at 100000. */
  public static final long DEFAULT_UID_MAX = 99_999;


  /**
   * Options without a limit on active pools.
   *
   * @param runDir the run directory
   * @param template the pool template
   * @param phpFpmBinary the php-fpm executable, or null
   * @param startTimeout longest start
   * @param stopGrace graceful stop time
   * @param maxWaiters waiters per starting pool
   * @param maxCrashes crashes before FAILED
   * @param crashWindow crash window
   * @param backoffBase first back-off
   * @param failedCooldown FAILED duration
   */
  public ProvisionerOptions(Path runDir, Path template, String phpFpmBinary, long startTimeout, long stopGrace,
                            int maxWaiters, int maxCrashes, long crashWindow, long backoffBase, long failedCooldown) {
    this(runDir, template, phpFpmBinary, startTimeout, stopGrace, maxWaiters, maxCrashes, crashWindow, backoffBase,
      failedCooldown, 0, DEFAULT_UID_MIN, DEFAULT_UID_MAX, Isolation.parse("", isRoot()));
  }

  /** Default start timeout: 10 s. */
  public static final long DEFAULT_START_TIMEOUT = 10_000;
  /** Default grace of a stop: 10 s. */
  public static final long DEFAULT_STOP_GRACE = 10_000;
  /** Default waiters per starting pool: 1024. */
  public static final int DEFAULT_MAX_WAITERS = 1024;
  /** Default crashes before FAILED: 5. */
  public static final int DEFAULT_MAX_CRASHES = 5;
  /** Default crash window: 60 s. */
  public static final long DEFAULT_CRASH_WINDOW = 60_000;
  /** Default first back-off: 250 ms. */
  public static final long DEFAULT_BACKOFF_BASE = 250;
  /** Default FAILED cool-down: 60 s. */
  public static final long DEFAULT_FAILED_COOLDOWN = 60_000;

  /**
   * @param runDir the run directory
   * @param template the pool template
   * @return options with every default
   */
  public static ProvisionerOptions defaults(Path runDir, Path template) {
    return new ProvisionerOptions(runDir, template, null, DEFAULT_START_TIMEOUT, DEFAULT_STOP_GRACE,
      DEFAULT_MAX_WAITERS, DEFAULT_MAX_CRASHES, DEFAULT_CRASH_WINDOW, DEFAULT_BACKOFF_BASE, DEFAULT_FAILED_COOLDOWN);
  }

  /**
   * @param maxCrashes crashes before FAILED
   * @param backoffBase first restart delay
   * @param failedCooldown FAILED duration
   * @return a copy with these crash settings
   */
  public ProvisionerOptions withCrashPolicy(int maxCrashes, long backoffBase, long failedCooldown) {
    return new ProvisionerOptions(runDir, template, phpFpmBinary, startTimeout, stopGrace, maxWaiters, maxCrashes,
      crashWindow, backoffBase, failedCooldown, maxActivePools, uidMin, uidMax, isolation);
  }

  /**
   * @param limit most pools running at once, 0 for no limit
   * @return a copy with that limit
   */
  public ProvisionerOptions withMaxActivePools(int limit) {
    return new ProvisionerOptions(runDir, template, phpFpmBinary, startTimeout, stopGrace, maxWaiters, maxCrashes,
      crashWindow, backoffBase, failedCooldown, limit, uidMin, uidMax, isolation);
  }

  /**
   * @param min lowest tenant uid
   * @param max highest tenant uid
   * @return a copy with that range
   */
  public ProvisionerOptions withUidRange(long min, long max) {
    return new ProvisionerOptions(runDir, template, phpFpmBinary, startTimeout, stopGrace, maxWaiters, maxCrashes,
      crashWindow, backoffBase, failedCooldown, maxActivePools, min, max, isolation);
  }

  /**
   * @param value namespaces or users-only
   * @return a copy with that isolation
   */
  public ProvisionerOptions withIsolation(Isolation value) {
    return new ProvisionerOptions(runDir, template, phpFpmBinary, startTimeout, stopGrace, maxWaiters, maxCrashes,
      crashWindow, backoffBase, failedCooldown, maxActivePools, uidMin, uidMax, value);
  }

  /** @return true when this process runs as root */
  public static boolean isRoot() {
    return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
  }
}
