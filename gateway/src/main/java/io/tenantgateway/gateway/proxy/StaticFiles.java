package io.tenantgateway.gateway.proxy;

import io.tenantgateway.gateway.routing.TenantSite;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;

import java.util.HashMap;
import java.util.Map;

/**
 * Serves a tenant's non-PHP files through Vert.x Web's {@link StaticHandler} (Content-Type,
 * Last-Modified, ETag, conditional requests, Range, HEAD). The request mapper has already decided
 * that the path is a file inside the docroot; one handler per tenant and event loop.
 */
public final class StaticFiles {

  private final Map<String, Entry> handlers = new HashMap<>();

  private record Entry(TenantSite site, StaticHandler handler) {
  }

  /**
   * @param context the routing context of the request
   * @param site the tenant whose docroot holds the file
   */
  public void serve(RoutingContext context, TenantSite site) {
    Entry entry = handlers.get(site.id());
    if (entry == null || entry.site() != site) {
      entry = new Entry(site, StaticHandler.create(FileSystemAccess.ROOT, site.docroot().toString())
        .setIndexPage("index.html")
        .setDirectoryListing(false)
        .setIncludeHidden(true)
        .setFilesReadOnly(false)
        .setCachingEnabled(true)
        .setMaxAgeSeconds(0)
        .setSendVaryHeader(false));
      handlers.put(site.id(), entry);
    }
    context.request().resume();
    entry.handler().handle(context);
  }
}
