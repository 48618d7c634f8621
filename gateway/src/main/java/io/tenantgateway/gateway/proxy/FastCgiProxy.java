package io.tenantgateway.gateway.proxy;

import io.tenantgateway.fcgi.FcgiClient;
import io.tenantgateway.fcgi.FcgiEndpoint;
import io.tenantgateway.fcgi.FcgiRequest;
import io.tenantgateway.fcgi.FcgiResponse;
import io.tenantgateway.gateway.observe.RequestRecord;
import io.tenantgateway.gateway.routing.ConcurrencyLimit;
import io.tenantgateway.gateway.routing.Mapping;
import io.tenantgateway.gateway.routing.TenantSite;
import io.tenantgateway.provisioner.PoolLease;
import io.tenantgateway.provisioner.PoolManager;
import io.tenantgateway.provisioner.PoolUnavailableException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Sends a mapped script request to the tenant's FastCGI endpoint and streams the answer back. The
 * request body is read completely first ({@link RequestBodies}: memory, then a spool file), so a
 * slow upload holds neither a PHP worker nor a slot of its tenant; STDOUT streams into the response
 * with back-pressure. A client that goes away aborts the FastCGI request. Failures become statuses in
 * {@link ProxyFailure}.
 */
public final class FastCgiProxy {

  private static final Logger LOG = LoggerFactory.getLogger(FastCgiProxy.class);
  private static final Logger PHP_LOG = LoggerFactory.getLogger("tenant.php");
  private static final long MB = 1024L * 1024L;

  /** Response headers never passed to the client: hop-by-hop, and nginx controls for tenants. */
  private static final Set<String> DROPPED_RESPONSE_HEADERS = Set.of("connection", "keep-alive",
    "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade");

  private final Vertx vertx;
  private final FcgiClient client;
  private final PoolManager pools;
  private final long maxChunkedBody;
  private final long queueTimeoutMillis;
  private final int maxQueue;
  private final RequestBodies bodies;

  /**
   * @param vertx the Vert.x instance
   * @param client the FastCGI client
   * @param pools runs managed pools, or null when php-fpm is not available
   * @param maxChunkedBodyMb largest chunked request body buffered to learn its length, MiB
   * @param queueTimeoutMillis longest wait of a request over its tenant's {@code max_concurrent}
   * @param maxQueue most requests waiting over a tenant's {@code max_concurrent}
   * @param bodies reads request bodies before they go to PHP
   */
  public FastCgiProxy(Vertx vertx, FcgiClient client, PoolManager pools, long maxChunkedBodyMb,
                      long queueTimeoutMillis, int maxQueue, RequestBodies bodies) {
    this.maxQueue = maxQueue;
    this.bodies = bodies;
    this.vertx = vertx;
    this.client = client;
    this.pools = pools;
    this.maxChunkedBody = maxChunkedBodyMb * MB;
    this.queueTimeoutMillis = queueTimeoutMillis;
  }

  /**
   * Handles one script request; the request is paused on entry. It waits for a slot under the
   * tenant's {@code max_concurrent}, then for its pool, then goes to FastCGI.
   *
   * @param request the HTTP request
   * @param site the tenant
   * @param script the mapped script
   * @param host the normalised request host
   * @param record the request's record (activation and upstream times, end actions)
   */
  public void forward(HttpServerRequest request, TenantSite site, Mapping.Script script, String host,
                      RequestRecord record) {
    long maxBody = site.tenant().limits().maxBodyMb() * MB;
    String contentLength = request.getHeader("Content-Length");
    long declared = contentLength == null ? -1 : Long.parseLong(contentLength);
    if (declared > maxBody) {
      refuseBody(request, 413);
      return;
    }
    boolean chunked = declared < 0 && request.headers().contains("Transfer-Encoding");
    Future<RequestBodies.Body> body;
    if (declared > 0 || chunked) {
      continueIfExpected(request);
      body = bodies.read(request, chunked ? Math.min(maxBody, maxChunkedBody) : maxBody);
    } else {
      body = Future.succeededFuture(RequestBodies.EMPTY);
    }
    body.onComplete(read -> {
      if (read.failed()) {
        if (request.response().closed()) {
          LOG.info("tenant={} {} {}: client went away during the request body; PHP never saw it", site.id(),
            request.method(), request.path());
        } else {
          // over the limit: 413; a malformed chunk (the decoder's failure): 400
          refuseBody(request, read.cause() instanceof GatewayException ? ProxyFailure.status(read.cause()) : 400);
        }
        return;
      }
      record.onEnd(read.result()::release);
      admit(request, site, script, host, read.result(), record);
    });
  }

