package io.tenantgateway.provisioner;

import io.tenantgateway.fcgi.FcgiEndpoint;

/**
 * The right to send one request to a running pool. Release it when the request ends, whatever the
 * outcome: a pool with leases out is never stopped for idleness.
 */
public interface PoolLease {

  /** @return the pool's socket and connection limit */
  FcgiEndpoint endpoint();

  /** Ends the lease; a second call does nothing. */
  void release();

  /**
   * @param endpoint a FastCGI server the gateway does not manage
   * @return a lease that only carries the endpoint
   */
  static PoolLease unmanaged(FcgiEndpoint endpoint) {
    return new PoolLease() {
      @Override
      public FcgiEndpoint endpoint() {
        return endpoint;
      }

      @Override
      public void release() {
      }
    };
  }
}
