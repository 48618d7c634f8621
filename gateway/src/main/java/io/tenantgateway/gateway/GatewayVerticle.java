package io.tenantgateway.gateway;

import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.observe.EventLoopLag;
import io.tenantgateway.gateway.observe.GatewayMetrics;
import io.tenantgateway.gateway.observe.RequestObserver;
import io.tenantgateway.gateway.proxy.FastCgiProxy;
import io.tenantgateway.gateway.proxy.GatewayHandler;
import io.tenantgateway.gateway.proxy.Http1Guard;
import io.tenantgateway.gateway.proxy.TrustedProxies;
import io.tenantgateway.gateway.routing.HostRouter;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

import java.util.function.Supplier;

/**
 * One HTTP listener on one event loop. Several instances share the port; each has its own static
 * file handlers, all share the FastCGI client and the registry snapshot.
 */
public final class GatewayVerticle extends VerticleBase {

  private final GatewayConfig config;
  private final Supplier<HostRouter> router;
  private final FastCgiProxy proxy;
  private final RequestObserver observer;
  private final GatewayMetrics metrics;
  private final int index;
  private HttpServer server;

  /**
   * @param config the settings
   * @param router the current registry snapshot
   * @param proxy the shared FastCGI forwarder
   * @param observer the access log and request metrics
   * @param metrics the registry (for this loop's lag gauge)
   * @param index this listener's number, a metrics label
   */
  public GatewayVerticle(GatewayConfig config, Supplier<HostRouter> router, FastCgiProxy proxy,
                         RequestObserver observer, GatewayMetrics metrics, int index) {
    this.config = config;
    this.router = router;
    this.proxy = proxy;
    this.observer = observer;
    this.metrics = metrics;
    this.index = index;
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options = new HttpServerOptions()
      .setHost(config.string("http.host"))
      .setPort(config.integer("http.port"))
      .setMaxHeaderSize(config.integer("http.max_header_size"))
      .setMaxInitialLineLength(config.integer("http.max_initial_line_length"))
      .setIdleTimeout(config.integer("http.idle_timeout_s"))
      .setTcpNoDelay(true)
      .setCompressionSupported(false)
      // no WebSocket (FastCGI cannot carry one): no extension handler looking at every request
      .setPerFrameWebSocketCompressionSupported(false)
      .setPerMessageWebSocketCompressionSupported(false)
      // HTTP/1 only, as nginx without "http2 on"; also makes the pipeline exist before the first read
      .setHttp2ClearTextEnabled(false);
    TrustedProxies trusted = TrustedProxies.parse(config.string("http.trusted_proxies"));
    server = vertx.createHttpServer(options)
      .connectionHandler(connection -> Http1Guard.install(connection, options, trusted,
        config.integer("http.header_timeout_s") * 1000L))
      .requestHandler(new GatewayHandler(vertx, router, proxy, observer));
    EventLoopLag.watch(context, metrics.meterRegistry(), Integer.toString(index));
    return server.listen();
  }

  /**
   * Stops accepting connections; requests in flight get up to {@code http.drain_timeout_s} to
   * finish before their connections are closed.
   */
  @Override
  public Future<?> stop() {
    return server.shutdown(config.integer("http.drain_timeout_s"), java.util.concurrent.TimeUnit.SECONDS);
  }

  /** @return the port actually bound */
  public int actualPort() {
    return server.actualPort();
  }
}