  private void admit(HttpServerRequest request, TenantSite site, Mapping.Script script, String host,
                     RequestBodies.Body body, RequestRecord record) {
    site.concurrency().acquire(vertx, queueTimeoutMillis, maxQueue).onComplete(slot -> {
      if (slot.failed()) {
        fail(request, site, new GatewayException(503, "limits.max_concurrent reached: " + slot.cause().getMessage()));
        return;
      }
      leaseFor(site, record).onComplete(ar -> {
        if (ar.failed()) {
          slot.result().release();
          fail(request, site, ar.cause());
          return;
        }
        PoolLease lease = holdingSlot(ar.result(), slot.result());
        record.onEnd(lease::release);
        proceed(request, site, script, host, lease, body, record);
      });
    });
  }

  private Future<PoolLease> leaseFor(TenantSite site, RequestRecord record) {
    if (site.backendLease() != null) {
      return Future.succeededFuture(site.backendLease());
    }
    if (pools == null) {
      return Future.failedFuture(new GatewayException(503, "tenant has no backend and php-fpm is not installed"));
    }
    Future<PoolLease> lease = pools.acquire(site.poolSpec());
    if (!lease.isComplete()) {
      record.activationStarted();
      lease.onComplete(ar -> record.activationEnded());
    }
    return lease;
  }

  private static PoolLease holdingSlot(PoolLease lease, ConcurrencyLimit.Slot slot) {
    return new PoolLease() {
      @Override
      public FcgiEndpoint endpoint() {
        return lease.endpoint();
      }

      @Override
      public void release() {
        lease.release();
        slot.release();
      }
    };
  }

  private void proceed(HttpServerRequest request, TenantSite site, Mapping.Script script, String host,
                       PoolLease lease, RequestBodies.Body body, RequestRecord record) {
    if (request.response().closed()) {
      lease.release();
      return;
    }
    send(request, site, lease, buildRequest(request, site, script, host, body, record), record);
  }

  /**
   * Answers {@code Expect: 100-continue} when the body is about to be read, as nginx does: a
   * client that waits for it would otherwise stall (curl: 1 s) before sending the body.
   */
  private static void continueIfExpected(HttpServerRequest request) {
    String expect = request.getHeader("Expect");
    if (expect != null && expect.trim().equalsIgnoreCase("100-continue") && request.version() != HttpVersion.HTTP_1_0) {
      request.response().writeContinue();
    }
  }

  private FcgiRequest buildRequest(HttpServerRequest request, TenantSite site, Mapping.Script script, String host,
                                   RequestBodies.Body body, RequestRecord record) {
    boolean hasBody = body != RequestBodies.EMPTY;
    FcgiRequest fcgiRequest = new FcgiRequest(CgiParams.build(request, site, script, host,
      hasBody ? Long.toString(body.length()) : null, record.client()))
      .timeout(site.tenant().php().requestTimeoutSeconds() * 1000L)
      .stderrHandler(data -> logStderr(site, data));
    if (body instanceof RequestBodies.InMemory memory) {
      fcgiRequest.body(memory.data());
    } else if (body instanceof RequestBodies.Spooled spooled) {
      fcgiRequest.body(spooled.stream());
    }
    return fcgiRequest;
  }

