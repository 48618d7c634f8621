package io.tenantgateway.fcgi.impl;

import io.netty.channel.ConnectTimeoutException;
import io.tenantgateway.fcgi.FcgiClient;
import io.tenantgateway.fcgi.FcgiClientOptions;
import io.tenantgateway.fcgi.FcgiConnectException;
import io.tenantgateway.fcgi.FcgiEndpoint;
import io.tenantgateway.fcgi.FcgiPoolStats;
import io.tenantgateway.fcgi.FcgiRequest;
import io.tenantgateway.fcgi.FcgiResponse;
import io.tenantgateway.fcgi.FcgiTimeoutException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The {@link FcgiClient}: one {@link EndpointPool} per endpoint key, one shared {@link NetClient},
 * and a periodic sweep that evicts idle connections.
 */
public final class FcgiClientImpl implements FcgiClient {

  private static final long SWEEP_PERIOD_MS = 1_000;

  private final Vertx vertx;
  private final FcgiClientOptions options;
  private final NetClient netClient;
  private final ConcurrentMap<String, EndpointPool<FcgiConnection>> pools = new ConcurrentHashMap<>();
  private final long sweepTimer;
  private final TimeoutSweeper timeouts;

  /**
   * @param vertx the Vert.x instance
   * @param options the settings
   */
  public FcgiClientImpl(Vertx vertx, FcgiClientOptions options) {
    this.vertx = vertx;
    this.options = options;
    this.netClient = vertx.createNetClient(new NetClientOptions()
      .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, options.getConnectTimeout()))
      .setTcpNoDelay(true));
    this.timeouts = new TimeoutSweeper(vertx);
    this.sweepTimer = vertx.setPeriodic(SWEEP_PERIOD_MS, id -> pools.values().forEach(EndpointPool::evictIdle));
  }

  @Override
  public Future<FcgiResponse> send(FcgiEndpoint endpoint, FcgiRequest request) {
    ContextInternal context = (ContextInternal) vertx.getOrCreateContext();
    long timeout = request.timeout() >= 0 ? request.timeout() : options.getRequestTimeout();
    Exchange exchange = new Exchange(context, pool(endpoint), request, timeouts, options.getMaxResponseHeaderSize(),
      timeout, options.getReadIdleTimeout());
    return exchange.begin();
  }

  @Override
  public FcgiPoolStats stats(FcgiEndpoint endpoint) {
    EndpointPool<FcgiConnection> pool = pools.get(endpoint.key());
    return pool == null ? new FcgiPoolStats(0, 0, 0, endpoint.maxConnections()) : pool.stats();
  }

  @Override
  public void closeEndpoint(FcgiEndpoint endpoint) {
    EndpointPool<FcgiConnection> pool = pools.remove(endpoint.key());
    if (pool != null) {
      pool.close();
    }
  }

  @Override
  public Future<Void> close() {
    vertx.cancelTimer(sweepTimer);
    timeouts.close();
    List<EndpointPool<FcgiConnection>> all = new ArrayList<>(pools.values());
    pools.clear();
    all.forEach(EndpointPool::close);
    return netClient.close();
  }

  private EndpointPool<FcgiConnection> pool(FcgiEndpoint endpoint) {
    EndpointPool<FcgiConnection> pool = pools.get(endpoint.key());
    if (pool == null) {
      pool = pools.computeIfAbsent(endpoint.key(), key -> newPool(endpoint));
    }
    if (pool.stats().limit() != endpoint.maxConnections()) {
      pool.setLimit(endpoint.maxConnections());
    }
    return pool;
  }

  private EndpointPool<FcgiConnection> newPool(FcgiEndpoint endpoint) {
    EndpointPool<FcgiConnection>[] self = newPoolHolder();
    self[0] = new EndpointPool<>(vertx, context -> connect(context, endpoint, self[0]), endpoint.maxConnections(),
      options.getMaxQueueSize(), options.getQueueTimeout(), options.getPoolIdleTimeout(), options.getMaxLifetime());
    return self[0];
  }

  @SuppressWarnings("unchecked")
  private static EndpointPool<FcgiConnection>[] newPoolHolder() {
    return new EndpointPool[1];
  }

  private Future<FcgiConnection> connect(ContextInternal context, FcgiEndpoint endpoint,
                                         EndpointPool<FcgiConnection> pool) {
    io.vertx.core.Promise<FcgiConnection> promise = context.promise();
    context.runOnContext(v -> netClient.connect(endpoint.address()).onComplete(ar -> {
      if (ar.succeeded()) {
        promise.complete(new FcgiConnection(context, ar.result(), pool::closed));
      } else if (ar.cause() instanceof ConnectTimeoutException) {
        promise.fail(new FcgiTimeoutException(FcgiTimeoutException.Phase.CONNECT, options.getConnectTimeout()));
      } else {
        promise.fail(new FcgiConnectException("cannot connect to " + endpoint + ": " + ar.cause().getMessage(),
          ar.cause()));
      }
    }));
    return promise.future();
  }
}
