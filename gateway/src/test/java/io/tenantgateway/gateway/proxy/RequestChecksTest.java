package io.tenantgateway.gateway.proxy;

import io.vertx.core.http.HttpVersion;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * {@link RequestChecks}: what Vert.x's parser accepts but the gateway refuses (docs/ARCHITECTURE.md).
 */
class RequestChecksTest {

  private FakeRequest fake;

  @BeforeEach
  void setUp() {
    fake = new FakeRequest();
  }

  private String problem() {
    return RequestChecks.problem(fake.request());
  }

  @Test
  void ordinaryRequestsPass() {
    fake.header("Host", "site.test");
    assertNull(problem());
    fake.header("Content-Length", "0");
    assertNull(problem());
  }

  @Test
  void hostWithPortPasses() {
    fake.header("Host", "site.test:8080");
    assertNull(problem());
  }

  @Test
  void ipv6HostPasses() {
    fake.header("Host", "[::1]:8080");
    assertNull(problem());
  }

  @Test
  void twoHostHeaders() {
    fake.header("Host", "site.test").header("Host", "other.test");
    assertEquals("more than one Host header", problem());
    fake = new FakeRequest().header("Host", "site.test").header("host", "site.test");
    assertEquals("more than one Host header", problem(), "even when equal");
  }

  @Test
  void http11WithoutHost() {
    assertEquals("HTTP/1.1 request without Host", problem());
  }

  @Test
  void http10WithoutHostPasses() {
    fake.version(HttpVersion.HTTP_1_0);
    assertNull(problem());
  }

  @Test
  void http10WithTwoHostsIsStillRefused() {
    fake.version(HttpVersion.HTTP_1_0).header("Host", "a.test").header("Host", "b.test");
    assertEquals("more than one Host header", problem());
  }

  @ParameterizedTest
  @ValueSource(strings = {"chunked", "Chunked", "CHUNKED", " chunked "})
  void singleChunkedPasses(String encoding) {
    fake.header("Host", "site.test").header("Transfer-Encoding", encoding);
    assertNull(problem());
  }

  @ParameterizedTest
  @ValueSource(strings = {"xchunked", "chunkedx", "gzip, chunked", "chunked, chunked", "identity", "", "chunked;x=1"})
  void otherTransferEncodings(String encoding) {
    fake.header("Host", "site.test").header("Transfer-Encoding", encoding);
    assertEquals("Transfer-Encoding other than a single chunked", problem());
  }

  @Test
  void twoTransferEncodingHeaders() {
    fake.header("Host", "site.test").header("Transfer-Encoding", "chunked").header("Transfer-Encoding", "chunked");
    assertEquals("Transfer-Encoding other than a single chunked", problem());
  }

  @Test
  void chunkedWithContentLength() {
    fake.header("Host", "site.test").header("Transfer-Encoding", "chunked").header("Content-Length", "5");
    assertEquals("both Content-Length and Transfer-Encoding", problem());
  }

  @ParameterizedTest
  @ValueSource(strings = {"abc", "-1", "+1", "4, 4", "4,4", " 4", "4 ", "", "1e3", "0x10", "1234567890123456789"})
  void invalidContentLength(String length) {
    fake.header("Host", "site.test").header("Content-Length", length);
    assertEquals("invalid Content-Length", problem());
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "1", "00", "123456789012345678"})
  void validContentLength(String length) {
    fake.header("Host", "site.test").header("Content-Length", length);
    assertNull(problem());
  }

  @Test
  void twoContentLengthHeaders() {
    fake.header("Host", "site.test").header("Content-Length", "4").header("Content-Length", "4");
    assertEquals("invalid Content-Length", problem());
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://site.test/x", "HTTP://SITE.TEST/x", "http://site.test:8080/x?y=1", "https://site.test",
    "http://site.test?x=1", "http://site.test#f"})
  void absoluteFormForTheSameHostPasses(String target) {
    fake.uri(target).header("Host", "site.test:8080");
    assertNull(problem());
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://other.test/x", "http://site.test.evil/x", "http://site.test@evil.test/x",
    "http://evil.test@site.test/x", "http://evil.test/site.test", "http://[::1]/x", "http:///x"})
  void absoluteFormForAnotherHostIsRefused(String target) {
    fake.uri(target).header("Host", "site.test");
    assertEquals("absolute-form target names another host than Host", problem());
  }

  @Test
  void absoluteFormWithIpv6() {
    fake.uri("http://[::1]:8080/x").header("Host", "[::1]");
    assertNull(problem());
  }

  @ParameterizedTest
  @ValueSource(strings = {"*", "site.test:80", "ftp://site.test/x", "x", "//site.test/x"})
  void otherTargetFormsAreRefused(String target) {
    fake.uri(target).header("Host", "site.test");
    String expected = target.startsWith("//") ? null : "request target is neither origin-form nor absolute-form";
    assertEquals(expected, problem());
  }

  @ParameterizedTest
  @ValueSource(strings = {"get", "Get", "PO.ST", "GET1", "G~T", "G!T"})
  void methodsThatNginxRefuses(String method) {
    // Vert.x's HttpMethod already refuses non-token characters (space, <, /, non-ASCII)
    fake.method = io.vertx.core.http.HttpMethod.valueOf(method);
    fake.header("Host", "site.test");
    assertEquals("invalid method", problem());
  }

  @ParameterizedTest
  @ValueSource(strings = {"GET", "POST", "PURGE", "M-SEARCH", "PROPFIND", "X_CUSTOM", "BREW"})
  void methodsOfUpperCaseLettersDashAndUnderscorePass(String method) {
    fake.method = io.vertx.core.http.HttpMethod.valueOf(method);
    fake.header("Host", "site.test");
    assertNull(problem());
  }

  @ParameterizedTest
  @ValueSource(strings = {"/a\u0001", "/a b", "/a\u007f", "/?q=\u0000", "/?q=a\tb", "/a\u001b[31m", "/\r", "/\n"})
  void spacesAndControlCharactersInTheTarget(String uri) {
    fake.uri(uri).header("Host", "site.test");
    assertEquals("space or control character in the request target", problem());
  }

  @ParameterizedTest
  @ValueSource(strings = {"/caf\u00c3\u00a9", "/%00", "/a?b=%0d%0a", "/~user/?x=[1]&y={2}", "/a#frag"})
  void encodedOrHighBytesInTheTargetPassHere(String uri) {
    // percent-encoded controls are the path mapper's to refuse (400), and a query keeps them encoded
    fake.uri(uri).header("Host", "site.test");
    assertNull(problem());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ":80", "a b", "site.test:port", "site.test:99999", "[::1", "a/b"})
  void invalidHostHeader(String host) {
    fake.header("Host", host);
    assertEquals("invalid Host header", problem());
  }
}
