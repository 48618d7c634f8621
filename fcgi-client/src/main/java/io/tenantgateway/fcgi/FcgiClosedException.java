package io.tenantgateway.fcgi;

/**
 * The connection closed before the application ended the request (backend crashed or was killed,
 * or the caller aborted the exchange).
 */
public class FcgiClosedException extends FcgiException {

  /**
   * @param message when in the exchange the connection closed
   */
  public FcgiClosedException(String message) {
    super(message);
  }
}
