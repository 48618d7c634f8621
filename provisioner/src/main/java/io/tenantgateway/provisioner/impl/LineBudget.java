package io.tenantgateway.provisioner.impl;

/**
 * How many lines of a pool's output reach the gateway's log: a token bucket of {@code burst}
 * lines, refilled at {@code perSecond}, so that a tenant printing in a loop cannot flood the log or
 * the disk under it. Lines over the budget are counted, and the count is reported once the bucket
 * has room again. Confined to the reading thread.
 */
final class LineBudget {

  private final double perNano;
  private final double burst;
  private double tokens;
  private long last;
  private long suppressed;

  /**
   * @param perSecond lines per second, sustained
   * @param burst lines at once
   * @param now the current time, ns
   */
  LineBudget(int perSecond, int burst, long now) {
    this.perNano = perSecond / 1e9;
    this.burst = burst;
    this.tokens = burst;
    this.last = now;
  }

  /**
   * @param now the current time, ns
   * @return true when this line may be logged
   */
  boolean take(long now) {
    tokens = Math.min(burst, tokens + (now - last) * perNano);
    last = now;
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    suppressed++;
    return false;
  }

  /** @return the lines refused since the last call, and starts counting again */
  long drainSuppressed() {
    long n = suppressed;
    suppressed = 0;
    return n;
  }
}
