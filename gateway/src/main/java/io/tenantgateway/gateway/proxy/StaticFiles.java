package io.tenantgateway.gateway.proxy;

import io.tenantgateway.gateway.observe.RequestRecord;
import io.tenantgateway.gateway.routing.TenantSite;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;

import java.util.HashMap;
import java.util.Map;

/**
 * Serves a tenant's non-PHP files through Vert.x Web's {@link StaticHandler} (Content-Type,
 * Last-Modified, If-Modified-Since, Range, HEAD; no ETag). The request mapper has already decided
 * that the path is a file inside the docroot; one router per tenant and event loop.
 */
public final class StaticFiles {

  private static final String VERTX_CACHE_CONTROL = "public, immutable, max-age=0";

  private final Vertx vertx;
  private final Map<String, Entry> routers = new HashMap<>();

  private record Entry(TenantSite site, Router router) {
  }

  /**
   * @param vertx the Vert.x instance
   */
  public StaticFiles(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * @param request the request, paused
   * @param site the tenant whose docroot holds the file
   * @param record the request's record
   */
  public void serve(HttpServerRequest request, TenantSite site, RequestRecord record) {
    Entry entry = routers.get(site.id());
    if (entry == null || entry.site() != site) {
      Router router = Router.router(vertx);
      router.route().handler(StaticHandler.create(FileSystemAccess.ROOT, site.docroot().toString())
        .setIndexPage("index.html")
        .setDirectoryListing(false)
        .setIncludeHidden(true)
        .setFilesReadOnly(false)
        .setCachingEnabled(true)
        .setMaxAgeSeconds(0)
        .setSendVaryHeader(false));
      entry = new Entry(site, router);
      routers.put(site.id(), entry);
    }
    record.beforeHeaders(() -> dropDefaultCacheControl(request.response()));
    request.resume();
    entry.router().handle(request);
  }

  /** StaticHandler marks every file {@code immutable}; nginx sends no Cache-Control, and neither do we. */
  private static void dropDefaultCacheControl(HttpServerResponse response) {
    if (VERTX_CACHE_CONTROL.equals(response.headers().get("Cache-Control"))) {
      response.headers().remove("Cache-Control");
    }
  }
}
