package io.tenantgateway.gateway.admin;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what an admin request carries: its JSON body, {@code If-Match}, query parameters and who sent it.
 * Every malformed input fails with a 400 (or 415) {@link ApiException} naming the field or header.
 */
final class AdminRequests {

  private static final Pattern STRONG_ETAG = Pattern.compile("\"([1-9][0-9]{0,18})\"");

  private AdminRequests() {
  }

  /**
   * @param ctx the request
   * @return the body as a JSON object
   * @throws ApiException 415 when it is not declared as JSON, 400 when it is not a JSON object
   */
  static JsonObject jsonObject(RoutingContext ctx) {
    String type = ctx.request().getHeader("Content-Type");
    String media = type == null ? "" : type.split(";", 2)[0].trim();
    if (!media.equalsIgnoreCase(JsonReplies.JSON)) {
      throw new ApiException(415, "expected Content-Type: application/json, got "
        + (type == null ? "none" : "'" + media + "'"));
    }
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      throw new ApiException(400, "a JSON object is required as the body");
    }
    Object value;
    try {
      value = Json.decodeValue(body);
    } catch (DecodeException e) {
      throw new ApiException(400, "invalid JSON: " + firstLine(e.getMessage()));
    }
    if (!(value instanceof JsonObject object)) {
      throw new ApiException(400, "expected a JSON object, got " + (value == null ? "null" : "a JSON "
        + value.getClass().getSimpleName().replace("Json", "").toLowerCase(java.util.Locale.ROOT)));
    }
    return object;
  }

  /**
   * @param ctx the request
   * @return the version named by {@code If-Match}, or null when absent or {@code *}
   * @throws ApiException 400 when it is not one strong entity tag of ours
   */
  static Long ifMatch(RoutingContext ctx) {
    String header = ctx.request().getHeader("If-Match");
    if (header == null || header.trim().equals("*")) {
      return null;
    }
    Matcher matcher = STRONG_ETAG.matcher(header.trim());
    if (!matcher.matches()) {
      throw new ApiException(400, "If-Match: expected one entity tag as given in ETag (\"<version>\") or *",
        "If-Match");
    }
    try {
      return Long.parseLong(matcher.group(1));
    } catch (NumberFormatException e) {
      throw new ApiException(400, "If-Match: no such version", "If-Match");
    }
  }

  /**
   * @param ctx the request
   * @param name a query parameter
   * @param fallback its value when absent
   * @param min the smallest value allowed
   * @param max the largest value allowed
   * @return its value
   * @throws ApiException 400 naming the parameter when it is not a whole number in range
   */
  static int intParam(RoutingContext ctx, String name, int fallback, int min, int max) {
    String raw = ctx.queryParams().get(name);
    if (raw == null) {
      return fallback;
    }
    try {
      int value = Integer.parseInt(raw.trim());
      if (value >= min && value <= max) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ApiException(400, name + ": expected a whole number from " + min + " to " + max, name);
  }

  /**
   * @param ctx the request
   * @return the caller as the registry's change log names it
   */
  static String actor(RoutingContext ctx) {
    return "admin@" + remoteAddress(ctx);
  }

  /**
   * @param ctx the request
   * @return the peer's address, without the port
   */
  static String remoteAddress(RoutingContext ctx) {
    SocketAddress remote = ctx.request().remoteAddress();
    if (remote == null) {
      return "unknown";
    }
    return remote.isDomainSocket() ? "unix-socket" : remote.hostAddress();
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int end = message.indexOf('\n');
    return end < 0 ? message : message.substring(0, end);
  }
}
