package io.tenantgateway.gateway.attacks;

import io.tenantgateway.gateway.testing.RawHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code http.idle_timeout_s}: a kept-alive connection that stays silent is closed by the gateway. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IdleTimeoutTest {

  private AttackSite site;
  private int port;

  @BeforeAll
  void start() throws Exception {
    site = AttackSite.start("idle");
    port = site.gateway(Map.of("GATEWAY_HTTP_IDLE_TIMEOUT", "1"), "");
  }

  @AfterAll
  void stop() throws Exception {
    if (site != null) {
      site.close();
    }
  }

  @Test
  void aSilentKeptAliveConnectionIsClosedAfterTheIdleTimeout() throws Exception {
    try (RawHttp http = new RawHttp(port)) {
      // taken before the request: the gateway's idle clock starts at its answer, which a stall of
      // this thread after reading it would otherwise leave out
      long idleFrom = System.nanoTime();
      http.send("GET /hit.php HTTP/1.1\r\nHost: site.test\r\n\r\n");
      assertEquals(200, http.read(false).status());
      assertTrue(http.closedByServer(), "the gateway closed the silent connection");
      long idleMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - idleFrom);
      assertTrue(idleMs >= 900 && idleMs < 10_000, "closed after the 1 s idle timeout, took " + idleMs + " ms");
    }
  }
}
