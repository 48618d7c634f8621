package io.tenantgateway.gateway.proxy;

import io.tenantgateway.gateway.observe.RequestObserver;
import io.tenantgateway.gateway.observe.RequestRecord;
import io.tenantgateway.gateway.routing.HostRouter;
import io.tenantgateway.gateway.routing.Mapping;
import io.tenantgateway.gateway.routing.PercentEncoding;
import io.tenantgateway.gateway.routing.RequestMapper;
import io.tenantgateway.gateway.routing.TenantSite;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import java.util.function.Supplier;

/**
 * The request path, top to bottom: start its record (request id, access log, metrics), refuse
 * malformed requests ({@link RequestChecks}), Host → tenant, path → script or file, then serve the
 * file or forward the script over FastCGI.
 */
public final class GatewayHandler implements Handler<HttpServerRequest> {

  private final Supplier<HostRouter> router;
  private final RequestMapper mapper = new RequestMapper();
  private final StaticFiles staticFiles;
  private final FastCgiProxy proxy;
  private final RequestObserver observer;

  /**
   * @param vertx the Vert.x instance
   * @param router the current registry snapshot
   * @param proxy forwards script requests
   * @param observer the access log and metrics
   */
  public GatewayHandler(Vertx vertx, Supplier<HostRouter> router, FastCgiProxy proxy, RequestObserver observer) {
    this.router = router;
    this.proxy = proxy;
    this.observer = observer;
    this.staticFiles = new StaticFiles();
  }

  @Override
  public void handle(HttpServerRequest request) {
    request.pause();
    RequestRecord record = observer.begin(request);
    if (RequestChecks.refused(request)) {
      return;
    }
    String host = request.authority() == null ? null : HostRouter.normalize(request.authority().host());
    TenantSite site = host == null ? null : router.get().route(host);
    if (site == null) {
      answer(request, 404);
      return;
    }
    observer.routed(record, site.id());
    if (!site.tenant().enabled()) {
      answer(request, 503);
      return;
    }
    Mapping mapping = mapper.map(site, request.path());
    if (mapping instanceof Mapping.Script) {
      proxy.forward(request, site, (Mapping.Script) mapping, host, record);
    } else if (mapping instanceof Mapping.StaticFile) {
      if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
        request.response().putHeader("Allow", "GET, HEAD");
        answer(request, 405);
      } else {
        staticFiles.serve(request, site, ((Mapping.StaticFile) mapping).file());
      }
    } else if (mapping instanceof Mapping.Redirect) {
      String query = request.query();
      redirect(request, ((Mapping.Redirect) mapping).location() + (query == null ? "" : "?" + encodeQuery(query)));
    } else {
      answer(request, ((Mapping.Refused) mapping).status());
    }
  }

  private static void redirect(HttpServerRequest request, String location) {
    request.resume();
    HttpServerResponse response = request.response();
    response.setStatusCode(301).putHeader("Location", location).end();
  }

  private static String encodeQuery(String rawQuery) {
    return PercentEncoding.encode(rawQuery.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1),
      c -> c > 0x20 && c < 0x7F && c != '"' && c != '<' && c != '>' && c != '`');
  }

  private static void answer(HttpServerRequest request, int status) {
    request.resume();
    ErrorPage.send(request.response(), status);
  }
}
