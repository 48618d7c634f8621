package io.tenantgateway.gateway.attacks;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tenantgateway.gateway.proxy.FastCgiProxy;
import io.tenantgateway.gateway.testing.RawHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11: a client that goes away in the middle of its upload or of its download frees the
 * tenant's worker (the pool has one: the next request is served at once, not after the script) and
 * is logged; a half-sent upload never reaches PHP.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientGoneTest {

  private AttackSite site;
  private int port;
  private java.nio.file.Path progress;
  private final ListAppender<ILoggingEvent> log = new ListAppender<>();

  @BeforeAll
  void start() throws Exception {
    site = AttackSite.start("gone");
    progress = site.work.resolve("scratch/progress");
    Files.writeString(site.docroot.resolve("long.php"), "<?php\nwhile (ob_get_level()) { ob_end_flush(); }\n"
      + "for ($i = 0; $i < 300; $i++) { file_put_contents('" + progress + "', $i); echo str_repeat('x', 65536);"
      + " flush(); usleep(100000); }\n");
    port = site.gateway(Map.of(), "");
    log.start();
    ((Logger) LoggerFactory.getLogger(FastCgiProxy.class)).addAppender(log);
  }

  @AfterAll
  void stop() throws Exception {
    ((Logger) LoggerFactory.getLogger(FastCgiProxy.class)).detachAppender(log);
    if (site != null) {
      site.close();
    }
  }

  @Test
  void aClientGoneMidUploadNeverReachesPhpAndIsLogged() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.getOutputStream().write(("POST /hit.php?gone=upload HTTP/1.1\r\nHost: site.test\r\n"
        + "Content-Length: 100000\r\n\r\n" + "y".repeat(5000)).getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
    }
    awaitLogged("client went away during the request body");
    site.assertNotExecuted(port, "gone=upload");
  }

  @Test
  void aClientGoneMidDownloadFreesTheWorkerAndIsLogged() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.getOutputStream().write("GET /long.php HTTP/1.1\r\nHost: site.test\r\n\r\n"
        .getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      byte[] some = new byte[100_000];
      int read = 0;
      while (read < some.length) {
        int n = in.read(some, read, some.length - read);
        assertTrue(n > 0, "the download started");
        read += n;
      }
    }
    awaitLogged("client went away before the end of the response");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String last = Files.readString(progress);
    while (true) {
      Thread.sleep(400);
      String now = Files.readString(progress);
      if (now.equals(last)) {
        break;
      }
      assertTrue(System.nanoTime() < deadline, "the script stopped once its client was gone (at loop " + now + ")");
      last = now;
    }
    assertTrue(Integer.parseInt(last) < 299, "it was cut short, not finished: " + last);
    long before = System.nanoTime();
    assertEquals(200, RawHttp.get(port, "site.test", "/hit.php").status(), "the tenant's only worker is free again");
    assertTrue(System.nanoTime() - before < TimeUnit.SECONDS.toNanos(10),
      "served long before the 30 s script would have ended");
  }

  private void awaitLogged(String text) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (logged().stream().noneMatch(e -> e.getFormattedMessage().contains(text))) {
      assertTrue(System.nanoTime() < deadline, "logged: " + text + "; got " + logged());
      Thread.sleep(10);
    }
  }

  /** A copy taken under the appender's lock: the event loop appends while this thread reads. */
  private List<ILoggingEvent> logged() {
    synchronized (log) {
      return List.copyOf(log.list);
    }
  }
}