  private void send(HttpServerRequest request, TenantSite site, PoolLease lease, FcgiRequest fcgiRequest,
                    RequestRecord record) {
    HttpServerResponse response = request.response();
    response.closeHandler(v -> {
      if (!response.ended()) {
        LOG.info("tenant={} {} {}: client went away before the end of the response; the FastCGI request is "
          + "aborted, its worker freed", site.id(), request.method(), request.path());
      }
      fcgiRequest.abort();
      lease.release();
    });
    record.upstreamStarted();
    client.send(lease.endpoint(), fcgiRequest).onComplete(ar -> {
      if (ar.failed()) {
        record.upstreamEnded();
        fail(request, site, ar.cause());
      } else {
        respond(request, site, ar.result(), record);
      }
    });
  }

  private void respond(HttpServerRequest request, TenantSite site, FcgiResponse upstream, RequestRecord record) {
    HttpServerResponse response = request.response();
    if (response.closed()) {
      upstream.abort();
      return;
    }
    String invalid = ResponseChecks.problem(upstream);
    if (invalid != null) {
      upstream.abort();
      record.upstreamEnded();
      fail(request, site, new GatewayException(502, "invalid response: " + invalid));
      return;
    }
    response.setStatusCode(upstream.status());
    if (upstream.statusMessage() != null) {
      response.setStatusMessage(upstream.statusMessage());
    }
    for (Map.Entry<String, String> header : upstream.headers()) {
      String lower = header.getKey().toLowerCase(Locale.ROOT);
      if (!DROPPED_RESPONSE_HEADERS.contains(lower) && !lower.startsWith("x-accel-")) {
        response.headers().add(header.getKey(), header.getValue());
      }
    }
    boolean bodiless = request.method() == HttpMethod.HEAD || upstream.status() == 204 || upstream.status() == 304;
    Buffer whole = upstream.completeBody();
    if (whole != null) {
      record.upstreamEnded();
      if (bodiless) {
        response.end();
      } else {
        response.putHeader("Content-Length", Integer.toString(whole.length()));
        response.end(whole);
      }
      return;
    }
    if (bodiless) {
      upstream.handler(data -> { });
      upstream.exceptionHandler(e -> broken(request, site, e));
      upstream.endHandler(v -> {
        record.upstreamEnded();
        response.end();
      });
      upstream.resume();
      return;
    }
    if (!response.headers().contains("Content-Length")) {
      if (request.version() == HttpVersion.HTTP_1_0) {
        response.putHeader("Connection", "close");
      }
      response.setChunked(true);
    }
    upstream.sendBody(ResponseChecks.exactLength(response))
      .onComplete(ar -> record.upstreamEnded())
      .onFailure(e -> broken(request, site, e));
  }

  private void fail(HttpServerRequest request, TenantSite site, Throwable failure) {
    if (request.response().closed()) {
      LOG.debug("tenant={} {} {}: client went away: {}", site.id(), request.method(), request.path(),
        failure.getMessage());
      return;
    }
    int status = ProxyFailure.status(failure);
    LOG.warn("tenant={} {} {} -> {}: {}", site.id(), request.method(), request.path(), status, failure.getMessage());
    request.resume();
    if (!request.response().headWritten()) {
      request.response().headers().clear();
      if (failure instanceof PoolUnavailableException) {
        request.response().putHeader("Retry-After",
          Long.toString(((PoolUnavailableException) failure).retryAfterSeconds()));
      }
    }
    ErrorPage.send(request.response(), status);
  }

  private void broken(HttpServerRequest request, TenantSite site, Throwable failure) {
    HttpServerResponse response = request.response();
    if (!response.headWritten()) {
      fail(request, site, failure);
      return;
    }
    if (!response.closed()) {
      LOG.warn("tenant={} {} {}: response cut short: {}", site.id(), request.method(), request.path(),
        failure.getMessage());
      request.connection().close();
    }
  }

  private static void refuseBody(HttpServerRequest request, int status) {
    ErrorPage.sendAndClose(request, status);
  }

  private static void logStderr(TenantSite site, Buffer data) {
    String text = data.toString(StandardCharsets.UTF_8).strip();
    if (!text.isEmpty()) {
      PHP_LOG.warn("tenant={} {}", site.id(), text);
    }
  }
}
