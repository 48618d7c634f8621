package io.tenantgateway.provisioner;

/**
 * Resource limits of one pool, applied through cgroups where the machine allows.
 *
 * @param memoryMb memory of the whole pool (master and workers); 0 for none
 * @param cpuPercent CPU quota in percent of one core; 0 for none
 * @param pids most processes of the pool; 0 for none
 */
public record PoolLimits(int memoryMb, int cpuPercent, int pids) {

  /** No limits. */
  public static final PoolLimits NONE = new PoolLimits(0, 0, 0);
}
