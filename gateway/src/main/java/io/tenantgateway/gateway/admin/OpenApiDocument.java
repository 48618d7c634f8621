package io.tenantgateway.gateway.admin;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The OpenAPI 3.0 description of the admin API ({@code admin-api.yaml} on the class path), served
 * at {@code GET /v1/openapi.yaml}.
 */
final class OpenApiDocument {

  /** Where the document lives on the class path. */
  static final String RESOURCE = "/admin-api.yaml";

  private final Buffer yaml;

  private OpenApiDocument(Buffer yaml) {
    this.yaml = yaml;
  }

  /**
   * @param vertx the Vert.x instance (the resource is read on a worker thread)
   * @return the document
   */
  static Future<OpenApiDocument> load(Vertx vertx) {
    return vertx.executeBlocking(() -> {
      try (InputStream in = OpenApiDocument.class.getResourceAsStream(RESOURCE)) {
        if (in == null) {
          throw new IllegalStateException(RESOURCE + " is missing from the class path");
        }
        return new OpenApiDocument(Buffer.buffer(in.readAllBytes()));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + RESOURCE, e);
      }
    }, false);
  }

  Future<Void> serve(RoutingContext ctx) {
    return ctx.response().putHeader("Content-Type", "application/yaml").end(yaml);
  }
}
