package io.tenantgateway.gateway;

import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.testing.RawHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11: a Laravel-shaped site ({@code app/public/index.php} requiring
 * {@code ../vendor/autoload.php}) runs when its tenant names {@code root: app}, under both isolations,
 * and fails as before when the root is the docroot; a shared library outside the tree is readable
 * only through {@code read_only_paths}; a file above the docroot is never served.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ApplicationTreeGatewayTest {

  private final List<Gateway> gateways = new ArrayList<>();
  private Path work;

  @BeforeAll
  void start() throws Exception {
    work = Files.createTempDirectory("gw-tree");
    Path app = Files.createDirectories(work.resolve("app/public"));
    Files.createDirectories(work.resolve("app/vendor"));
    Files.createDirectories(work.resolve("shared"));
    Files.writeString(work.resolve("app/vendor/autoload.php"), "<?php function greet() { return 'hello from vendor'; }\n");
    Files.writeString(work.resolve("app/.env"), "APP_KEY=secret-key\n");
    Files.writeString(work.resolve("shared/lib.php"), "<?php function shared() { return 'shared lib'; }\n");
    Files.writeString(app.resolve("index.php"), "<?php require __DIR__ . '/../vendor/autoload.php'; echo greet();\n");
    Files.writeString(app.resolve("shared.php"), "<?php require '" + work.resolve("shared/lib.php")
      + "'; echo shared();\n");
    try (var tree = Files.walk(work)) {
      for (Path p : tree.toList()) {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
      }
    }
  }

  @AfterAll
  void stop() throws Exception {
    for (Gateway gateway : gateways) {
      gateway.stop().await(30, TimeUnit.SECONDS);
    }
  }

  private int gateway(String isolation) throws Exception {
    Path public_ = work.resolve("app/public");
    String tenants = "tenants:\n"
      + "  - { id: tree-" + isolation + ", domains: [tree.test], docroot: \"" + public_ + "\", root: \""
      + work.resolve("app") + "\", read_only_paths: [\"" + work.resolve("shared") + "\"] }\n"
      + "  - { id: flat-" + isolation + ", domains: [flat.test], docroot: \"" + public_ + "\" }\n";
    Path file = work.resolve("tenants-" + isolation + ".yaml");
    Files.writeString(file, tenants);
    Gateway gateway = Gateway.start(GatewayConfig.load(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_REGISTRY_FILE", file.toString(),
      "GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf",
      "GATEWAY_POOL_ISOLATION", isolation,
      "GATEWAY_RUN_DIR", work.resolve("run-" + isolation).toString()))).await(30, TimeUnit.SECONDS);
    gateways.add(gateway);
    return gateway.httpPort();
  }

  @ParameterizedTest
  @ValueSource(strings = {"namespaces", "users-only"})
  void codeAboveTheDocrootRunsOnlyWithItsRoot(String isolation) throws Exception {
    int port = gateway(isolation);
    RawHttp.Response tree = RawHttp.get(port, "tree.test", "/");
    assertEquals(200, tree.status(), tree.text());
    assertEquals("hello from vendor", tree.text().trim());
    assertEquals("shared lib", RawHttp.get(port, "tree.test", "/shared.php").text().trim(), "read_only_paths");
    RawHttp.Response flat = RawHttp.get(port, "flat.test", "/");
    assertEquals(500, flat.status(), "without root, open_basedir is the docroot: " + flat.text());
    assertFalse(RawHttp.get(port, "flat.test", "/shared.php").text().contains("shared lib"));
    for (String target : new String[] {"/../.env", "/..%2f.env", "/../vendor/autoload.php"}) {
      RawHttp.Response r = RawHttp.get(port, "tree.test", target);
      assertTrue(r.status() == 400 || r.status() == 404, target + ": " + r.status());
      assertFalse(r.text().contains("secret-key") || r.text().contains("function greet"), target);
    }
  }
}
