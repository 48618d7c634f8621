package io.tenantgateway.fcgi;

/**
 * A time limit passed. {@link #phase()} says which one.
 */
public class FcgiTimeoutException extends FcgiException {

  /** The limits the client enforces. */
  public enum Phase {
    /** Waiting in the endpoint's admission queue for a free connection slot. */
    QUEUE,
    /** Establishing the connection. */
    CONNECT,
    /** No byte from the backend for the idle read timeout. */
    IDLE,
    /** The whole exchange took longer than the request timeout. */
    REQUEST
  }

  private final Phase phase;

  /**
   * @param phase the limit that passed
   * @param millis its value in milliseconds
   */
  public FcgiTimeoutException(Phase phase, long millis) {
    super(phase.name().toLowerCase() + " timeout after " + millis + " ms");
    this.phase = phase;
  }

  /**
   * @return the limit that passed
   */
  public Phase phase() {
    return phase;
  }
}
