package io.tenantgateway.gateway.admin;

import io.tenantgateway.gateway.Gateway;
import io.tenantgateway.gateway.config.ConfigException;
import io.tenantgateway.gateway.config.GatewayConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Without a token the admin listener starts only on a loopback address.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminServerStartTest {

  private static GatewayConfig config(String adminHost, String token) throws Exception {
    Path work = Files.createTempDirectory("gw-admin-start");
    Path tenants = work.resolve("tenants.yaml");
    Files.writeString(tenants, "tenants: []\n");
    Map<String, String> env = new HashMap<>(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_ADMIN_HOST", adminHost,
      "GATEWAY_ADMIN_TOKEN", token,
      "GATEWAY_REGISTRY_FILE", tenants.toString(),
      "GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf",
      "GATEWAY_RUN_DIR", work.resolve("run").toString()));
    return GatewayConfig.load(env);
  }

  @Test
  void emptyTokenOnAnAddressOthersReachRefusesToStart() throws Exception {
    ExecutionException failed = assertThrows(ExecutionException.class, () -> Gateway.start(config("0.0.0.0", ""))
      .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
    ConfigException e = assertInstanceOf(ConfigException.class, failed.getCause());
    assertTrue(e.getMessage().contains("admin.token (GATEWAY_ADMIN_TOKEN)"), e.getMessage());
    assertTrue(e.getMessage().contains("0.0.0.0") && e.getMessage().contains("not a loopback address"),
      e.getMessage());
  }

  @Test
  void emptyTokenOnLoopbackServesWithoutAuthentication() throws Exception {
    Gateway gateway = Gateway.start(config("127.0.0.1", "")).await(30, TimeUnit.SECONDS);
    try {
      AdminClient anonymous = new AdminClient(gateway.adminPort(), null);
      AdminClient.Reply tenants = anonymous.get("/v1/tenants");
      assertEquals(200, tenants.status(), tenants.toString());
      assertEquals(List.of(), AdminClient.ids(tenants));
      assertEquals(404, anonymous.get("/v1/tenants/nobody").status());
      try (io.tenantgateway.gateway.testing.RawHttp http = new io.tenantgateway.gateway.testing.RawHttp(
        gateway.adminPort())) {
        http.send("GET /v1/tenants HTTP/1.1\r\nHost: rebound.example:9180\r\n\r\n");
        assertEquals(403, http.read(false).status(), "a page that rebinds its name to 127.0.0.1 is refused");
      }
    } finally {
      gateway.stop().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aTokenIsRequiredWhenOneIsSet() throws Exception {
    Gateway gateway = Gateway.start(config("127.0.0.1", "s3cret")).await(30, TimeUnit.SECONDS);
    try {
      assertEquals(401, new AdminClient(gateway.adminPort(), null).get("/v1/tenants").status());
      assertEquals(200, new AdminClient(gateway.adminPort(), "s3cret").get("/v1/tenants").status());
    } finally {
      gateway.stop().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void loopbackIsJudgedFromTheLiteralWithoutResolving() {
    for (String host : List.of("127.0.0.1", "127.1.2.3", "::1", "[::1]", "0:0:0:0:0:0:0:1", "localhost", "LOCALHOST")) {
      assertTrue(AdminAccess.isLoopback(host), host);
    }
    for (String host : List.of("0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "192.168.1.1", "example.com",
      "localhost.example.com", "127.0.0.1.nip.io")) {
      assertFalse(AdminAccess.isLoopback(host), host);
    }
  }
}
