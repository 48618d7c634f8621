package io.tenantgateway.gateway.attacks;

import io.tenantgateway.gateway.testing.RawHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11: a script whose worker is killed mid-run is never run a second time by the gateway. The
 * script records its run and its pid, then sleeps; the test kills that worker (SIGKILL) on a
 * kept-alive connection, the case the gateway used to retry on a fresh one. The client gets 502,
 * and the script ran exactly once, for GET, for POST without a body and for POST with one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NoReplayTest {

  private AttackSite site;
  private int port;

  @BeforeAll
  void start() throws Exception {
    site = AttackSite.start("replay");
    Path pids = Files.createDirectories(site.work.resolve("scratch/pids"));
    Files.setPosixFilePermissions(pids, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.writeString(site.docroot.resolve("slow.php"), "<?php\n"
      + "file_put_contents('" + pids + "/' . basename($_GET['m']), getmypid());\n"
      + "sleep(20);\necho \"finished\\n\";\n");
    port = site.gateway(Map.of(), "");
  }

  @AfterAll
  void stop() throws Exception {
    if (site != null) {
      site.close();
    }
  }

  @ParameterizedTest
  @CsvSource({"GET, ''", "POST, ''", "POST, name=value"})
  void aWorkerKilledMidScriptGives502AndTheScriptRanOnce(String method, String body) throws Exception {
    String marker = "m" + System.nanoTime();
    assertEquals(200, RawHttp.get(port, "scripts.test", "/hit.php").status(), "the connection is kept alive");
    Path pidFile = site.work.resolve("scratch/pids/" + marker);
    CompletableFuture<RawHttp.Response> answer = CompletableFuture.supplyAsync(() -> {
      try (RawHttp http = new RawHttp(port)) {
        http.send(method + " /slow.php?m=" + marker + " HTTP/1.1\r\nHost: scripts.test\r\n"
          + (method.equals("POST") ? "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
          + body.length() + "\r\n" : "") + "Connection: close\r\n\r\n" + body);
        return http.read(false);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    long pid = awaitPid(pidFile);
    assertTrue(ProcessHandle.of(pid).orElseThrow().destroyForcibly(), "killed the worker running the script");
    RawHttp.Response r = answer.get(30, TimeUnit.SECONDS);
    assertEquals(502, r.status(), r.text());
    site.assertNotExecuted(port, "no-such-marker");
    List<String> runs = site.hits().stream().filter(h -> h.contains(marker)).toList();
    assertEquals(1, runs.size(), "the script ran once: " + runs);
  }

  /** The script writes its pid as its first act: the event this test waits for. */
  private static long awaitPid(Path file) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      if (Files.exists(file)) {
        String text = Files.readString(file).trim();
        if (!text.isEmpty()) {
          return Long.parseLong(text);
        }
      }
      Thread.sleep(5);
    }
    throw new AssertionError("the script never started: " + file);
  }
}
