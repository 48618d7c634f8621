package io.tenantgateway.provisioner.impl;

import io.tenantgateway.fcgi.FcgiEndpoint;

/**
 * What the readiness probe sees of a starting pool.
 */
public interface PoolHandle {

  /** @return the pool's socket, with one connection for the probe */
  FcgiEndpoint probeEndpoint();

  /** @return false once the master exited */
  boolean processAlive();

  /**
   * @return the end of the pool's logs, to explain a failed start: once its process is gone, all
   *     it wrote (waits at most 500 ms for the rest of its output; blocking)
   */
  String lastLogLines();
}
