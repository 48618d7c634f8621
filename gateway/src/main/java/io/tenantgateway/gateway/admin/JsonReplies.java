package io.tenantgateway.gateway.admin;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Writes admin API replies: JSON bodies, never cached.
 */
final class JsonReplies {

  static final String JSON = "application/json";

  private JsonReplies() {
  }

  /**
   * @param ctx the request
   * @param status the status
   * @param body the body
   * @return completes when written
   */
  static Future<Void> send(RoutingContext ctx, int status, JsonObject body) {
    return prepare(ctx, status).putHeader("Content-Type", JSON).end(body.encode());
  }

  /**
   * @param ctx the request
   * @param error the error to report as {@code {"error": ..., "field": ...}}
   * @return completes when written
   */
  static Future<Void> error(RoutingContext ctx, ApiException error) {
    HttpServerResponse response = prepare(ctx, error.status());
    error.headers().forEach(response::putHeader);
    return send(ctx, error.status(), new JsonObject().put("error", error.getMessage()).put("field", error.field()));
  }

  /**
   * @param ctx the request
   * @param status the status, with no body (204)
   * @return completes when written
   */
  static Future<Void> empty(RoutingContext ctx, int status) {
    return prepare(ctx, status).end();
  }

  /**
   * @param version a tenant version
   * @return the strong entity tag of that version
   */
  static String etag(long version) {
    return "\"" + version + "\"";
  }

  private static HttpServerResponse prepare(RoutingContext ctx, int status) {
    return ctx.response().setStatusCode(status).putHeader("Cache-Control", "no-store");
  }
}
