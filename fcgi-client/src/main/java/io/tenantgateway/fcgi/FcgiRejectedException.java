package io.tenantgateway.fcgi;

/**
 * The application ended the request with a protocol status other than REQUEST_COMPLETE.
 */
public class FcgiRejectedException extends FcgiException {

  private final ProtocolStatus status;

  /**
   * @param status the status the application reported
   */
  public FcgiRejectedException(ProtocolStatus status) {
    super("backend rejected the request: " + status);
    this.status = status;
  }

  /**
   * @return the status the application reported
   */
  public ProtocolStatus status() {
    return status;
  }
}
