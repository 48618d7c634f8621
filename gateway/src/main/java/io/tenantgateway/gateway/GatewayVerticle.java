package io.tenantgateway.gateway;

import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.proxy.FastCgiProxy;
import io.tenantgateway.gateway.proxy.GatewayHandler;
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
  private HttpServer server;

  /**
   * @param config the settings
   * @param router the current registry snapshot
   * @param proxy the shared FastCGI forwarder
   */
  public GatewayVerticle(GatewayConfig config, Supplier<HostRouter> router, FastCgiProxy proxy) {
    this.config = config;
    this.router = router;
    this.proxy = proxy;
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
      .setCompressionSupported(false);
    server = vertx.createHttpServer(options).requestHandler(new GatewayHandler(vertx, router, proxy));
    return server.listen();
  }

  /** @return the port actually bound */
  public int actualPort() {
    return server.actualPort();
  }
}
