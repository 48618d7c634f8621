package io.tenantgateway.gateway.attacks;

import io.tenantgateway.gateway.config.ConfigException;
import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.proxy.TrustedProxies;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TrustedProxies}: parsing, CIDR matching, the recursive X-Forwarded-For walk, RFC 7239
 * {@code Forwarded}, and malformed headers ignored.
 */
class TrustedProxiesTest {

  private static final String PEER = "10.0.0.1";

  /** A request from {@code peer}:50000 to 127.0.0.1:8080 with these header lines ("Name: value"). */
  private static HttpServerRequest request(String peer, String... headerLines) {
    MultiMap headers = HttpHeaders.headers();
    for (String line : headerLines) {
      int colon = line.indexOf(':');
      headers.add(line.substring(0, colon), line.substring(colon + 1).strip());
    }
    return (HttpServerRequest) Proxy.newProxyInstance(TrustedProxiesTest.class.getClassLoader(),
      new Class<?>[] {HttpServerRequest.class}, (proxy, m, args) -> switch (m.getName()) {
        case "remoteAddress" -> SocketAddress.inetSocketAddress(50000, peer);
        case "localAddress" -> SocketAddress.inetSocketAddress(8080, "127.0.0.1");
        case "headers" -> headers;
        case "isSSL" -> false;
        case "connection" -> null;
        case "toString" -> "request from " + peer;
        default -> throw new UnsupportedOperationException(m.getName());
      });
  }

  private static TrustedProxies.Client resolve(String trusted, String peer, String... headers) {
    return TrustedProxies.parse(trusted).resolve(request(peer, headers));
  }

