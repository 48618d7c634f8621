package io.tenantgateway.gateway.routing;

import io.tenantgateway.gateway.registry.Tenant;
import io.tenantgateway.gateway.registry.TenantParser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;

/**
 * Builds validated tenants and their sites for the routing tests.
 */
final class Sites {

  private Sites() {
  }

  static Tenant tenant(String id, Path docroot, String... domains) {
    return TenantParser.parse(new JsonObject()
      .put("id", id)
      .put("domains", new JsonArray(java.util.List.of((Object[]) domains)))
      .put("docroot", docroot.toString()));
  }

  static TenantSite site(Path docroot, String mode, String index) {
    return new TenantSite(TenantParser.parse(new JsonObject()
      .put("id", "site")
      .put("domains", new JsonArray().add("site.test"))
      .put("docroot", docroot.toString())
      .put("routing", new JsonObject().put("mode", mode).put("index", index))));
  }
}
