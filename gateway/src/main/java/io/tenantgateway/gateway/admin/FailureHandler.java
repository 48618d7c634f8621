package io.tenantgateway.gateway.admin;

import io.tenantgateway.gateway.registry.InvalidTenantException;
import io.tenantgateway.gateway.registry.RegistryException;
import io.tenantgateway.provisioner.PoolUnavailableException;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where a failed admin request becomes its JSON error reply: API errors keep their
 * status, registry and pool failures map to theirs, anything else is a logged 500 without details.
 */
final class FailureHandler implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(FailureHandler.class);

  @Override
  public void handle(RoutingContext ctx) {
    if (ctx.response().headWritten()) {
      LOG.warn("admin API: {} {} failed after its reply began", ctx.request().method(), ctx.request().path(),
        ctx.failure());
      ctx.response().reset();
      return;
    }
    JsonReplies.error(ctx, toApiError(ctx));
  }

  private static ApiException toApiError(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiException api) {
      return api;
    }
    if (failure instanceof InvalidTenantException invalid) {
      return new ApiException(400, invalid.getMessage(), invalid.field());
    }
    if (failure instanceof RegistryException registry) {
      return new ApiException(registry.reason().status, registry.getMessage(), registry.field());
    }
    if (failure instanceof PoolUnavailableException pool) {
      return new ApiException(503, pool.getMessage())
        .header("Retry-After", String.valueOf(Math.max(1, pool.retryAfterSeconds())));
    }
    if (failure == null && ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      return byStatus(ctx.statusCode());
    }
    LOG.error("admin API: {} {} failed", ctx.request().method(), ctx.request().path(), failure);
    return new ApiException(500, "internal error; see the gateway log");
  }

  private static ApiException byStatus(int status) {
    return switch (status) {
      case 404 -> new ApiException(404, "no such resource");
      case 413 -> new ApiException(413, "request body too large");
      case 415 -> new ApiException(415, "expected Content-Type: application/json");
      default -> new ApiException(status, "request refused");
    };
  }
}
