package io.tenantgateway.gateway.proxy;

import io.tenantgateway.fcgi.FcgiBusyException;
import io.tenantgateway.fcgi.FcgiClosedException;
import io.tenantgateway.fcgi.FcgiConnectException;
import io.tenantgateway.fcgi.FcgiException;
import io.tenantgateway.fcgi.FcgiProtocolException;
import io.tenantgateway.fcgi.FcgiRejectedException;
import io.tenantgateway.fcgi.FcgiTimeoutException;
import io.tenantgateway.fcgi.ProtocolStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.ConnectException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link ProxyFailure}: 504 too slow, 503 cannot take it now, 502 everything else.
 */
class ProxyFailureTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "QUEUE, 503",
    "CONNECT, 504",
    "IDLE, 504",
    "REQUEST, 504",
  })
  void timeouts(FcgiTimeoutException.Phase phase, int status) {
    assertEquals(status, ProxyFailure.status(new FcgiTimeoutException(phase, 1000)));
  }

  @Test
  void everyTimeoutPhaseIsCovered() {
    assertEquals(4, FcgiTimeoutException.Phase.values().length, "a new phase needs a decision in ProxyFailure");
  }

  @Test
  void busyIs503() {
    assertEquals(503, ProxyFailure.status(new FcgiBusyException("queue full")));
    assertEquals(503, ProxyFailure.status(new FcgiBusyException("pool closed")));
  }

  @ParameterizedTest
  @EnumSource(ProtocolStatus.class)
  void rejected(ProtocolStatus status) {
    int expected = status == ProtocolStatus.OVERLOADED ? 503 : 502;
    assertEquals(expected, ProxyFailure.status(new FcgiRejectedException(status)));
  }

  @Test
  void backendFaultsAre502() {
    assertEquals(502, ProxyFailure.status(new FcgiConnectException("unix:/x.sock", new ConnectException("refused"))));
    assertEquals(502, ProxyFailure.status(new FcgiClosedException("closed before END_REQUEST")));
    assertEquals(502, ProxyFailure.status(new FcgiProtocolException("bad version")));
    assertEquals(502, ProxyFailure.status(new FcgiException("other")));
  }

  @Test
  void gatewayExceptionCarriesItsStatus() {
    assertEquals(503, ProxyFailure.status(new GatewayException(503, "no pool")));
    assertEquals(413, ProxyFailure.status(new GatewayException(413, "body too large")));
    assertEquals(502, ProxyFailure.status(new GatewayException(502, "x")));
    assertEquals(413, new GatewayException(413, "body too large").status());
  }

  @Test
  void anythingElseIs502() {
    assertEquals(502, ProxyFailure.status(new RuntimeException("boom")));
    assertEquals(502, ProxyFailure.status(new IOException("reset")));
    assertEquals(502, ProxyFailure.status(new IllegalStateException()));
    assertEquals(502, ProxyFailure.status(new Error("x")));
    assertEquals(502, ProxyFailure.status(null));
  }
}
