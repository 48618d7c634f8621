package io.tenantgateway.fcgi.impl;

import io.tenantgateway.fcgi.FcgiProtocolException;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CgiResponseParserTest {

  private static final int LIMIT = 8192;

  /** Feeds the whole input at once and returns the body remainder. */
  private static Buffer parse(CgiResponseParser parser, String input) {
    return parser.feed(Buffer.buffer(input.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
  }

  private static void assertMalformed(String input) {
    CgiResponseParser parser = new CgiResponseParser(LIMIT);
    assertThrows(FcgiProtocolException.class, () -> parse(parser, input));
  }

  @Test
  void crlfHeaders() {
    CgiResponseParser parser = new CgiResponseParser(LIMIT);
    Buffer body = parse(parser, "Content-Type: text/html; charset=UTF-8\r\nX-Powered-By: PHP/8.2\r\n\r\n<html>");
    assertTrue(parser.isComplete());
    assertEquals("<html>", body.toString());
    assertEquals(200, parser.status());
    assertNull(parser.reason());
    assertEquals("text/html; charset=UTF-8", parser.headers().get("content-type"));
    assertEquals("PHP/8.2", parser.headers().get("X-Powered-By"));
    assertEquals(2, parser.headers().size());
    parser.end();
  }

  @Test
  void bareLfHeaders() {
    CgiResponseParser parser = new CgiResponseParser(LIMIT);
    Buffer body = parse(parser, "Content-Type: text/plain\nX-A: 1\n\nbody\nmore");
    assertEquals("body\nmore", body.toString());
    assertEquals("text/plain", parser.headers().get("Content-Type"));
    assertEquals("1", parser.headers().get("X-A"));
  }

  @Test
  void mixedLineEndings() {
    CgiResponseParser parser = new CgiResponseParser(LIMIT);
    Buffer body = parse(parser, "X-A: 1\nX-B: 2\r\n\n");
    assertEquals(0, body.length());
    assertEquals("1", parser.headers().get("X-A"));
    assertEquals("2", parser.headers().get("X-B"));
  }

  @Test
  void emptyHeaderBlock() {
    CgiResponseParser parser = new CgiResponseParser(LIMIT);
    Buffer body = parse(parser, "\r\nbody");
    assertEquals("body", body.toString());
    assertEquals(200, parser.status());
    assertTrue(parser.headers().isEmpty());
  }

  @Test
  void statusWithReason() {
    CgiResponseParser parser = new CgiResponseParser(LIMIT);
    parse(parser, "Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\n");
    assertEquals(404, parser.status());
    assertEquals("Not Found", parser.reason());
    assertFalse(parser.headers().contains("Status"), "Status is not a response header");
  }

  @Test
  void statusWithoutReason() {
    CgiResponseParser parser = new CgiResponseParser(LIMIT);
    parse(parser, "status:503\r\n\r\n");
    assertEquals(503, parser.status());
    assertNull(parser.reason());
  }

  @Test
  void statusWithSurroundingBlanks() {
    CgiResponseParser parser = new CgiResponseParser(LIMIT);
    parse(parser, "Status: \t201 Created \t\r\n\r\n");
    assertEquals(201, parser.status());
    assertEquals("Created", parser.reason());
  }

  @Test
  void locationWithoutStatusIs302() {
    CgiResponseParser parser = new CgiResponseParser(LIMIT);
    parse(parser, "Location: https://example.test/\r\n\r\n");
    assertEquals(302, parser.status());
    assertEquals("https://example.test/", parser.headers().get("Location"));
  }

  @Test
  void locationWithStatusKeepsStatus() {
    CgiResponseParser parser = new CgiResponseParser(LIMIT);
    parse(parser, "Location: /x\r\nStatus: 301 Moved Permanently\r\n\r\n");
    assertEquals(301, parser.status());
  }

  @Test
  void noStatusIs200() {
    CgiResponseParser parser = new CgiResponseParser(LIMIT);
    parse(parser, "X-A: 1\r\n\r\n");
    assertEquals(200, parser.status());
  }

  @Test
  void repeatedHeadersKept() {
    CgiResponseParser parser = new CgiResponseParser(LIMIT);
    parse(parser, "Set-Cookie: a=1; Path=/\r\nSet-Cookie: b=2\r\nset-cookie: c=3\r\n\r\n");
    assertEquals(List.of("a=1; Path=/", "b=2", "c=3"), parser.headers().getAll("Set-Cookie"));
  }

  @Test
  void emptyValueAndValueWithColons() {
    CgiResponseParser parser = new CgiResponseParser(LIMIT);
    parse(parser, "X-Empty:\r\nX-Time: 12:30:00\r\n\r\n");
    assertEquals("", parser.headers().get("X-Empty"));
    assertEquals("12:30:00", parser.headers().get("X-Time"));
  }

  @Test
  void sameContentLengthTwiceCollapses() {
    CgiResponseParser parser = new CgiResponseParser(LIMIT);
    parse(parser, "Content-Length: 5\r\ncontent-length: 5\r\n\r\n");
    assertEquals(List.of("5"), parser.headers().getAll("Content-Length"));
  }

  @Test
  void latin1ValueBytesKept() {
    CgiResponseParser parser = new CgiResponseParser(LIMIT);
    parse(parser, "X-A: caf\u00e9\u00ff\r\n\r\n");
    assertEquals("caf\u00e9\u00ff", parser.headers().get("X-A"));
  }

  @Test
  void feedAfterCompleteReturnsDataAsIs() {
    CgiResponseParser parser = new CgiResponseParser(LIMIT);
    assertEquals("a", parse(parser, "X: 1\n\na").toString());
    assertEquals("\r\n\r\nmore", parse(parser, "\r\n\r\nmore").toString());
  }

  @Test
  void blockExactlyAtLimitIsAccepted() {
    String line = "X-Pad: " + "p".repeat(64 - 7 - 2 - 2) + "\r\n";   // 62 bytes, + 2 for the blank line = 64
    CgiResponseParser parser = new CgiResponseParser(64);
    Buffer body = parse(parser, line + "\r\nbody that is longer than the limit itself, which is fine");
    assertTrue(parser.isComplete());
    assertTrue(body.toString().startsWith("body"));
  }

  @Test
  void splitAtEveryPosition() {
    String input = "Status: 201 Created\r\nSet-Cookie: a=1\nSet-Cookie: b=2\r\nLocation: /x\r\n"
      + "Content-Type: text/plain\r\n\r\nthe body\r\n\r\nwith blank lines";
    CgiResponseParser reference = new CgiResponseParser(LIMIT);
    Buffer expectedBody = parse(reference, input);
    Buffer all = Buffer.buffer(input);
    for (int cut = 0; cut <= all.length(); cut++) {
      CgiResponseParser parser = new CgiResponseParser(LIMIT);
      Buffer body = Buffer.buffer();
      Buffer first = parser.feed(all.getBuffer(0, cut));
      if (first != null) {
        body.appendBuffer(first);
      }
      Buffer second = parser.feed(all.getBuffer(cut, all.length()));
      assertTrue(parser.isComplete(), "cut at " + cut);
      body.appendBuffer(second);
      assertEquals(expectedBody, body, "cut at " + cut);
      assertEquals(201, parser.status());
      assertEquals("Created", parser.reason());
      assertEquals(reference.headers().entries().toString(), parser.headers().entries().toString(), "cut at " + cut);
    }
  }

  @Test
  void oneByteAtATime() {
    String input = "Status: 200\nX-A: 1\r\nX-B: 2\n\nbody";
    CgiResponseParser parser = new CgiResponseParser(LIMIT);
    Buffer all = Buffer.buffer(input);
    Buffer body = Buffer.buffer();
    for (int i = 0; i < all.length(); i++) {
      Buffer rest = parser.feed(all.getBuffer(i, i + 1));
      if (rest != null) {
        body.appendBuffer(rest);
      }
    }
    assertEquals("body", body.toString());
    assertEquals("2", parser.headers().get("X-B"));
  }

  // ---- malformations ----

  @ParameterizedTest(name = "Status: {0}")
  @ValueSource(strings = {"20", "2000", "abc", "600", "099", "", "2OO", "20 0", "200OK", "-20", "1e2"})
  void badStatus(String status) {
    assertMalformed("Status: " + status + "\r\n\r\n");
  }

  @Test
  void twoStatusHeaders() {
    assertMalformed("Status: 200\r\nStatus: 404\r\n\r\n");
  }

  @Test
  void crInsideALine() {
    assertMalformed("X-A: a\rb\r\n\r\n");
  }

  @Test
  void crInsideAName() {
    assertMalformed("X\r-A: a\r\n\r\n");
  }

  @Test
  void doubleCrBeforeLf() {
    assertMalformed("X-A: a\r\r\n\r\n");
  }

  @Test
  void nulInsideAValue() {
    assertMalformed("X-A: a\u0000b\r\n\r\n");
  }

  @Test
  void nulInsideAName() {
    assertMalformed("X-\u0000A: b\r\n\r\n");
  }

  @Test
  void obsFoldWithSpace() {
    assertMalformed("X-A: a\r\n b\r\n\r\n");
  }

  @Test
  void obsFoldWithTab() {
    assertMalformed("X-A: a\r\n\tb\r\n\r\n");
  }

  @Test
  void firstLineStartsWithSpace() {
    assertMalformed(" X-A: a\r\n\r\n");
  }

  @Test
  void lineWithoutColon() {
    assertMalformed("X-A a\r\n\r\n");
  }

  @Test
  void emptyName() {
    assertMalformed(": a\r\n\r\n");
  }

  @ParameterizedTest(name = "name {0}")
  @ValueSource(strings = {"X A", "X\tA", "X(A)", "X/A", "X@A", "X\"A", "X=A", "X{A", "X\u00e9A", "X\u007fA", "X\u0001A"})
  void invalidNameChar(String name) {
    assertMalformed(name + ": a\r\n\r\n");
  }

  @Test
  void spaceBeforeColon() {
    assertMalformed("X-A : a\r\n\r\n");
  }

  @Test
  void twoDifferentContentLengths() {
    assertMalformed("Content-Length: 5\r\nContent-Length: 6\r\n\r\n");
  }

  @Test
  void nonNumericContentLength() {
    assertMalformed("Content-Length: 5, 5\r\n\r\n");
  }

  @Test
  void headerBlockOverLimitInOneFeed() {
    CgiResponseParser parser = new CgiResponseParser(64);
    assertThrows(FcgiProtocolException.class, () -> parse(parser, "X-Pad: " + "p".repeat(100) + "\r\n\r\n"));
  }

  @Test
  void headerBlockOverLimitByteByByte() {
    CgiResponseParser parser = new CgiResponseParser(64);
    Buffer all = Buffer.buffer("X-A: 1\r\n".repeat(20) + "\r\n");
    int i = 0;
    try {
      for (; i < all.length(); i++) {
        assertNull(parser.feed(all.getBuffer(i, i + 1)));
      }
    } catch (FcgiProtocolException expected) {
      assertEquals(64, i, "refused at the first byte past the limit");
      return;
    }
    throw new AssertionError("oversized block accepted");
  }

  @Test
  void headerBlockOneByteOverLimit() {
    String line = "X-Pad: " + "p".repeat(64 - 7 - 2 - 2) + "\r\n";
    CgiResponseParser parser = new CgiResponseParser(64);
    assertThrows(FcgiProtocolException.class, () -> parse(parser, "Y" + line + "\r\n"));
  }

  @Test
  void endBeforeBlockCompleted() {
    CgiResponseParser parser = new CgiResponseParser(LIMIT);
    assertNull(parse(parser, "Content-Type: text/plain\r\n"));
    assertFalse(parser.isComplete());
    assertThrows(FcgiProtocolException.class, parser::end);
  }

  @Test
  void endWithNothingFed() {
    CgiResponseParser parser = new CgiResponseParser(LIMIT);
    assertThrows(FcgiProtocolException.class, parser::end);
  }
}
