package io.tenantgateway.gateway.admin;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tenantgateway.gateway.observe.GatewayMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /metrics}: the registry in the Prometheus text format. The scrape walks every meter
 * (tens per tenant), so it runs on a worker thread, not on the event loop.
 */
final class MetricsHandler {

  private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final Vertx vertx;
  private final PrometheusMeterRegistry registry;

  MetricsHandler(Vertx vertx, GatewayMetrics metrics) {
    this.vertx = vertx;
    this.registry = metrics.registry();
  }

  Future<Void> scrape(RoutingContext ctx) {
    return vertx.executeBlocking(registry::scrape, false)
      .compose(text -> ctx.response().putHeader("Content-Type", CONTENT_TYPE).end(text));
  }
}
