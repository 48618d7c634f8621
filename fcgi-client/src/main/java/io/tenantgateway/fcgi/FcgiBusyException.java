package io.tenantgateway.fcgi;

/**
 * Every connection slot of the endpoint is taken and its admission queue is full, or the endpoint's
 * pool was closed while the request waited.
 */
public class FcgiBusyException extends FcgiException {

  /**
   * @param message why no connection could be had
   */
  public FcgiBusyException(String message) {
    super(message);
  }
}
