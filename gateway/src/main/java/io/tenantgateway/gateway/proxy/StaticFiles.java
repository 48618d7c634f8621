package io.tenantgateway.gateway.proxy;

import io.netty.handler.codec.DateFormatter;
import io.tenantgateway.gateway.routing.TenantSite;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.MimeMapping;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Date;

/**
 * Serves a tenant's non-PHP files from a descriptor the kernel vouched for ({@link DocrootFiles}),
 * as nginx's static module does: Content-Type from the name ({@code application/octet-stream}
 * when unknown, no charset), Last-Modified, If-Modified-Since (304), one byte range (206, 416;
 * several ranges get the whole file), HEAD, zero-copy sendfile(2). Vert.x Web's StaticHandler is not
 * used: it opens files by path, and a tenant can flip a symlink between any check and that open.
 */
public final class StaticFiles {

  private static final Logger LOG = LoggerFactory.getLogger(StaticFiles.class);
  private static final String DEFAULT_TYPE = "application/octet-stream";

  /**
   * @param request the GET or HEAD request, paused
   * @param site the tenant whose docroot holds the file
   * @param file the file the request mapper chose, below {@code site.docroot()}
   */
  public void serve(HttpServerRequest request, TenantSite site, Path file) {
    request.resume();
    String relative = site.docroot().relativize(file).toString();
    DocrootFiles.Result result = DocrootFiles.open(site.realDocroot(), site.realReadOnlyPaths(), relative);
    if (result instanceof DocrootFiles.Refused refused) {
      LOG.debug("tenant={} {} -> {}: {}", site.id(), request.path(), refused.status(), refused.reason());
      ErrorPage.send(request.response(), refused.status());
      return;
    }
    DocrootFiles.Opened opened = (DocrootFiles.Opened) result;
    try {
      respond(request, opened, file.getFileName().toString());
    } catch (RuntimeException e) {
      close(opened.channel());
      throw e;
    }
  }

  private static void respond(HttpServerRequest request, DocrootFiles.Opened file, String name) {
    HttpServerResponse response = request.response();
    long modifiedSeconds = file.lastModifiedMillis() / 1000;
    String type = MimeMapping.mimeTypeForFilename(name);
    response.putHeader(HttpHeaders.CONTENT_TYPE, type == null ? DEFAULT_TYPE : type)
      .putHeader(HttpHeaders.LAST_MODIFIED, DateFormatter.format(new Date(modifiedSeconds * 1000)))
      .putHeader(HttpHeaders.ACCEPT_RANGES, "bytes");
    if (notModified(request.getHeader(HttpHeaders.IF_MODIFIED_SINCE), modifiedSeconds)) {
      close(file.channel());
      response.setStatusCode(304).end();
      return;
    }
    ByteRange range = ByteRange.parse(request.getHeader("Range"), file.size());
    if (range == ByteRange.UNSATISFIABLE) {
      close(file.channel());
      response.putHeader(HttpHeaders.CONTENT_RANGE, "bytes */" + file.size());
      ErrorPage.send(response, 416);
      return;
    }
    long offset = 0;
    long length = file.size();
    if (range != null) {
      response.setStatusCode(206).putHeader(HttpHeaders.CONTENT_RANGE,
        "bytes " + range.first() + "-" + range.last() + "/" + file.size());
      offset = range.first();
      length = range.last() - range.first() + 1;
    }
    if (request.method() == HttpMethod.HEAD) {
      close(file.channel());
      response.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(length)).end();
      return;
    }
    response.sendFile(file.channel(), offset, length).onComplete(ar -> close(file.channel()));
  }

  private static boolean notModified(String ifModifiedSince, long modifiedSeconds) {
    if (ifModifiedSince == null) {
      return false;
    }
    Date since = DateFormatter.parseHttpDate(ifModifiedSince);
    return since != null && modifiedSeconds <= since.getTime() / 1000;
  }

  private static void close(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // a read-only channel: nothing is lost
    }
  }
}
