package io.tenantgateway.gateway.attacks;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.tenantgateway.gateway.attacks.Wire.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a backend sends back: header blocks that PHP would refuse to produce (CR, LF or NUL inside a
 * header, obs-fold, an invalid Status, conflicting Content-Length) come from a scripted FastCGI
 * server, byte for byte; the ones PHP can produce come from PHP. The client must get one 502 and
 * nothing else: the raw socket is read until the server closes or stays silent, and exactly one
 * response must be on it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ResponseAttacksTest {

  private static final String SECOND = "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nsmuggled!";
  private static final Map<String, String> STDOUT = new ConcurrentHashMap<>();

  private AttackSite site;
  private ScriptedFastCgi backend;
  private int port;

  @BeforeAll
  void start() throws Exception {
    site = AttackSite.start("responses");
    backend = new ScriptedFastCgi(query -> STDOUT.getOrDefault(query, "Status: 500\r\n\r\nunknown case " + query)
      .getBytes(StandardCharsets.ISO_8859_1));
    port = site.gateway(Map.of(), site.tenant("fake", "fake.test", "front-controller",
      "tcp:127.0.0.1:" + backend.port()));
  }

  @AfterAll
  void stop() throws Exception {
    if (backend != null) {
      backend.close();
    }
    if (site != null) {
      site.close();
    }
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
      bad("cr-in-value", "Content-Type: text/plain\r\nX-A: a\rb\r\n\r\nbody"),
      bad("cr-in-value-then-status-line", "X-A: a\r" + SECOND.replace("\r\n", "\r") + "\r\n\r\nbody"),
      bad("cr-in-name", "X\rA: b\r\n\r\nbody"),
      bad("nul-in-value", "X-A: a\u0000b\r\n\r\nbody"),
      bad("nul-in-name", "X\u0000A: b\r\n\r\nbody"),
      bad("ctl-in-value", "X-A: a\u0001b\r\n\r\nbody"),
      bad("del-in-value", "X-A: a\u007fb\r\n\r\nbody"),
      bad("lf-then-status-line", "X-A: a\n" + SECOND + "\r\n\r\nbody"),
      bad("obs-fold", "X-A: one\r\n two\r\n\r\nbody"),
      bad("obs-fold-tab", "X-A: one\r\n\ttwo\r\n\r\nbody"),
      bad("obs-fold-first-line", " X-A: one\r\n\r\nbody"),
      bad("obs-fold-content-length", "Content-Length: 4\r\n 4\r\n\r\nbody"),
      bad("status-not-a-number", "Status: abc\r\n\r\nbody"),
      bad("status-two-digits", "Status: 20\r\n\r\nbody"),
      bad("status-four-digits", "Status: 2000\r\n\r\nbody"),
      bad("status-99", "Status: 099\r\n\r\nbody"),
      bad("status-600", "Status: 600\r\n\r\nbody"),
      bad("status-empty", "Status:\r\n\r\nbody"),
      bad("status-glued-reason", "Status: 200OK\r\n\r\nbody"),
      bad("status-twice", "Status: 200\r\nStatus: 404\r\n\r\nbody"),
      bad("status-ctl-in-reason", "Status: 200 O\u0001K\r\n\r\nbody"),
      bad("status-100", "Status: 100 Continue\r\n\r\n" + SECOND),
      bad("status-101", "Status: 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n" + SECOND),
      bad("status-103", "Status: 103 Early Hints\r\nLink: </a>\r\n\r\n" + SECOND),
      bad("two-different-content-length", "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
      bad("content-length-list", "Content-Length: 5, 5\r\n\r\nhello"),
      bad("content-length-negative", "Content-Length: -1\r\n\r\nhello"),
      bad("content-length-hex", "Content-Length: 0x5\r\n\r\nhello"),
      bad("name-with-space", "X A: b\r\n\r\nbody"),
      bad("space-before-colon", "X-A : b\r\n\r\nbody"),
      bad("empty-name", ": b\r\n\r\nbody"),
      bad("non-token-name", "X\u00e9: b\r\n\r\nbody"),
      bad("no-colon", "X-A b\r\n\r\nbody"),
      bad("status-line-instead-of-headers", SECOND),
      bad("no-end-of-headers", "X-A: b\r\n"),
      bad("empty-stdout", ""),
      bad("header-block-too-large", "X-Big: " + "b".repeat(70_000) + "\r\n\r\nbody")
    );
  }

  private static Arguments bad(String name, String stdout) {
    STDOUT.put("case=" + name, stdout);
    return Arguments.of(name);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void malformedHeaderBlocksAre502AndNothingElse(String name) throws Exception {
    Wire.Result result = Wire.exchange(port, bytes("GET /index.php?case=" + name + " HTTP/1.1\r\n"
      + "Host: fake.test\r\nConnection: close\r\n\r\n"));
    assertTrue(result.closed(), name + ": " + result.describe());
    Wire.Response only = result.only();
    assertEquals(502, only.status(), name + ": " + result.describe());
    assertFalse(only.text().contains("smuggled"), only.text());
    for (String[] header : only.headers()) {
      assertFalse(header[0].equalsIgnoreCase("X-A") || header[0].equalsIgnoreCase("Upgrade"),
        "nothing of the bad block is passed: " + String.join(": ", header));
    }
  }

  @Test
  void aBodyLongerThanItsContentLengthNeverBecomesASecondResponse() throws Exception {
    STDOUT.put("case=long-body", "Content-Length: 2\r\n\r\nok" + SECOND);
    Wire.Result result = Wire.exchange(port, 1000, bytes("GET /index.php?case=long-body HTTP/1.1\r\n"
      + "Host: fake.test\r\n\r\n"));
    Wire.Response only = result.only();
    assertTrue(only.status() == 200 || only.status() == 502, result.describe());
  }

  @Test
  void aStreamedBodyLongerThanItsContentLengthNeverBecomesASecondResponse() throws Exception {
    String filler = "x".repeat(300_000);
    STDOUT.put("case=long-streamed", "Content-Length: 10\r\n\r\n" + filler + SECOND);
    Wire.Result result = Wire.exchange(port, 1000, bytes("GET /index.php?case=long-streamed HTTP/1.1\r\n"
      + "Host: fake.test\r\n\r\n"));
    assertEquals(1, result.responses().size(), result.describe());
    assertEquals(0, result.rest().length, "no bytes after the one response: " + result.rest().length);
  }

  @Test
  void aStreamedBodyShorterThanItsContentLengthClosesTheConnection() throws Exception {
    STDOUT.put("case=short-streamed", "Content-Length: 400000\r\n\r\n" + "x".repeat(300_000));
    Wire.Result result = Wire.exchange(port, 1000, bytes("GET /index.php?case=short-streamed HTTP/1.1\r\n"
      + "Host: fake.test\r\n\r\nGET /index.php?case=never HTTP/1.1\r\nHost: fake.test\r\n\r\n"));
    assertTrue(result.closed(), "a cut response must end the connection: " + result.describe());
    assertEquals(0, result.responses().size(), "the cut response is incomplete: " + result.describe());
    assertTrue(new String(result.rest(), StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200"));
    assertFalse(new String(result.rest(), StandardCharsets.ISO_8859_1).contains("unknown case"),
      "the pipelined request was not answered inside the cut body");
  }

  @Test
  void aWellFormedBlockStillPasses() throws Exception {
    STDOUT.put("case=fine", "Status: 201 Created\nContent-Type: text/plain\r\nX-A:  spaced \t\r\n\r\nfine");
    Wire.Result result = Wire.exchange(port, 1000, bytes("GET /index.php?case=fine HTTP/1.1\r\nHost: fake.test\r\n"
      + "Connection: close\r\n\r\n"));
    Wire.Response only = result.only();
    assertEquals(201, only.status());
    assertEquals("HTTP/1.1 201 Created", only.statusLine());
    assertEquals("spaced", only.header("X-A"));
    assertEquals("fine", only.text());
  }

  // ---- the same attacks from PHP itself, where PHP lets them through

  @Test
  void twoDifferentContentLengthsFromPhp() throws Exception {
    Wire.Result result = Wire.exchange(port, 1000, bytes("GET /headers.php?h[]=Content-Length:%205"
      + "&h[]=Content-Length:%206 HTTP/1.1\r\nHost: site.test\r\n\r\n"));
    assertEquals(502, result.only().status(), result.describe());
  }

  @Test
  void invalidStatusFromPhp() throws Exception {
    Wire.Result result = Wire.exchange(port, 1000, bytes("GET /headers.php?h[]=Status:%20abc HTTP/1.1\r\n"
      + "Host: site.test\r\n\r\n"));
    assertEquals(502, result.only().status(), result.describe());
  }

  @Test
  void headerInjectionFromPhpIsStoppedByPhpAndNeverReachesTheWire() throws Exception {
    Wire.Result result = Wire.exchange(port, 1000, bytes("GET /headers.php?h[]=X-A:%20a%0d%0aX-Injected:%201"
      + "&h[]=X-B:%20a%0aX-Injected:%202&h[]=X-C:%20a%00b HTTP/1.1\r\nHost: site.test\r\n\r\n"));
    Wire.Response only = result.only();
    assertEquals(200, only.status(), result.describe());
    assertEquals(null, only.header("X-Injected"));
  }
}
