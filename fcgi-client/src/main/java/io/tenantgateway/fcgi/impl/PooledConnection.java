package io.tenantgateway.fcgi.impl;

import io.vertx.core.Context;

/**
 * What {@link EndpointPool} needs of a connection.
 */
public interface PooledConnection {

  /** @return the context the connection's I/O runs on */
  Context context();

  /** @return when the connection was established, in ms since the epoch */
  long createdAt();

  /** @return false once the connection closed or broke */
  boolean isOpen();

  /** Closes the connection; the pool learns of it through its close callback. */
  void close();
}
