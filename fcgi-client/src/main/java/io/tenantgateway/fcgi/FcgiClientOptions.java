package io.tenantgateway.fcgi;

/**
 * Settings of a {@link FcgiClient}. Every time is in milliseconds; 0 switches a timeout off.
 */
public class FcgiClientOptions {

  /** Default connect timeout: 5 s. */
  public static final long DEFAULT_CONNECT_TIMEOUT = 5_000;
  /** Default idle read timeout (no byte from the backend while a response is awaited): 60 s. */
  public static final long DEFAULT_READ_IDLE_TIMEOUT = 60_000;
  /** Default whole-request timeout: off; callers usually set one per request. */
  public static final long DEFAULT_REQUEST_TIMEOUT = 0;
  /** Default time a request may wait in an endpoint's admission queue: 30 s. */
  public static final long DEFAULT_QUEUE_TIMEOUT = 30_000;
  /** Default admission queue length per endpoint: 1024 requests. */
  public static final int DEFAULT_MAX_QUEUE_SIZE = 1024;
  /** Default time an unused pooled connection is kept: 30 s. */
  public static final long DEFAULT_POOL_IDLE_TIMEOUT = 30_000;
  /** Default lifetime of a pooled connection: 10 min. */
  public static final long DEFAULT_MAX_LIFETIME = 600_000;
  /** Default largest CGI response header block: 64 KiB. */
  public static final int DEFAULT_MAX_RESPONSE_HEADER_SIZE = 65_536;

  private long connectTimeout = DEFAULT_CONNECT_TIMEOUT;
  private long readIdleTimeout = DEFAULT_READ_IDLE_TIMEOUT;
  private long requestTimeout = DEFAULT_REQUEST_TIMEOUT;
  private long queueTimeout = DEFAULT_QUEUE_TIMEOUT;
  private int maxQueueSize = DEFAULT_MAX_QUEUE_SIZE;
  private long poolIdleTimeout = DEFAULT_POOL_IDLE_TIMEOUT;
  private long maxLifetime = DEFAULT_MAX_LIFETIME;
  private int maxResponseHeaderSize = DEFAULT_MAX_RESPONSE_HEADER_SIZE;

  /** @return the connect timeout in ms */
  public long getConnectTimeout() {
    return connectTimeout;
  }

  /**
   * @param connectTimeout time to establish a connection, ms
   * @return this
   */
  public FcgiClientOptions setConnectTimeout(long connectTimeout) {
    this.connectTimeout = nonNegative(connectTimeout, "connectTimeout");
    return this;
  }

  /** @return the idle read timeout in ms */
  public long getReadIdleTimeout() {
    return readIdleTimeout;
  }

  /**
   * @param readIdleTimeout longest silence from the backend during an exchange, ms
   * @return this
   */
  public FcgiClientOptions setReadIdleTimeout(long readIdleTimeout) {
    this.readIdleTimeout = nonNegative(readIdleTimeout, "readIdleTimeout");
    return this;
  }

  /** @return the default whole-request timeout in ms */
  public long getRequestTimeout() {
    return requestTimeout;
  }

  /**
   * @param requestTimeout longest exchange, from sending the request to END_REQUEST, ms
   * @return this
   */
  public FcgiClientOptions setRequestTimeout(long requestTimeout) {
    this.requestTimeout = nonNegative(requestTimeout, "requestTimeout");
    return this;
  }

  /** @return the admission queue timeout in ms */
  public long getQueueTimeout() {
    return queueTimeout;
  }

  /**
   * @param queueTimeout longest wait for a connection slot, ms
   * @return this
   */
  public FcgiClientOptions setQueueTimeout(long queueTimeout) {
    this.queueTimeout = nonNegative(queueTimeout, "queueTimeout");
    return this;
  }

  /** @return the admission queue length per endpoint */
  public int getMaxQueueSize() {
    return maxQueueSize;
  }

  /**
   * @param maxQueueSize requests that may wait per endpoint; one more fails at once
   * @return this
   */
  public FcgiClientOptions setMaxQueueSize(int maxQueueSize) {
    this.maxQueueSize = (int) nonNegative(maxQueueSize, "maxQueueSize");
    return this;
  }

  /** @return how long an unused connection stays pooled, ms */
  public long getPoolIdleTimeout() {
    return poolIdleTimeout;
  }

  /**
   * @param poolIdleTimeout how long an unused connection stays pooled, ms
   * @return this
   */
  public FcgiClientOptions setPoolIdleTimeout(long poolIdleTimeout) {
    this.poolIdleTimeout = nonNegative(poolIdleTimeout, "poolIdleTimeout");
    return this;
  }

  /** @return the longest life of a pooled connection, ms */
  public long getMaxLifetime() {
    return maxLifetime;
  }

  /**
   * @param maxLifetime a connection older than this is closed instead of reused, ms
   * @return this
   */
  public FcgiClientOptions setMaxLifetime(long maxLifetime) {
    this.maxLifetime = nonNegative(maxLifetime, "maxLifetime");
    return this;
  }

  /** @return the largest CGI response header block in bytes */
  public int getMaxResponseHeaderSize() {
    return maxResponseHeaderSize;
  }

  /**
   * @param maxResponseHeaderSize the largest CGI response header block in bytes
   * @return this
   */
  public FcgiClientOptions setMaxResponseHeaderSize(int maxResponseHeaderSize) {
    if (maxResponseHeaderSize < 64) {
      throw new IllegalArgumentException("maxResponseHeaderSize must be at least 64");
    }
    this.maxResponseHeaderSize = maxResponseHeaderSize;
    return this;
  }

  private static long nonNegative(long value, String name) {
    if (value < 0) {
      throw new IllegalArgumentException(name + " must not be negative, was " + value);
    }
    return value;
  }
}
