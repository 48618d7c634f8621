package io.tenantgateway.fcgi;

import io.tenantgateway.fcgi.impl.RecordType;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.SocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The small public types: endpoints, parameters, options, enums.
 */
class FcgiApiTest {

  @Test
  void parseUnixEndpoint() {
    FcgiEndpoint endpoint = FcgiEndpoint.parse("unix:/run/php/blog.sock", 5);
    assertEquals("unix:/run/php/blog.sock", endpoint.key());
    assertTrue(endpoint.address().isDomainSocket());
    assertEquals("/run/php/blog.sock", endpoint.address().path());
    assertEquals(5, endpoint.maxConnections());
  }

  @Test
  void parseTcpEndpoint() {
    FcgiEndpoint endpoint = FcgiEndpoint.parse("tcp:10.0.0.5:9000", 2);
    assertEquals("tcp:10.0.0.5:9000", endpoint.key());
    assertEquals(SocketAddress.inetSocketAddress(9000, "10.0.0.5"), endpoint.address());
  }

  @Test
  void parseBracketedIpv6Endpoint() {
    FcgiEndpoint endpoint = FcgiEndpoint.parse("tcp:[::1]:9000", 1);
    assertEquals("::1", endpoint.address().host());
    assertEquals(9000, endpoint.address().port());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "unix:", "unix:relative.sock", "tcp:", "tcp:host", "tcp::9000", "tcp:host:0",
    "tcp:host:65536", "tcp:host:abc", "tcp:host:", "http://host:9000", "/run/php.sock"})
  void parseRejects(String spec) {
    assertThrows(IllegalArgumentException.class, () -> FcgiEndpoint.parse(spec, 1));
  }

  @Test
  void endpointNeedsOneConnection() {
    assertThrows(IllegalArgumentException.class, () -> FcgiEndpoint.unix("/x.sock", 0));
  }

  @Test
  void endpointEquality() {
    assertEquals(FcgiEndpoint.unix("/x.sock", 2), FcgiEndpoint.parse("unix:/x.sock", 2));
    assertEquals(FcgiEndpoint.unix("/x.sock", 2).hashCode(), FcgiEndpoint.parse("unix:/x.sock", 2).hashCode());
    assertNotEquals(FcgiEndpoint.unix("/x.sock", 2), FcgiEndpoint.unix("/x.sock", 3));
    assertEquals("unix:/x.sock", FcgiEndpoint.unix("/x.sock", 2).toString());
  }

  @Test
  void paramsKeepBytesAndOrder() {
    FcgiParams params = new FcgiParams()
      .add("B", "2")
      .add("A", "caf\u00e9")
      .addUtf8("C", "caf\u00e9")
      .add("A", "again");
    assertEquals(List.of("B", "A", "C", "A"), params.names());
    assertEquals(4, params.size());
    assertEquals("caf\u00e9", params.get("A"), "the first value");
    assertArrayEquals(new byte[] {'c', 'a', 'f', (byte) 0xE9}, params.valueBytes(1));
    assertArrayEquals("caf\u00e9".getBytes(StandardCharsets.UTF_8), params.valueBytes(2));
    assertNull(params.get("D"));
  }

  @Test
  void paramsAreKeptInTheirWireEncoding() {
    String longName = "N".repeat(200);
    String longValue = "v".repeat(70_000);
    FcgiParams params = new FcgiParams().add("A", "1").add(longName, longValue).addUtf8("U", "\u00e9");
    assertArrayEquals(longName.getBytes(StandardCharsets.ISO_8859_1), params.nameBytes(1));
    assertArrayEquals(longValue.getBytes(StandardCharsets.ISO_8859_1), params.valueBytes(1));
    assertEquals(List.of("A", longName, "U"), params.names());
    io.vertx.core.buffer.Buffer wire = io.vertx.core.buffer.Buffer.buffer();
    params.appendEncoded(wire, 0, params.size());
    assertEquals(params.encodedLength(), wire.length());
    assertEquals(1 + 1 + 1 + 1, params.encodedOffset(1), "one-byte lengths below 128");
    assertEquals(0x80, wire.getUnsignedByte(4), "a four-byte length sets the high bit");
    assertEquals(200, wire.getInt(4) & 0x7FFFFFFF);
    assertEquals(70_000, wire.getInt(8) & 0x7FFFFFFF);
    assertEquals(params.encodedLength() - 1 - 1 - 1 - 2, params.encodedOffset(2));
  }

  @Test
  void paramsRejectCharsAboveAByte() {
    assertThrows(IllegalArgumentException.class, () -> new FcgiParams().add("X", "\u20ac"));
    assertThrows(IllegalArgumentException.class, () -> new FcgiParams().add("\u0100", "x"));
    assertThrows(IllegalArgumentException.class, () -> new FcgiParams().addUtf8("\u20ac", "x"));
  }

  @Test
  void optionsDefaults() {
    FcgiClientOptions options = new FcgiClientOptions();
    assertEquals(FcgiClientOptions.DEFAULT_CONNECT_TIMEOUT, options.getConnectTimeout());
    assertEquals(FcgiClientOptions.DEFAULT_READ_IDLE_TIMEOUT, options.getReadIdleTimeout());
    assertEquals(FcgiClientOptions.DEFAULT_REQUEST_TIMEOUT, options.getRequestTimeout());
    assertEquals(FcgiClientOptions.DEFAULT_QUEUE_TIMEOUT, options.getQueueTimeout());
    assertEquals(FcgiClientOptions.DEFAULT_MAX_QUEUE_SIZE, options.getMaxQueueSize());
    assertEquals(FcgiClientOptions.DEFAULT_POOL_IDLE_TIMEOUT, options.getPoolIdleTimeout());
    assertEquals(FcgiClientOptions.DEFAULT_MAX_LIFETIME, options.getMaxLifetime());
    assertEquals(FcgiClientOptions.DEFAULT_MAX_RESPONSE_HEADER_SIZE, options.getMaxResponseHeaderSize());
  }

  @Test
  void optionsRejectNegativeValues() {
    FcgiClientOptions options = new FcgiClientOptions();
    assertThrows(IllegalArgumentException.class, () -> options.setConnectTimeout(-1));
    assertThrows(IllegalArgumentException.class, () -> options.setReadIdleTimeout(-1));
    assertThrows(IllegalArgumentException.class, () -> options.setRequestTimeout(-1));
    assertThrows(IllegalArgumentException.class, () -> options.setQueueTimeout(-1));
    assertThrows(IllegalArgumentException.class, () -> options.setMaxQueueSize(-1));
    assertThrows(IllegalArgumentException.class, () -> options.setPoolIdleTimeout(-1));
    assertThrows(IllegalArgumentException.class, () -> options.setMaxLifetime(-1));
    assertThrows(IllegalArgumentException.class, () -> options.setMaxResponseHeaderSize(63));
    assertEquals(64, options.setMaxResponseHeaderSize(64).getMaxResponseHeaderSize());
    assertEquals(0, options.setRequestTimeout(0).getRequestTimeout(), "0 switches a timeout off");
  }

  @Test
  void protocolStatusCodes() {
    for (ProtocolStatus status : ProtocolStatus.values()) {
      assertEquals(status, ProtocolStatus.from(status.code));
    }
    assertThrows(IllegalArgumentException.class, () -> ProtocolStatus.from(4));
    assertThrows(IllegalArgumentException.class, () -> ProtocolStatus.from(-1));
  }

  @Test
  void recordTypeCodes() {
    for (RecordType type : RecordType.values()) {
      assertEquals(type, RecordType.from(type.code));
    }
    assertThrows(IllegalArgumentException.class, () -> RecordType.from(0));
    assertThrows(IllegalArgumentException.class, () -> RecordType.from(12));
    assertThrows(IllegalArgumentException.class, () -> RecordType.from(255));
  }

  @Test
  void exceptionsCarryTheirDetail() {
    FcgiTimeoutException timeout = new FcgiTimeoutException(FcgiTimeoutException.Phase.IDLE, 250);
    assertEquals(FcgiTimeoutException.Phase.IDLE, timeout.phase());
    assertEquals("idle timeout after 250 ms", timeout.getMessage());
    assertEquals(ProtocolStatus.OVERLOADED, new FcgiRejectedException(ProtocolStatus.OVERLOADED).status());
  }

  @Test
  void requestDefaults() {
    FcgiRequest request = new FcgiRequest(new FcgiParams());
    assertNull(request.body());
    assertEquals(-1, request.timeout(), "the client's timeout applies");
    request.stderrHandler().handle(Buffer.buffer("ignored"));
    int[] runs = {0};
    request.abort();
    assertTrue(request.isAborted());
    request.onAbort(() -> runs[0]++);
    assertEquals(1, runs[0], "an abort before the action is set runs it at once");
  }
}
