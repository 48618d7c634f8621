package io.tenantgateway.provisioner;

/**
 * A snapshot of one pool for operators.
 *
 * @param tenant the tenant id
 * @param state the state
 * @param pid the php-fpm master's pid, or -1
 * @param uid the uid the master runs as, or -1
 * @param startedAtMillis when the current process started (epoch ms), or 0
 * @param requests requests served since the gateway started
 * @param lastActivationMillis how long the last start took until the pool answered, ms, or -1
 * @param crashes unexpected exits in the current crash window
 * @param memoryBytes memory the pool uses now (from its cgroup), or -1 when unknown
 * @param memoryStateLostAtMillis when a run that had served requests last ended (idle stop, restart,
 *     crash), which emptied what PHP keeps only in the pool's memory (APCu, OPcache), or 0
 */
public record PoolStatus(String tenant, PoolState state, long pid, long uid, long startedAtMillis, long requests,
                         long lastActivationMillis, int crashes, long memoryBytes, long memoryStateLostAtMillis) {

  /**
   * @param bytes the pool's memory use
   * @return this status with the memory use filled in
   */
  public PoolStatus withMemory(long bytes) {
    return new PoolStatus(tenant, state, pid, uid, startedAtMillis, requests, lastActivationMillis, crashes, bytes,
      memoryStateLostAtMillis);
  }
}
