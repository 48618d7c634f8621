package io.tenantgateway.provisioner;

/**
 * A pool cannot serve now: it failed to start, is FAILED, its wait queue is full, or the wait was
 * too long. Callers answer 503 with Retry-After.
 */
public class PoolUnavailableException extends RuntimeException {

  private final long retryAfterSeconds;

  /**
   * @param message why, for the log
   * @param retryAfterSeconds a hint for the client
   */
  public PoolUnavailableException(String message, long retryAfterSeconds) {
    super(message, null, false, false);
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** @return seconds a client should wait before retrying */
  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
