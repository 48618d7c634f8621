package io.tenantgateway.gateway.observe;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * Watches every request from its first byte to its end: gives it a request id (kept from nginx's
 * {@code X-Request-Id} or made up, passed to PHP and returned to the client), gives every response
 * the gateway's own {@code Date} (as nginx, which hides the upstream's), then, when the response ends
 * or the connection closes, records it in the tenant's metrics and writes its access log line.
 */
public final class RequestObserver {

  /** Status logged for a request whose client went away before the response was sent, as nginx. */
  public static final int CLIENT_CLOSED = 499;

  private final GatewayMetrics metrics;
  private final AccessLog accessLog;

  /**
   * @param metrics the metrics
   * @param accessLog the access log, or null when off
   */
  public RequestObserver(GatewayMetrics metrics, AccessLog accessLog) {
    this.metrics = metrics;
    this.accessLog = accessLog;
  }

  /**
   * @param request a request that just arrived
   * @return its record, finished by itself when the request is over
   */
  public RequestRecord begin(HttpServerRequest request) {
    String id = RequestIds.acceptOrCreate(request.getHeader("X-Request-Id"));
    request.headers().set("X-Request-Id", id);
    RequestRecord record = new RequestRecord(request, id);
    HttpServerResponse response = request.response();
    response.headersEndHandler(v -> {
      record.runHeadersAction();
      response.headers().set("Date", HttpDate.now()).set("X-Request-Id", id);
    });
    response.endHandler(v -> finish(record));
    return record;
  }

  /**
   * @param record a request's record
   * @param tenantId the tenant it is routed to
   */
  public void routed(RequestRecord record, String tenantId) {
    record.routedTo(tenantId, metrics.tenant(tenantId));
  }

  /** Writes out the access log lines still batched; call once the listeners are drained. */
  public void flush() {
    if (accessLog != null) {
      accessLog.flush();
    }
  }

  private void finish(RequestRecord record) {
    record.runEndActions();
    HttpServerRequest request = record.request();
    HttpServerResponse response = request.response();
    int status = response.ended() ? response.getStatusCode() : CLIENT_CLOSED;
    long received = request.bytesRead();
    long sent = response.bytesWritten();
    if (record.meters() != null) {
      record.meters().finished(status, record.elapsedNanos(), record.activationNanos(), received, sent);
    }
    if (accessLog != null) {
      accessLog.write(record, status, received, sent);
    }
  }
}
