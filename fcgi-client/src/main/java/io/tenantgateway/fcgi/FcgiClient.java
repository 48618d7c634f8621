package io.tenantgateway.fcgi;

import io.tenantgateway.fcgi.impl.FcgiClientImpl;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Asynchronous FastCGI 1.0 client (responder role). It keeps a pool of kept-alive connections per
 * endpoint, never more than the endpoint's limit; requests beyond the limit wait in a bounded FIFO
 * queue. Request bodies and responses stream with back-pressure. Safe to use from any event loop.
 */
public interface FcgiClient {

  /**
   * @param vertx the Vert.x instance
   * @param options the settings
   * @return a new client
   */
  static FcgiClient create(Vertx vertx, FcgiClientOptions options) {
    return new FcgiClientImpl(vertx, options);
  }

  /**
   * Sends a request.
   *
   * @param endpoint where to send it
   * @param request what to send
   * @return the response once its header block is parsed; failed with an {@link FcgiException}
   */
  Future<FcgiResponse> send(FcgiEndpoint endpoint, FcgiRequest request);

  /**
   * @param endpoint an endpoint
   * @return its pool's figures now (zeroes for an unknown endpoint)
   */
  FcgiPoolStats stats(FcgiEndpoint endpoint);

  /**
   * Closes every connection of one endpoint and fails its waiting requests, e.g. when its pool
   * stops.
   *
   * @param endpoint the endpoint
   */
  void closeEndpoint(FcgiEndpoint endpoint);

  /**
   * Closes every connection and fails every waiting request.
   *
   * @return completes when closed
   */
  Future<Void> close();
}
