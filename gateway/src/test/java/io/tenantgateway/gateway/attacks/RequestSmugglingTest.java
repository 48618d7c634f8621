package io.tenantgateway.gateway.attacks;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.tenantgateway.gateway.attacks.Wire.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Request smuggling and malformed request heads, as raw bytes over a socket. Every refused request
 * is followed on the same connection by a pipelined second request: the answer must be exactly one
 * response with the expected status, then the connection closed, and PHP must have run neither the
 * refused request nor the one behind it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RequestSmugglingTest {

  private static final String HOST = "Host: site.test\r\n";
  private static final String POST = "POST {T} HTTP/1.1\r\n" + HOST;
  private static final String GET = "GET {T} HTTP/1.1\r\n" + HOST;
  private static final String CHUNKED = "Transfer-Encoding: chunked\r\n\r\n";

  private AttackSite site;
  private int port;

  @BeforeAll
  void start() throws Exception {
    site = AttackSite.start("smuggling");
    port = site.gateway(Map.of(), "");
  }

  @AfterAll
  void stop() throws Exception {
    if (site != null) {
      site.close();
    }
  }

  static Stream<Arguments> attacks() {
    String tooLongLine = "GET /hit.php?attack=line-too-long&x=" + "a".repeat(9000) + " HTTP/1.1\r\n" + HOST + "\r\n";
    return Stream.of(
      // Content-Length and Transfer-Encoding
      attack("cl-and-te", 400, POST + "Content-Length: 5\r\n" + CHUNKED + "0\r\n\r\n"),
      attack("te-and-cl", 400, POST + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"),
      attack("two-different-cl", 400, POST + "Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde"),
      attack("two-equal-cl", 400, POST + "Content-Length: 4\r\nContent-Length: 4\r\n\r\nabcd"),
      attack("cl-list", 400, POST + "Content-Length: 4, 4\r\n\r\nabcd"),
      attack("cl-plus", 400, POST + "Content-Length: +4\r\n\r\nabcd"),
      attack("cl-minus-one", 400, POST + "Content-Length: -1\r\n\r\n"),
      attack("cl-hex", 400, POST + "Content-Length: 0x4\r\n\r\nabcd"),
      attack("cl-huge", 400, POST + "Content-Length: 99999999999999999999999\r\n\r\n"),
      attack("cl-long-max", 400, POST + "Content-Length: 9223372036854775807\r\n\r\n"),
      attack("cl-space-inside", 400, POST + "Content-Length: 1 0\r\n\r\nabcd"),
      attack("cl-empty", 400, POST + "Content-Length: \r\n\r\n"),
      attack("te-chunked-identity", 400, POST + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
      attack("te-identity", 400, POST + "Transfer-Encoding: identity\r\n\r\n"),
      attack("te-xchunked", 400, POST + "Transfer-Encoding: xchunked\r\n\r\n"),
      attack("te-chunkedx", 400, POST + "Transfer-Encoding: chunkedx\r\n\r\n"),
      attack("te-gzip-chunked", 400, POST + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
      attack("te-twice", 400, POST + "Transfer-Encoding: chunked\r\n" + CHUNKED + "0\r\n\r\n"),
      attack("te-empty", 400, POST + "Transfer-Encoding:\r\n\r\n"),
      attack("te-vertical-tab", 400, POST + "Transfer-Encoding: \u000bchunked\r\n\r\n0\r\n\r\n"),
      attack("te-form-feed", 400, POST + "Transfer-Encoding: chunked\u000c\r\n\r\n0\r\n\r\n"),
      attack("te-nbsp", 400, POST + "Transfer-Encoding: \u00a0chunked\r\n\r\n"),
      attack("te-space-before-colon", 400, POST + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
      attack("te-folded", 400, POST + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"),
      attack("te-http10", 400, "POST {T} HTTP/1.0\r\n" + HOST + CHUNKED + "0\r\n\r\n"),
      // chunk sizes
      attack("chunk-0x", 400, POST + CHUNKED + "0x5\r\nhello\r\n0\r\n\r\n"),
      attack("chunk-minus", 400, POST + CHUNKED + "-1\r\nhello\r\n0\r\n\r\n"),
      attack("chunk-overflow", 400, POST + CHUNKED + "1ffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
      attack("chunk-plus", 400, POST + CHUNKED + "+5\r\nhello\r\n0\r\n\r\n"),
      attack("chunk-empty-size", 400, POST + CHUNKED + "\r\nhello\r\n0\r\n\r\n"),
      attack("chunk-bare-lf", 400, POST + CHUNKED + "5\nhello\r\n0\r\n\r\n"),
      attack("chunk-no-crlf-after-data", 400, POST + CHUNKED + "5\r\nhelloXX0\r\n\r\n"),
      attack("chunk-bad-extension", 400, POST + CHUNKED + "5;a\u0001b\r\nhello\r\n0\r\n\r\n"),
      // header syntax
      attack("obs-fold", 400, GET + "X-A: one\r\n two\r\n\r\n"),
      attack("obs-fold-tab", 400, GET + "X-A: one\r\n\ttwo\r\n\r\n"),
      attack("obs-fold-content-length", 400, POST + "Content-Length:\r\n 4\r\n\r\nabcd"),
      attack("space-before-first-header", 400, "GET {T} HTTP/1.1\r\n X-A: one\r\n" + HOST + "\r\n"),
      attack("ctl-in-name", 400, GET + "X\u0001A: v\r\n\r\n"),
      attack("ctl-in-value", 400, GET + "X-A: v\u0001v\r\n\r\n"),
      attack("nul-in-name", 400, GET + "X\u0000A: v\r\n\r\n"),
      attack("nul-in-value", 400, GET + "X-A: v\u0000v\r\n\r\n"),
      attack("del-in-value", 400, GET + "X-A: v\u007fv\r\n\r\n"),
      attack("bare-cr-in-value", 400, GET + "X-A: v\rX-B: w\r\n\r\n"),
      attack("bare-cr-in-name", 400, GET + "X\rA: v\r\n\r\n"),
      attack("bare-lf-header-end", 400, GET + "X-A: v\nX-B: w\r\n\r\n"),
      attack("bare-lf-everywhere", 400, "GET {T} HTTP/1.1\nHost: site.test\n\n"),
      attack("space-before-colon", 400, GET + "X-A : v\r\n\r\n"),
      attack("tab-before-colon", 400, GET + "X-A\t: v\r\n\r\n"),
      attack("empty-header-name", 400, GET + ": v\r\n\r\n"),
      attack("no-colon", 400, GET + "X-A v\r\n\r\n"),
      attack("non-token-name", 400, GET + "X\u00e9: v\r\n\r\n"),
      // request line and target
      attack("absolute-form-other-host", 400, "GET http://other.test{T} HTTP/1.1\r\n" + HOST + "\r\n"),
      attack("two-hosts", 400, GET + "Host: other.test\r\n\r\n"),
      attack("two-equal-hosts", 400, GET + HOST + "\r\n"),
      attack("no-host-http11", 400, "GET {T} HTTP/1.1\r\n\r\n"),
      attack("ctl-in-target", 400, "GET {T}&x=\u0001 HTTP/1.1\r\n" + HOST + "\r\n"),
      attack("nul-in-target", 400, "GET {T}&x=\u0000 HTTP/1.1\r\n" + HOST + "\r\n"),
      attack("del-in-target", 400, "GET {T}&x=\u007f HTTP/1.1\r\n" + HOST + "\r\n"),
      attack("tab-in-target", 400, "GET {T}&x=\ty HTTP/1.1\r\n" + HOST + "\r\n"),
      attack("lower-case-method", 400, "get {T} HTTP/1.1\r\n" + HOST + "\r\n"),
      attack("whitespace-before-request-line", 400, " GET {T} HTTP/1.1\r\n" + HOST + "\r\n"),
      attack("control-before-request-line", 400, "\u0001GET {T} HTTP/1.1\r\n" + HOST + "\r\n"),
      attack("space-after-version", 400, "GET {T} HTTP/1.1 \r\n" + HOST + "\r\n"),
      attack("request-line-too-long", 414, tooLongLine),
      attack("headers-too-large", 431, GET + "X-Big: " + "b".repeat(40_000) + "\r\n\r\n"),
      attack("many-headers-too-large", 431, GET + "X-Many: 0123456789012345678901234567890\r\n".repeat(1200) + "\r\n"),
      // bodies
      attack("declared-body-over-limit", 413, POST + "Content-Length: " + (AttackSite.MAX_BODY_MB * 1024 * 1024 + 1)
        + "\r\n\r\n")
    );
  }

  private static Arguments attack(String name, int status, String head) {
    return Arguments.of(name, status, head.replace("{T}", "/hit.php?attack=" + name));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("attacks")
  void refusedWithTheConnectionClosedAndNothingRuns(String name, int status, String request) throws Exception {
    String smuggled = "GET /hit.php?smuggled=" + name + " HTTP/1.1\r\n" + HOST + "\r\n";
    Wire.Result result = Wire.exchange(port, bytes(request + smuggled));
    assertEquals(status, result.only().status(), name + ": " + result.describe());
    assertTrue(result.closed(), name + ": connection left open: " + result.describe());
    site.assertNotExecuted(port, "attack=" + name);
    site.assertNotExecuted(port, "smuggled=" + name);
  }

  @Test
  void chunkedBodyOverTheLimitIs413AndNothingRuns() throws Exception {
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.writeBytes(bytes("POST /hit.php?attack=chunked-over-limit HTTP/1.1\r\n" + HOST + CHUNKED));
    byte[] chunk = new byte[64 * 1024];
    java.util.Arrays.fill(chunk, (byte) 'x');
    int chunks = AttackSite.MAX_BODY_MB * 16 + 1;
    for (int i = 0; i < chunks; i++) {
      request.writeBytes(bytes(Integer.toHexString(chunk.length) + "\r\n"));
      request.writeBytes(chunk);
      request.writeBytes(bytes("\r\n"));
    }
    request.writeBytes(bytes("0\r\n\r\nGET /hit.php?smuggled=chunked-over-limit HTTP/1.1\r\n" + HOST + "\r\n"));
    Wire.Result result = Wire.exchange(port, request.toByteArray());
    assertEquals(413, result.only().status(), result.describe());
    assertTrue(result.closed());
    site.assertNotExecuted(port, "chunked-over-limit");
  }

  @Test
  void declaredBodyOverTheLimitIsRefusedBeforeTheBodyIsSent() throws Exception {
    Wire.Result result = Wire.exchange(port, bytes("POST /hit.php?attack=declared-head-only HTTP/1.1\r\n" + HOST
      + "Content-Length: " + (2L * 1024 * 1024 * 1024) + "\r\nExpect: 100-continue\r\n\r\n"));
    assertEquals(413, result.only().status(), "no 100 Continue first: " + result.describe());
    assertTrue(result.closed());
    site.assertNotExecuted(port, "declared-head-only");
  }

  /** Obs-fold: the decoder's scan must find it wherever the bytes are split. */
  @Test
  void obsFoldIsRefusedAtEverySplitPoint() throws Exception {
    String request = "GET /hit.php?attack=fold-split HTTP/1.1\r\nHost: site.test\r\nX-A: one\r\n two\r\n\r\n";
    byte[] all = bytes(request + "GET /hit.php?smuggled=fold-split HTTP/1.1\r\n" + HOST + "\r\n");
    for (int split = 1; split < request.length(); split++) {
      Wire.Result result = Wire.exchange(port, java.util.Arrays.copyOfRange(all, 0, split),
        java.util.Arrays.copyOfRange(all, split, all.length));
      assertEquals(400, result.only().status(), "split at " + split + ": " + result.describe());
      assertTrue(result.closed(), "split at " + split);
    }
    site.assertNotExecuted(port, "fold-split");
  }

  /** The fold is found in the second request of a connection too (message boundaries are tracked). */
  @ParameterizedTest
  @ValueSource(strings = {"GET /hit.php?first=fold-second HTTP/1.1\r\n" + HOST + "\r\n",
    "POST /hit.php?first=fold-second HTTP/1.1\r\n" + HOST + "Content-Length: 4\r\n\r\nab\r\n",
    "POST /hit.php?first=fold-second HTTP/1.1\r\n" + HOST + CHUNKED + "2\r\n\r\n\r\n0\r\nX-T: a\r\n\r\n"})
  void obsFoldInAPipelinedRequestAfterAValidOne(String first) throws Exception {
    String second = "GET /hit.php?attack=fold-second HTTP/1.1\r\n" + HOST + "X-A: one\r\n two\r\n\r\n";
    Wire.Result result = Wire.exchange(port, bytes(first + second));
    assertEquals(2, result.responses().size(), result.describe());
    assertEquals(200, result.responses().get(0).status());
    assertEquals(400, result.responses().get(1).status());
    assertEquals(0, result.rest().length);
    assertTrue(result.closed());
    site.assertNotExecuted(port, "attack=fold-second");
  }

  /**
   * A request already decoded and queued behind one whose answer closes the connection is never
   * run: here an HTTP/1.0 keep-alive request whose streamed answer (no length) can only end with the
   * connection.
   */
  @Test
  void aRequestQueuedBehindAClosingAnswerIsNotRun() throws Exception {
    Wire.Result result = Wire.exchange(port, bytes("GET /stream.php?first=closing HTTP/1.0\r\n" + HOST
      + "Connection: keep-alive\r\n\r\n"
      + "GET /hit.php?smuggled=behind-closing HTTP/1.1\r\n" + HOST + "\r\n"));
    Wire.Response only = result.only();
    assertEquals(200, only.status(), result.describe());
    assertEquals("first\nsecond\n", only.text());
    assertTrue(result.closed());
    site.assertNotExecuted(port, "smuggled=behind-closing");
  }

  // ---- what must still pass, and pass framed exactly once

  @ParameterizedTest
  @ValueSource(strings = {"chunked", " \t chunked \t", "Chunked", "CHUNKED"})
  void chunkedWithOptionalWhitespaceIsFramedOnce(String encoding) throws Exception {
    String request = "POST /dump.php?ok=ows HTTP/1.1\r\n" + HOST + "Transfer-Encoding:" + encoding + "\r\n\r\n"
      + "5\r\nhello\r\n0\r\n\r\n"
      + "GET /hit.php?ok=after-ows HTTP/1.1\r\n" + HOST + "Connection: close\r\n\r\n";
    Wire.Result result = Wire.exchange(port, bytes(request));
    assertEquals(2, result.responses().size(), result.describe());
    assertEquals("hello", new JsonObject(result.responses().get(0).text()).getString("input"));
    assertEquals("hit\n", result.responses().get(1).text());
  }

  @ParameterizedTest
  @ValueSource(strings = {"5;ext=1", "5;ext=\"quoted\"", "0005", "5 "})
  void validChunkSizesPass(String size) throws Exception {
    String request = "POST /dump.php?ok=chunk HTTP/1.1\r\n" + HOST + CHUNKED + size + "\r\nhello\r\n0\r\n\r\n"
      + "GET /hit.php?ok=after-chunk HTTP/1.1\r\n" + HOST + "Connection: close\r\n\r\n";
    Wire.Result result = Wire.exchange(port, bytes(request));
    assertEquals(2, result.responses().size(), result.describe());
    assertEquals("hello", new JsonObject(result.responses().get(0).text()).getString("input"));
    assertEquals(200, result.responses().get(1).status());
  }

  @Test
  void leadingEmptyLinesBeforeARequestAreIgnored() throws Exception {
    Wire.Result result = Wire.exchange(port, bytes("\r\n\r\nGET /hit.php?ok=crlf HTTP/1.1\r\n" + HOST
      + "Connection: close\r\n\r\n"));
    assertEquals(200, result.only().status());
  }

  @Test
  void pipelinedValidRequestsAllRunInOrder() throws Exception {
    StringBuilder requests = new StringBuilder();
    for (int i = 0; i < 5; i++) {
      requests.append("GET /index.php?n=").append(i).append(" HTTP/1.1\r\n").append(HOST)
        .append(i == 4 ? "Connection: close\r\n" : "").append("\r\n");
    }
    Wire.Result result = Wire.exchange(port, requests.toString().getBytes(StandardCharsets.ISO_8859_1));
    assertEquals(5, result.responses().size(), result.describe());
    for (int i = 0; i < 5; i++) {
      assertEquals("front /index.php?n=" + i + "\n", result.responses().get(i).text());
    }
  }
}