  // ---- parsing

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "  \t "})
  void emptyTrustsNobody(String list) {
    TrustedProxies proxies = TrustedProxies.parse(list);
    assertSame(TrustedProxies.NONE, proxies);
    assertTrue(proxies.isEmpty());
    assertFalse(proxies.trusts("127.0.0.1"));
  }

  @Test
  void addressesAndRangesOfBothFamilies() {
    TrustedProxies proxies = TrustedProxies.parse(" 127.0.0.1 ,10.0.0.0/8,::1, fd00::/8,192.168.1.0/24");
    assertTrue(proxies.trusts("127.0.0.1"));
    assertFalse(proxies.trusts("127.0.0.2"));
    assertTrue(proxies.trusts("10.200.3.4"));
    assertTrue(proxies.trusts("::1"));
    assertTrue(proxies.trusts("0:0:0:0:0:0:0:1"));
    assertTrue(proxies.trusts("fdab::7"));
    assertTrue(proxies.trusts("192.168.1.255"));
    assertFalse(proxies.trusts("192.168.2.0"));
    assertFalse(proxies.trusts("fe80::1"));
    assertFalse(proxies.trusts("localhost"), "names are never resolved");
    assertFalse(proxies.trusts(""));
    assertFalse(proxies.trusts(null));
  }

  @ParameterizedTest
  @ValueSource(strings = {"foo", "localhost", "10.0.0.0/33", "::/129", "10.0.0.1/", "/8", "1.2.3", "256.0.0.1",
    "10.0.0.0/-1", "10.0.0.0/8,", ",10.0.0.1", "10.0.0.1,,10.0.0.2", "[::1]", "fe80::1%eth0", "10.0.0.0/8/8",
    "10.0.0.0/ 8", "1.2.3.4:80", "10.0.0.0/1000", "*", "::ffff:10.0.0.0/95"})
  void invalidEntriesAreRefusedByName(String list) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrustedProxies.parse(list));
    assertFalse(e.getMessage().isEmpty());
  }

  @Test
  void anInvalidSettingStopsTheStartNamingTheField(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("gateway.yaml"), "http:\n  trusted_proxies: \"10.0.0.0/8, nonsense\"\n");
    ConfigException fromFile = assertThrows(ConfigException.class,
      () -> GatewayConfig.load(Map.of(GatewayConfig.CONFIG_ENV, file.toString())));
    assertTrue(fromFile.getMessage().contains("http.trusted_proxies"), fromFile.getMessage());
    assertTrue(fromFile.getMessage().contains("nonsense"), fromFile.getMessage());
    ConfigException fromEnv = assertThrows(ConfigException.class, () -> GatewayConfig.load(Map.of(
      GatewayConfig.CONFIG_ENV, file.toString(), "GATEWAY_TRUSTED_PROXIES", "10.0.0.0/99")));
    assertTrue(fromEnv.getMessage().contains("GATEWAY_TRUSTED_PROXIES"), fromEnv.getMessage());
    GatewayConfig ok = GatewayConfig.load(Map.of(GatewayConfig.CONFIG_ENV, file.toString(),
      "GATEWAY_TRUSTED_PROXIES", "127.0.0.1, ::1"));
    assertEquals("127.0.0.1, ::1", ok.string("http.trusted_proxies"));
  }

  // ---- CIDR matching

  @ParameterizedTest(name = "{0} contains {1}: {2}")
  @CsvSource({
    "10.0.0.0/8, 10.255.255.255, true",
    "10.0.0.0/8, 11.0.0.0, false",
    "10.0.0.0/8, 9.255.255.255, false",
    "172.16.0.0/12, 172.31.255.255, true",
    "172.16.0.0/12, 172.32.0.0, false",
    "172.16.0.0/12, 172.15.255.255, false",
    "192.168.1.128/25, 192.168.1.128, true",
    "192.168.1.128/25, 192.168.1.127, false",
    "192.168.1.128/25, 192.168.1.255, true",
    "10.0.0.1/8, 10.9.9.9, true",
    "0.0.0.0/0, 203.0.113.9, true",
    "0.0.0.0/0, ::1, false",
    "::/0, 2001:db8::1, true",
    "::/0, 10.0.0.1, false",
    "fd00::/8, fdff:ffff::1, true",
    "fd00::/8, fe00::1, false",
    "2001:db8::/127, 2001:db8::1, true",
    "2001:db8::/127, 2001:db8::2, false",
    "2001:db8::/33, 2001:db8:7fff::1, true",
    "2001:db8::/33, 2001:db8:8000::1, false",
    "10.0.0.0/8, ::ffff:10.1.2.3, true",
    "::ffff:10.0.0.0/104, 10.1.2.3, true",
    "::ffff:10.0.0.0/104, 11.1.2.3, false",
    "::ffff:10.1.2.3, 10.1.2.3, true",
    "203.0.113.7/32, 203.0.113.7, true",
    "203.0.113.7/32, 203.0.113.6, false",
  })
  void cidrMatching(String range, String address, boolean expected) {
    assertEquals(expected, TrustedProxies.parse(range).trusts(address));
  }

  // ---- X-Forwarded-For, recursive

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
    "203.0.113.7|203.0.113.7",
    "203.0.113.7, 10.0.0.2|203.0.113.7",
    "1.1.1.1, 203.0.113.7, 10.0.0.2, 10.0.0.3|203.0.113.7",
    "10.0.0.5, 10.0.0.6|10.0.0.5",
    "garbage, 203.0.113.7|203.0.113.7",
    "203.0.113.7 ,,10.0.0.2|203.0.113.7",
    "203.0.113.7 10.0.0.2|203.0.113.7",
    "2001:db8::7, 10.0.0.2|2001:db8::7",
    "2001:DB8:0:0:0:0:0:7|2001:db8::7",
    "::ffff:203.0.113.7|203.0.113.7",
  })
  void rightMostUntrustedAddressOfXForwardedFor(String xff, String client) {
    TrustedProxies.Client c = resolve("10.0.0.0/8", PEER, "X-Forwarded-For: " + xff);
    assertEquals(client, c.address());
    assertEquals(-1, c.port(), "no port from X-Forwarded-For, as nginx's $remote_port after realip");
    assertTrue(c.forwarded());
    assertFalse(c.https());
    assertEquals(8080, c.serverPort());
  }

  @Test
  void repeatedXForwardedForHeadersAreOneList() {
    TrustedProxies.Client c = resolve("10.0.0.0/8", PEER, "X-Forwarded-For: 198.51.100.1, 203.0.113.7",
      "X-Forwarded-For: 10.0.0.9");
    assertEquals("203.0.113.7", c.address());
  }

  @ParameterizedTest
  @ValueSource(strings = {"203.0.113.7, garbage", "203.0.113.7:4711", "unknown", "[2001:db8::1]", "", " , ",
    "203.0.113.7, 10.0.0.2:80", "fe80::1%eth0", "example.com", "203.0.113.256"})
  void malformedXForwardedForIsIgnored(String xff) {
    TrustedProxies.Client c = resolve("10.0.0.0/8", PEER, "X-Forwarded-For: " + xff);
    assertEquals(PEER, c.address());
    assertEquals(50000, c.port());
    assertFalse(c.forwarded());
  }

  @Test
  void untrustedPeersHeadersMeanNothing() {
    TrustedProxies.Client c = resolve("10.0.0.0/8", "192.0.2.99", "X-Forwarded-For: 203.0.113.7",
      "X-Forwarded-Proto: https", "X-Forwarded-Port: 8443", "Forwarded: for=203.0.113.8;proto=https");
    assertEquals(new TrustedProxies.Client("192.0.2.99", 50000, false, 8080, false), c);
    assertEquals(new TrustedProxies.Client(PEER, 50000, false, 8080, false),
      resolve("", PEER, "X-Forwarded-For: 203.0.113.7", "X-Forwarded-Proto: https"), "empty list: nobody");
  }

  // ---- X-Forwarded-Proto and -Port

  @ParameterizedTest(name = "{0} / {1} -> https={2} port={3}")
  @CsvSource(delimiter = '|', value = {
    "https||true|443",
    "HTTPS||true|443",
    "https|8443|true|8443",
    "http||false|80",
    "http|8080|false|8080",
    "http, https||true|443",
    "https, http||false|80",
    "https|0|true|443",
    "https|65536|true|443",
    "https|44x|true|443",
    "https|8443, 9443|true|9443",
  })
  void forwardedProtoAndPort(String proto, String port, boolean https, int serverPort) {
    TrustedProxies.Client c = port == null
      ? resolve("10.0.0.0/8", PEER, "X-Forwarded-Proto: " + proto)
      : resolve("10.0.0.0/8", PEER, "X-Forwarded-Proto: " + proto, "X-Forwarded-Port: " + port);
    assertEquals(https, c.https());
    assertEquals(https ? "https" : "http", c.scheme());
    assertEquals(serverPort, c.serverPort());
    assertEquals(PEER, c.address(), "no X-Forwarded-For: the peer stays the client");
    assertEquals(50000, c.port());
  }

  @ParameterizedTest
  @ValueSource(strings = {"ftp", "", "https://", "http s", "wss"})
  void unknownProtoIsIgnored(String proto) {
    TrustedProxies.Client c = resolve("10.0.0.0/8", PEER, "X-Forwarded-Proto: " + proto, "X-Forwarded-Port: 443");
    assertFalse(c.https());
    assertEquals(8080, c.serverPort(), "X-Forwarded-Port only with a stated scheme");
    assertFalse(c.forwarded());
  }

  // ---- Forwarded (RFC 7239)

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "for=192.0.2.60;proto=https;by=203.0.113.43|192.0.2.60|-1|true|443",
    "For=192.0.2.60;Proto=HTTP|192.0.2.60|-1|false|80",
    "for=\"192.0.2.60:4711\"|192.0.2.60|4711|false|8080",
    "for=\"[2001:db8:cafe::17]:4711\";proto=https|2001:db8:cafe::17|4711|true|443",
    "for=\"[2001:db8:cafe::17]\"|2001:db8:cafe::17|-1|false|8080",
    "for=198.51.100.1, for=192.0.2.60;proto=https, for=10.0.0.2|192.0.2.60|-1|true|443",
    "for=10.0.0.5, for=10.0.0.6|10.0.0.5|-1|false|8080",
    "for=192.0.2.60 ; proto=https ,for=10.0.0.2|192.0.2.60|-1|true|443",
    "for=\"192.0.\\2.60\"|192.0.2.60|-1|false|8080",
    "host=example.com;for=192.0.2.60|192.0.2.60|-1|false|8080",
  })
  void forwardedHeader(String forwarded, String address, int port, boolean https, int serverPort) {
    TrustedProxies.Client c = resolve("10.0.0.0/8", PEER, "Forwarded: " + forwarded);
    assertEquals(new TrustedProxies.Client(address, port, https, serverPort, true), c);
  }

  @Test
  void forwardedDecidesAloneWhenValid() {
    TrustedProxies.Client c = resolve("10.0.0.0/8", PEER, "Forwarded: for=192.0.2.60", "X-Forwarded-For: 203.0.113.7",
      "X-Forwarded-Proto: https");
    assertEquals("192.0.2.60", c.address());
    assertFalse(c.https(), "X-Forwarded-Proto does not mix with a valid Forwarded");
  }

  @Test
  void repeatedForwardedHeadersAreOneList() {
    TrustedProxies.Client c = resolve("10.0.0.0/8", PEER, "Forwarded: for=192.0.2.60;proto=https",
      "Forwarded: for=10.0.0.3");
    assertEquals("192.0.2.60", c.address());
    assertTrue(c.https());
  }

  @ParameterizedTest
  @ValueSource(strings = {"for=unknown", "for=_hidden", "for=[2001:db8::1]", "for=\"[2001:db8::1]",
    "for=192.0.2.60;for=1.2.3.4",
    "for=192.0.2.60;proto=ftp", "for=192.0.2.60:4711", "for=\"192.0.2.60:0\"", "for=\"192.0.2.60:70000\"", "for=",
    "for=192.0.2.60 proto=https", "=192.0.2.60", "for=\"example.com\"", "proto=https", "for=192.0.2.60, proto=https",
    "for=\"[192.0.2.60]\"", "for=\"2001:db8::1\"", "for=192.0.2.60;;;", "\"for\"=192.0.2.60"})
  void malformedOrUndecidedForwardedIsIgnored(String forwarded) {
    TrustedProxies.Client withXff = resolve("10.0.0.0/8", PEER, "Forwarded: " + forwarded,
      "X-Forwarded-For: 203.0.113.7");
    TrustedProxies.Client alone = resolve("10.0.0.0/8", PEER, "Forwarded: " + forwarded);
    if (forwarded.equals("for=192.0.2.60;;;")) {
      assertEquals("192.0.2.60", alone.address(), "empty pairs are allowed by the list syntax");
      return;
    }
    assertEquals("203.0.113.7", withXff.address(), "falls back to X-Forwarded-For: " + forwarded);
    assertEquals(PEER, alone.address(), forwarded);
    assertFalse(alone.https());
  }

  @Test
  void theStaticEntryPointTrustsNobodyOutsideAGuardedListener() {
    TrustedProxies.Client c = TrustedProxies.client(request(PEER, "X-Forwarded-For: 203.0.113.7"));
    assertEquals(PEER, c.address());
    assertEquals(50000, c.port());
  }
}
