package io.tenantgateway.fcgi;

/**
 * Base of every failure the FastCGI client reports. Subclasses say what went wrong so that a caller
 * can map each to its own HTTP status.
 */
public class FcgiException extends RuntimeException {

  /**
   * @param message what failed, without secrets
   */
  public FcgiException(String message) {
    super(message, null, false, false);
  }

  /**
   * @param message what failed
   * @param cause the underlying failure
   */
  public FcgiException(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
