package io.tenantgateway.provisioner;

/**
 * What happens to pools, for metrics. Called on whatever thread saw it happen; implementations must be
 * quick and thread-safe.
 */
public interface PoolEvents {

  /** Ignores everything. */
  PoolEvents NONE = new PoolEvents() {
  };

  /**
   * A pool answered its readiness ping.
   *
   * @param tenant the tenant id
   * @param millis spawn to answer
   * @param afterCrash true when the pool had crashed before this start
   */
  default void started(String tenant, long millis, boolean afterCrash) {
  }

  /**
   * A start failed (counted as a crash too).
   *
   * @param tenant the tenant id
   */
  default void startFailed(String tenant) {
  }

  /**
   * A running pool's master exited unexpectedly.
   *
   * @param tenant the tenant id
   */
  default void crashed(String tenant) {
  }
}
