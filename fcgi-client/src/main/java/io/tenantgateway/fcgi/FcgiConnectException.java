package io.tenantgateway.fcgi;

/**
 * No connection could be established to the endpoint (socket missing, connection refused).
 */
public class FcgiConnectException extends FcgiException {

  /**
   * @param message which endpoint failed
   * @param cause the transport failure
   */
  public FcgiConnectException(String message, Throwable cause) {
    super(message, cause);
  }
}
