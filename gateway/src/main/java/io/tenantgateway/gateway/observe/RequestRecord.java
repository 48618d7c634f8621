package io.tenantgateway.gateway.observe;

import io.tenantgateway.gateway.proxy.TrustedProxies;
import io.vertx.core.http.HttpServerRequest;

import java.util.ArrayList;
import java.util.List;

/**
 * One request as the access log and the metrics see it: when it started, which tenant it went to,
 * how long it waited for its pool to start and how long the FastCGI exchange took. Confined to the
 * request's event loop; finished once, when the response ends or the connection closes.
 */
public final class RequestRecord {

  private final HttpServerRequest request;
  private final String requestId;
  private final long startNanos = System.nanoTime();
  private final long startMillis = System.currentTimeMillis();
  private final List<Runnable> endActions = new ArrayList<>(2);
  private Runnable headersAction;
  private TrustedProxies.Client client;
  private String tenant;
  private TenantMeters meters;
  private long activationStart = -1;
  private long activationNanos = -1;
  private long upstreamStart = -1;
  private long upstreamNanos = -1;

  RequestRecord(HttpServerRequest request, String requestId) {
    this.request = request;
    this.requestId = requestId;
  }

  /**
   * @return the effective client ({@link TrustedProxies#client}), resolved once for the CGI
   *     parameters and the access log line
   */
  public TrustedProxies.Client client() {
    if (client == null) {
      client = TrustedProxies.client(request);
    }
    return client;
  }

  /**
   * @param tenantId the tenant the request was routed to
   * @param tenantMeters its meters (in-flight counted from now)
   */
  void routedTo(String tenantId, TenantMeters tenantMeters) {
    this.tenant = tenantId;
    this.meters = tenantMeters;
    tenantMeters.entered();
  }

  /** The request now waits for its tenant's pool. */
  public void activationStarted() {
    activationStart = System.nanoTime();
  }

  /** The pool is there (or failed). */
  public void activationEnded() {
    if (activationStart >= 0 && activationNanos < 0) {
      activationNanos = System.nanoTime() - activationStart;
    }
  }

  /** The FastCGI request is being sent. */
  public void upstreamStarted() {
    upstreamStart = System.nanoTime();
  }

  /** The FastCGI response is complete (or failed). */
  public void upstreamEnded() {
    if (upstreamStart >= 0 && upstreamNanos < 0) {
      upstreamNanos = System.nanoTime() - upstreamStart;
    }
  }

  /**
   * @param action run once when the request is over, whatever the outcome (e.g. release a lease)
   */
  public void onEnd(Runnable action) {
    endActions.add(action);
  }

  /**
   * @param action run just before the response head is written, to adjust its headers
   */
  public void beforeHeaders(Runnable action) {
    headersAction = action;
  }

  void runHeadersAction() {
    if (headersAction != null) {
      headersAction.run();
    }
  }

  void runEndActions() {
    for (Runnable action : endActions) {
      action.run();
    }
  }

  /** @return the request */
  public HttpServerRequest request() {
    return request;
  }

  /** @return the request id (from {@code X-Request-Id} or generated) */
  public String requestId() {
    return requestId;
  }

  /** @return the tenant id, or null when the request was not routed */
  public String tenant() {
    return tenant;
  }

  TenantMeters meters() {
    return meters;
  }

  long startMillis() {
    return startMillis;
  }

  long elapsedNanos() {
    return System.nanoTime() - startNanos;
  }

  /** @return nanoseconds spent waiting for the pool, or -1 when there was no wait */
  long activationNanos() {
    return activationNanos;
  }

  /** @return nanoseconds of the FastCGI exchange, or -1 when there was none */
  long upstreamNanos() {
    return upstreamNanos;
  }
}
