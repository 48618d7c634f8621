package io.tenantgateway.fcgi;

/**
 * The backend sent bytes that break FastCGI 1.0 or the CGI response rules: wrong version, unexpected
 * record type or request id, a malformed or oversized response header block. The connection it came
 * from is discarded.
 */
public class FcgiProtocolException extends FcgiException {

  /**
   * @param message what was wrong with the input
   */
  public FcgiProtocolException(String message) {
    super(message);
  }
}
