package io.tenantgateway.gateway.proxy;

/**
 * A failure of the gateway's own that carries its HTTP status (e.g. 503 when a tenant has no pool).
 */
public class GatewayException extends RuntimeException {

  private final int status;

  /**
   * @param status the HTTP status to answer with
   * @param message for the log, never shown to the client
   */
  public GatewayException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  /** @return the HTTP status */
  public int status() {
    return status;
  }
}
