package io.tenantgateway.gateway.proxy;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * Short error responses without internals.
 */
public final class ErrorPage {

  /** Seconds a client is told to wait after a 503. */
  public static final int RETRY_AFTER_SECONDS = 5;

  private ErrorPage() {
  }

  /**
   * Sends an error page and then closes the connection: for requests whose framing cannot be
   * trusted, or whose unread body is too large to drain.
   *
   * @param request the request
   * @param status the HTTP status
   */
  public static void sendAndClose(HttpServerRequest request, int status) {
    request.response().putHeader("Connection", "close");
    send(request.response(), status).onComplete(v -> request.connection().close());
  }

  /**
   * Sends an error page unless the response head was already written.
   *
   * @param response the response
   * @param status the HTTP status
   * @return completes when the page is written
   */
  public static Future<Void> send(HttpServerResponse response, int status) {
    if (response.headWritten() || response.ended() || response.closed()) {
      return Future.succeededFuture();
    }
    String reason = HttpResponseStatus.valueOf(status).reasonPhrase();
    String body = "<html><head><title>" + status + " " + reason + "</title></head><body><h1>" + status + " "
      + reason + "</h1></body></html>\n";
    response.setStatusCode(status)
      .putHeader("Content-Type", "text/html; charset=utf-8")
      .putHeader("Cache-Control", "no-store");
    if (status == 503 && !response.headers().contains("Retry-After")) {
      response.putHeader("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
    }
    return response.end(body);
  }
}
