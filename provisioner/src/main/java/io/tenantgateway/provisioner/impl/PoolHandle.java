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

  /** @return the end of the pool's logs, to explain a failed start */
  String lastLogLines();
}
