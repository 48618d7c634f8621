package io.tenantgateway.gateway.attacks;

import io.tenantgateway.gateway.testing.RawHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11: 500 connections drip a request head a byte at a time (slowloris). While they do,
 * other clients are served; once {@code http.header_timeout_s} (2 s here) has passed since each
 * head began, the gateway has closed every one of them, although each kept sending well within
 * the idle timeout.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlowlorisTest {

  private static final int CONNECTIONS = 500;
  private static final byte[] HEAD = "GET /hit.php HTTP/1.1\r\nHost: site.test\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
    .getBytes(StandardCharsets.US_ASCII);

  private AttackSite site;
  private int port;

  @BeforeAll
  void start() throws Exception {
    site = AttackSite.start("slowloris");
    port = site.gateway(Map.of("GATEWAY_HTTP_HEADER_TIMEOUT", "2", "GATEWAY_HTTP_IDLE_TIMEOUT", "60"), "");
  }

  @AfterAll
  void stop() throws Exception {
    if (site != null) {
      site.close();
    }
  }

  @Test
  void drippedHeadsAreCutOffAndOthersAreServedMeanwhile() throws Exception {
    List<SocketChannel> drips = new ArrayList<>();
    try {
      for (int i = 0; i < CONNECTIONS; i++) {
        SocketChannel socket = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
        socket.configureBlocking(false);
        drips.add(socket);
      }
      long started = System.nanoTime();
      int position = 0;
      int served = 0;
      int open = CONNECTIONS;
      while (open > 0) {
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(20),
          open + " dripping connections still open long after the 2 s head timeout");
        open = 0;
        for (SocketChannel socket : drips) {
          if (socket.isOpen() && drip(socket, HEAD[position % HEAD.length])) {
            open++;
          }
        }
        position++;
        if (served < 5) {
          RawHttp.Response r = RawHttp.get(port, "site.test", "/hit.php");
          assertEquals(200, r.status(), "another client is served while the heads drip");
          served++;
        }
        Thread.sleep(100);
      }
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      assertTrue(position < HEAD.length, "cut off before any head was complete (" + position + " bytes sent)");
      assertTrue(tookMs >= 1_900, "not before the timeout: " + tookMs + " ms");
      assertEquals(200, RawHttp.get(port, "site.test", "/hit.php").status(), "the gateway serves on");
    } finally {
      for (SocketChannel socket : drips) {
        socket.close();
      }
    }
  }

  /** @return false once the gateway has closed the connection (EOF or a reset) */
  private static boolean drip(SocketChannel socket, byte b) {
    try {
      if (socket.read(ByteBuffer.allocate(256)) < 0) {
        socket.close();
        return false;
      }
      socket.write(ByteBuffer.wrap(new byte[] {b}));
      return true;
    } catch (IOException closed) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing a dead socket
      }
      return false;
    }
  }
}
