package io.tenantgateway.fcgi;

/**
 * The protocol status an application reports in its END_REQUEST record.
 */
public enum ProtocolStatus {
  /** Normal end of request. */
  REQUEST_COMPLETE(0),
  /** The application refused a second concurrent request on one connection. */
  CANT_MPX_CONN(1),
  /** The application is out of resources (e.g. workers). */
  OVERLOADED(2),
  /** The application does not play the requested role. */
  UNKNOWN_ROLE(3);

  /** The status byte on the wire. */
  public final int code;

  ProtocolStatus(int code) {
    this.code = code;
  }

  /**
   * @param code the protocolStatus byte of an END_REQUEST body
   * @return the matching status
   * @throws IllegalArgumentException for any other value
   */
  public static ProtocolStatus from(int code) {
    for (ProtocolStatus status : values()) {
      if (status.code == code) {
        return status;
      }
    }
    throw new IllegalArgumentException("unknown FastCGI protocol status " + code);
  }
}
