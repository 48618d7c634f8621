package io.tenantgateway.gateway.attacks;

import io.tenantgateway.gateway.testing.RawHttp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * {@code http.trusted_proxies} end to end: two gateways in front of one php-fpm, one trusting the
 * test's own address (127.0.0.1, the direct peer) and one trusting nobody; PHP's {@code $_SERVER}
 * is compared.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TrustedProxiesGatewayTest {

  private AttackSite site;
  private int trusting;
  private int distrusting;

  @BeforeAll
  void start() throws Exception {
    site = AttackSite.start("trusted");
    trusting = site.gateway(Map.of("GATEWAY_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1, ::1"), "");
    distrusting = site.gateway(Map.of(), "");
  }

  @AfterAll
  void stop() throws Exception {
    if (site != null) {
      site.close();
    }
  }

  private static JsonObject server(int port, String headers) throws IOException {
    try (RawHttp http = new RawHttp(port)) {
      http.send("GET /dump.php HTTP/1.1\r\nHost: site.test\r\n" + headers + "\r\n");
      RawHttp.Response r = http.read(false);
      assertEquals(200, r.status(), r.text());
      return new JsonObject(r.text()).getJsonObject("server");
    }
  }

  @Test
  void xForwardedHeadersFromATrustedPeer() throws IOException {
    String headers = "X-Forwarded-For: 198.51.100.1, 203.0.113.7, 10.1.2.3\r\nX-Forwarded-Proto: https\r\n";
    JsonObject s = server(trusting, headers);
    assertEquals("203.0.113.7", s.getString("REMOTE_ADDR"), "right-most untrusted address");
    assertEquals("", s.getString("REMOTE_PORT"), "no port for an address from a header");
    assertEquals("on", s.getString("HTTPS"));
    assertEquals("https", s.getString("REQUEST_SCHEME"));
    assertEquals("443", s.getString("SERVER_PORT"));
    assertEquals("198.51.100.1, 203.0.113.7, 10.1.2.3", s.getString("HTTP_X_FORWARDED_FOR"),
      "the header itself still reaches the script");
    assertEquals("https", s.getString("HTTP_X_FORWARDED_PROTO"));
  }

  @Test
  void xForwardedPort() throws IOException {
    JsonObject s = server(trusting, "X-Forwarded-Proto: https\r\nX-Forwarded-Port: 8443\r\n");
    assertEquals("8443", s.getString("SERVER_PORT"));
    assertEquals("127.0.0.1", s.getString("REMOTE_ADDR"), "no X-Forwarded-For: the peer");
  }

  @Test
  void forwardedFromATrustedPeer() throws IOException {
    JsonObject s = server(trusting, "Forwarded: for=\"[2001:db8:cafe::17]:4711\";proto=https, for=10.0.0.2\r\n"
      + "X-Forwarded-For: 192.0.2.1\r\n");
    assertEquals("2001:db8:cafe::17", s.getString("REMOTE_ADDR"));
    assertEquals("4711", s.getString("REMOTE_PORT"));
    assertEquals("on", s.getString("HTTPS"));
    assertEquals("443", s.getString("SERVER_PORT"));
  }

  @Test
  void malformedHeadersFromATrustedPeerAreIgnored() throws IOException {
    JsonObject s = server(trusting, "X-Forwarded-For: 203.0.113.7, not-an-address\r\nX-Forwarded-Proto: gopher\r\n");
    assertEquals("127.0.0.1", s.getString("REMOTE_ADDR"));
    assertNull(s.getString("HTTPS"));
    assertEquals("http", s.getString("REQUEST_SCHEME"));
  }

  @Test
  void theSameHeadersFromAnUntrustedPeerAreOnlyHeaders() throws IOException {
    JsonObject s = server(distrusting, "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\n"
      + "X-Forwarded-Port: 8443\r\nForwarded: for=192.0.2.60;proto=https\r\n");
    assertEquals("127.0.0.1", s.getString("REMOTE_ADDR"));
    assertEquals(false, s.getString("REMOTE_PORT").isEmpty());
    assertNull(s.getString("HTTPS"));
    assertEquals("http", s.getString("REQUEST_SCHEME"));
    assertEquals(String.valueOf(distrusting), s.getString("SERVER_PORT"));
    assertEquals("203.0.113.7", s.getString("HTTP_X_FORWARDED_FOR"));
    assertEquals("https", s.getString("HTTP_X_FORWARDED_PROTO"));
    assertEquals("8443", s.getString("HTTP_X_FORWARDED_PORT"));
    assertEquals("for=192.0.2.60;proto=https", s.getString("HTTP_FORWARDED"));
  }

  @Test
  void withoutHeadersTheTrustedPeerIsTheClient() throws IOException {
    JsonObject s = server(trusting, "");
    assertEquals("127.0.0.1", s.getString("REMOTE_ADDR"));
    assertEquals(false, s.getString("REMOTE_PORT").isEmpty());
    assertEquals(String.valueOf(trusting), s.getString("SERVER_PORT"));
  }
}
