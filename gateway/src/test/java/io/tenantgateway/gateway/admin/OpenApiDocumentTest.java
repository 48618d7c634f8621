package io.tenantgateway.gateway.admin;

import io.tenantgateway.gateway.observe.GatewayMetrics;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.registry.FileTenantStore;
import io.tenantgateway.gateway.registry.TenantRegistry;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code admin-api.yaml} describes exactly the routes the admin router serves, each with its
 * responses, and marks exactly {@code /healthz} and {@code /readyz} as open. The dashboard's routes
 * ({@link #DASHBOARD}) are the page's own, not part of the API, and are left out by name.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OpenApiDocumentTest {

  private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options",
    "trace");
  /** The dashboard's operations ({@link DashboardRoutes}): served, deliberately not in the document. */
  private static final Set<String> DASHBOARD = Set.of(
    "GET /",
    "GET /dashboard",
    "POST /dashboard/login",
    "POST /dashboard/logout",
    "GET /dashboard/dashboard.js",
    "GET /dashboard/dashboard.css",
    "GET /dashboard/api/tenants",
    "POST /dashboard/api/tenants/{id}/start",
    "POST /dashboard/api/tenants/{id}/stop",
    "POST /dashboard/api/tenants/{id}/restart");

  private Vertx vertx;
  private TenantRegistry registry;
  private AdminServer server;
  private JsonNode document;

  @BeforeAll
  void start() throws Exception {
    Path work = Files.createTempDirectory("gw-openapi");
    Path tenants = work.resolve("tenants.yaml");
    Files.writeString(tenants, "tenants: []\n");
    GatewayConfig config = GatewayConfig.load(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_ADMIN_TOKEN", "openapi-test",
      "GATEWAY_REGISTRY_FILE", tenants.toString(),
      "GATEWAY_RUN_DIR", work.resolve("run").toString()));
    vertx = Vertx.vertx();
    registry = TenantRegistry.open(vertx, new FileTenantStore(tenants), 1000,
      new io.tenantgateway.gateway.registry.BackendPolicy(java.util.List.of(), java.nio.file.Path.of("run")));
    server = AdminServer.start(vertx, config, registry, null, new GatewayMetrics()).await(30, TimeUnit.SECONDS);
    try (InputStream in = getClass().getResourceAsStream(OpenApiDocument.RESOURCE)) {
      assertNotNull(in, OpenApiDocument.RESOURCE);
      document = new ObjectMapper(new YAMLFactory()).readTree(in);
    }
  }

  @AfterAll
  void stop() throws Exception {
    server.close().await(30, TimeUnit.SECONDS);
    registry.close();
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private Map<String, JsonNode> documentedOperations() {
    Map<String, JsonNode> operations = new java.util.TreeMap<>();
    Iterator<Map.Entry<String, JsonNode>> paths = document.get("paths").fields();
    while (paths.hasNext()) {
      Map.Entry<String, JsonNode> path = paths.next();
      Iterator<Map.Entry<String, JsonNode>> entries = path.getValue().fields();
      while (entries.hasNext()) {
        Map.Entry<String, JsonNode> entry = entries.next();
        if (METHODS.contains(entry.getKey())) {
          operations.put(entry.getKey().toUpperCase(java.util.Locale.ROOT) + " " + path.getKey(), entry.getValue());
        }
      }
    }
    return operations;
  }

  @Test
  void documentAndRouterListTheSameOperations() {
    Set<String> documented = documentedOperations().keySet();
    Set<String> served = new TreeSet<>(server.operations());
    assertTrue(served.containsAll(DASHBOARD), "the dashboard's routes are as listed here: " + served);
    served.removeAll(DASHBOARD);
    assertFalse(served.isEmpty());
    Set<String> undocumented = new TreeSet<>(served);
    undocumented.removeAll(documented);
    Set<String> notServed = new TreeSet<>(documented);
    notServed.removeAll(served);
    assertTrue(undocumented.isEmpty(), "served but not in admin-api.yaml: " + undocumented);
    assertTrue(notServed.isEmpty(), "in admin-api.yaml but not served: " + notServed);
    assertEquals(served.size() + DASHBOARD.size(), server.operations().size(), "no operation registered twice");
  }

  @Test
  void everyOperationListsItsResponses() {
    assertTrue(document.get("openapi").asText().startsWith("3.0"));
    documentedOperations().forEach((operation, node) -> {
      JsonNode responses = node.get("responses");
      assertTrue(responses != null && responses.size() > 0, operation + " lists no responses");
      assertTrue(responses.fieldNames().next().startsWith("2"), operation + " lists its success first");
      boolean open = node.has("security") && node.get("security").isEmpty();
      assertEquals(!open, responses.has("401"), operation + ": 401 listed iff a token is required");
      assertEquals(!open, responses.has("429"), operation + ": 429 (too many wrong tokens) listed with 401");
      if (operation.contains("{id}")) {
        assertTrue(responses.has("404"), operation + " lists 404 for an unknown tenant");
      }
      assertNotNull(node.get("operationId"), operation + " has an operationId");
    });
  }

  @Test
  void everyReferenceResolves() {
    List<String> refs = new ArrayList<>();
    collectRefs(document, refs);
    assertFalse(refs.isEmpty());
    for (String ref : refs) {
      assertTrue(ref.startsWith("#/"), ref);
      assertFalse(document.at(ref.substring(1)).isMissingNode(), "unresolved $ref " + ref);
    }
  }

  @Test
  void theOpenOperationsAreExactlyTheOnesServedWithoutAToken() throws Exception {
    AdminClient anonymous = new AdminClient(server.port(), null);
    for (Map.Entry<String, JsonNode> operation : documentedOperations().entrySet()) {
      String[] parts = operation.getKey().split(" ", 2);
      AdminClient.Reply reply = anonymous.send(parts[0], parts[1].replace("{id}", "no-such-tenant"), null);
      boolean open = operation.getValue().has("security") && operation.getValue().get("security").isEmpty();
      assertEquals(open, reply.status() != 401, operation.getKey() + " answered " + reply);
    }
  }

  private static void collectRefs(JsonNode node, List<String> refs) {
    if (node.isObject()) {
      node.fields().forEachRemaining(field -> {
        if (field.getKey().equals("$ref")) {
          refs.add(field.getValue().asText());
        } else {
          collectRefs(field.getValue(), refs);
        }
      });
    } else if (node.isArray()) {
      node.forEach(child -> collectRefs(child, refs));
    }
  }
}
