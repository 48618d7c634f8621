package io.tenantgateway.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the {@link PhpFpm} fixture against the php-fpm installed on the machine.
 */
class PhpFpmTest {

  @TempDir
  Path tmp;

  @Test
  void startsAndStops() throws Exception {
    Path docroot = Files.createDirectories(tmp.resolve("public"));
    PhpFpm fpm = PhpFpm.start(tmp.resolve("fpm"), docroot,
      PhpFpm.Options.defaults().withWorkers(2));
    long pid;
    List<Long> workers;
    try {
      assertTrue(Files.exists(fpm.socket()), fpm::log);
      pid = fpm.masterPid();
      assertTrue(pid > 0);
      assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
      workers = fpm.workerPids();
      assertEquals(2, workers.size(), fpm::log);
    } finally {
      fpm.stop();
    }
    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
      "master still alive");
    for (long worker : workers) {
      assertFalse(ProcessHandle.of(worker).map(ProcessHandle::isAlive).orElse(false),
        "worker " + worker + " still alive");
    }
    fpm.stop();
  }

  @Test
  void runsScriptsAndReplacesKilledWorkers() throws Exception {
    Path docroot = Files.createDirectories(tmp.resolve("public"));
    Files.writeString(docroot.resolve("hello.php"),
      "<?php echo 'hello ', ini_get('memory_limit');\n");
    PhpFpm.Options options = PhpFpm.Options.defaults()
      .withWorkers(1)
      .withIni("memory_limit", "42M")
      .withRequestTerminateTimeoutSeconds(5)
      .withCatchWorkersOutput(true);
    try (PhpFpm fpm = PhpFpm.start(tmp.resolve("fpm"), docroot, options)) {
      String response = get(fpm.socket(), docroot.resolve("hello.php"));
      assertTrue(response.endsWith("\r\n\r\nhello 42M"), () -> response + "\n" + fpm.log());

      List<Long> before = fpm.workerPids();
      assertEquals(1, before.size());
      fpm.killWorkers();
      List<Long> after = awaitWorkers(fpm, before);
      assertEquals(1, after.size());
      assertNotEquals(before, after);
      assertTrue(get(fpm.socket(), docroot.resolve("hello.php")).endsWith("hello 42M"));
    }
  }

  /** Waits until the master has replaced the workers in {@code before}. */
  private static List<Long> awaitWorkers(PhpFpm fpm, List<Long> before) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      List<Long> now = fpm.workerPids();
      if (now.size() == before.size() && now.stream().noneMatch(before::contains)) {
        return now;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("workers not replaced; before " + before + ", now "
      + fpm.workerPids() + "\n" + fpm.log());
  }

  /**
   * A minimal FastCGI GET, written out by hand so that this test does not depend on the
   * fcgi-client module it helps to test. Returns the STDOUT stream as text.
   */
  private static String get(Path socket, Path script) throws IOException {
    ByteArrayOutputStream params = new ByteArrayOutputStream();
    Map.of("SCRIPT_FILENAME", script.toString(), "REQUEST_METHOD", "GET",
        "SERVER_PROTOCOL", "HTTP/1.1", "GATEWAY_INTERFACE", "CGI/1.1")
      .forEach((name, value) -> {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        writeLength(params, n.length);
        writeLength(params, v.length);
        params.writeBytes(n);
        params.writeBytes(v);
      });
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    record(request, 1, new byte[] {0, 1, 0, 0, 0, 0, 0, 0}); // BEGIN_REQUEST, role RESPONDER
    record(request, 4, params.toByteArray());                 // PARAMS
    record(request, 4, new byte[0]);
    record(request, 5, new byte[0]);                          // empty STDIN
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(socket));
      channel.write(ByteBuffer.wrap(request.toByteArray()));
      DataInputStream in = new DataInputStream(Channels.newInputStream(channel));
      while (true) {
        byte[] header = new byte[8];
        in.readFully(header);
        int type = header[1];
        int length = ((header[4] & 0xff) << 8) | (header[5] & 0xff);
        byte[] content = new byte[length + (header[6] & 0xff)];
        in.readFully(content);
        if (type == 6) { // STDOUT
          stdout.write(content, 0, length);
        } else if (type == 3) { // END_REQUEST
          return stdout.toString(StandardCharsets.UTF_8);
        }
      }
    }
  }

  /** Name-value pair length: one byte below 128, else four with the high bit set. */
  private static void writeLength(ByteArrayOutputStream out, int length) {
    if (length < 128) {
      out.write(length);
    } else {
      out.writeBytes(new byte[] {(byte) ((length >> 24) | 0x80), (byte) (length >> 16),
        (byte) (length >> 8), (byte) length});
    }
  }

  private static void record(ByteArrayOutputStream out, int type, byte[] content) {
    out.writeBytes(new byte[] {1, (byte) type, 0, 1, (byte) (content.length >> 8),
      (byte) content.length, 0, 0});
    out.writeBytes(content);
  }
}
