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
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
  void withoutRootAnEmptyTokenOnAnAddressOthersReachIsRefused() {
    assertEquals("", AdminToken.resolve("", Path.of("/nonexistent"), false), "not root: no token is generated");
    ConfigException e = assertThrows(ConfigException.class, () -> AdminAccess.authFor("0.0.0.0", "",
      new AuthFailures(10, 60_000, AuthFailures.MAX_ADDRESSES, AuthFailures.MONOTONIC_MS)));
    assertTrue(e.getMessage().contains("admin.token (GATEWAY_ADMIN_TOKEN)"), e.getMessage());
    assertTrue(e.getMessage().contains("0.0.0.0") && e.getMessage().contains("not a loopback address"),
      e.getMessage());
    assertNull(AdminAccess.authFor("127.0.0.1", "", new AuthFailures(10, 60_000, AuthFailures.MAX_ADDRESSES,
      AuthFailures.MONOTONIC_MS)), "not root, loopback: an open listener");
  }

  @Test
  void asRootAnEmptyTokenMeansAGeneratedRootOnlyTokenKeptAcrossRestarts() throws Exception {
    GatewayConfig config = config("0.0.0.0", "");
    Path file = Path.of(config.string("run_dir")).resolve(AdminToken.FILE);
    Gateway gateway = Gateway.start(config).await(30, TimeUnit.SECONDS);
    String token;
    try {
      assertEquals(401, new AdminClient(gateway.adminPort(), null).get("/v1/tenants").status(),
        "a tenant on this host cannot use the admin API without the token");
      assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(file)));
      assertEquals("root", Files.getOwner(file).getName());
      token = Files.readString(file).trim();
      assertTrue(token.length() >= 64, token);
      assertEquals(200, new AdminClient(gateway.adminPort(), token).get("/v1/tenants").status());
    } finally {
      gateway.stop().await(30, TimeUnit.SECONDS);
    }
    Gateway again = Gateway.start(config).await(30, TimeUnit.SECONDS);
    try {
      assertEquals(200, new AdminClient(again.adminPort(), token).get("/v1/tenants").status(), "the same token");
    } finally {
      again.stop().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aTenantSendingWrongTokensCannotLockTheOperatorOutOfTheRootOnlySocket() throws Exception {
    GatewayConfig config = config("127.0.0.1", "operator-token");
    Path socket = Path.of(config.string("run_dir")).toAbsolutePath().resolve(AdminServer.SOCKET);
    Gateway gateway = Gateway.start(config).await(30, TimeUnit.SECONDS);
    try {
      assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(socket)), "only root may connect");
      AdminClient tenant = new AdminClient(gateway.adminPort(), "guessed-wrong");
      int status = 0;
      for (int i = 0; i < config.integer("admin.max_auth_failures") + 1 && status != 429; i++) {
        status = tenant.get("/v1/tenants").status();
      }
      assertEquals(429, status, "the tenant's wrong tokens blocked 127.0.0.1");
      assertEquals(429, new AdminClient(gateway.adminPort(), "operator-token").get("/v1/tenants").status(),
        "the operator over TCP from the same address is blocked too");
      assertEquals("HTTP/1.1 200 OK", statusLineOverSocket(socket, "operator-token"),
        "the operator over the root-only socket is not");
    } finally {
      gateway.stop().await(30, TimeUnit.SECONDS);
    }
  }

  private static String statusLineOverSocket(Path socket, String token) throws Exception {
    try (java.nio.channels.SocketChannel channel = java.nio.channels.SocketChannel.open(
      java.net.UnixDomainSocketAddress.of(socket))) {
      channel.write(java.nio.ByteBuffer.wrap(("GET /v1/tenants HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
        + token + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
      java.io.InputStream in = java.nio.channels.Channels.newInputStream(channel);
      return io.tenantgateway.gateway.testing.RawHttp.readLine(in);
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
