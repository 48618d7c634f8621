package io.tenantgateway.gateway.attacks;

import io.tenantgateway.gateway.testing.RawHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11: request bodies are read completely before they reach PHP. Eight clients upload slowly
 * to a tenant whose pool has one worker: a plain GET to that tenant is served while every upload is
 * still dripping (before, the first upload held the worker for its whole duration), and each upload
 * reaches PHP intact once complete. A body larger than the memory buffer goes through a spool file,
 * which is unlinked at once: the spool directory is empty during and after.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SlowUploadTest {

  private static final int UPLOADS = 8;
  private static final int UPLOAD_BYTES = 1200;

  private AttackSite site;
  private int port;

  @BeforeAll
  void start() throws Exception {
    site = AttackSite.start("uploads");
    Files.writeString(site.docroot.resolve("md5.php"), "<?php echo md5(file_get_contents('php://input'));\n");
    port = site.gateway(Map.of(), "");
  }

  @AfterAll
  void stop() throws Exception {
    if (site != null) {
      site.close();
    }
  }

  @Test
  void slowUploadsHoldNoWorker() throws Exception {
    byte[] body = new byte[UPLOAD_BYTES];
    new Random(11).nextBytes(body);
    AtomicInteger sentAll = new AtomicInteger();
    AtomicInteger dripping = new AtomicInteger();
    List<CompletableFuture<String>> uploads = new ArrayList<>();
    List<Socket> sockets = new ArrayList<>();
    for (int i = 0; i < UPLOADS; i++) {
      Socket socket = new Socket("127.0.0.1", port);
      sockets.add(socket);
      uploads.add(CompletableFuture.supplyAsync(() -> drip(socket, body, dripping, sentAll)));
    }
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (dripping.get() < UPLOADS) {
        assertTrue(System.nanoTime() < deadline, "every upload has begun its body");
        Thread.sleep(5);
      }
      assertEquals(200, RawHttp.get(port, "site.test", "/hit.php").status());
      assertEquals(0, sentAll.get(), "the GET was served while every upload was still arriving");
      String expected = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(body));
      for (CompletableFuture<String> upload : uploads) {
        assertEquals(expected, upload.get(60, TimeUnit.SECONDS), "the upload reached PHP intact");
      }
    } finally {
      for (Socket socket : sockets) {
        socket.close();
      }
    }
  }

  @Test
  void aBodyOverTheMemoryBufferIsSpooledAndLeavesNothing() throws Exception {
    byte[] body = new byte[900 * 1024];
    new Random(12).nextBytes(body);
    Path spool = site.work.resolve("run-0/spool");
    try (RawHttp http = new RawHttp(port)) {
      http.send(("POST /md5.php HTTP/1.1\r\nHost: site.test\r\nContent-Type: application/octet-stream\r\n"
        + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      http.send(java.util.Arrays.copyOf(body, body.length / 2));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!holdsUnlinkedSpoolFile(spool)) {
        assertTrue(System.nanoTime() < deadline, "the half-sent body is held in an unlinked spool file");
        Thread.sleep(5);
      }
      try (var listing = Files.list(spool)) {
        assertEquals(0, listing.count(), "the spool file is unlinked as soon as it is open");
      }
      http.send(java.util.Arrays.copyOfRange(body, body.length / 2, body.length));
      RawHttp.Response r = http.read(false);
      assertEquals(200, r.status(), r.text());
      assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(body)), r.text().trim());
    }
    assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
      Files.getPosixFilePermissions(spool)), "no tenant can enter the spool directory");
  }

  /** @return true when the gateway (this JVM) holds a descriptor of a spool file that has no name any more */
  private static boolean holdsUnlinkedSpoolFile(Path spool) throws IOException {
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.anyMatch(fd -> {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          return target.startsWith(spool + "/body-") && target.endsWith(" (deleted)");
        } catch (IOException e) {
          return false;
        }
      });
    }
  }

  /** Sends the upload 100 bytes every 100 ms, then reads the answer's body. */
  private String drip(Socket socket, byte[] body, AtomicInteger dripping, AtomicInteger sentAll) {
    try {
      OutputStream out = socket.getOutputStream();
      out.write(("POST /md5.php HTTP/1.1\r\nHost: site.test\r\nContent-Type: application/octet-stream\r\n"
        + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      for (int off = 0; off < body.length; off += 100) {
        Thread.sleep(100);
        out.write(body, off, Math.min(100, body.length - off));
        out.flush();
        if (off == 0) {
          dripping.incrementAndGet();
        }
      }
      sentAll.incrementAndGet();
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      return answer.substring(answer.indexOf("\r\n\r\n") + 4).trim();
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}
