package io.tenantgateway.gateway.proxy;

import io.tenantgateway.fcgi.FcgiBusyException;
import io.tenantgateway.fcgi.FcgiRejectedException;
import io.tenantgateway.fcgi.FcgiTimeoutException;
import io.tenantgateway.fcgi.ProtocolStatus;
import io.tenantgateway.provisioner.PoolUnavailableException;

/**
 * The one place where a failure becomes an HTTP status: 504 for a backend that is too slow, 503 for
 * one that cannot take the request now, 502 for everything else a backend does wrong.
 */
public final class ProxyFailure {

  private ProxyFailure() {
  }

  /**
   * @param failure what went wrong on the way to or from the backend
   * @return the status to answer with
   */
  public static int status(Throwable failure) {
    if (failure instanceof FcgiTimeoutException) {
      return ((FcgiTimeoutException) failure).phase() == FcgiTimeoutException.Phase.QUEUE ? 503 : 504;
    }
    if (failure instanceof FcgiBusyException) {
      return 503;
    }
    if (failure instanceof FcgiRejectedException
      && ((FcgiRejectedException) failure).status() == ProtocolStatus.OVERLOADED) {
      return 503;
    }
    if (failure instanceof PoolUnavailableException) {
      return 503;
    }
    if (failure instanceof GatewayException) {
      return ((GatewayException) failure).status();
    }
    return 502;
  }
}
