package io.tenantgateway.gateway;

import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.testing.PhpFpm;
import io.tenantgateway.gateway.testing.RawHttp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Gateway#stop()} drains: the listener stops accepting at once, a request in flight to a
 * backend the gateway does not manage still completes, and the drain is bounded by
 * {@code http.drain_timeout_s}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GracefulStopGatewayTest {

  private Gateway start(Path work, PhpFpm php, String drainSeconds) throws Exception {
    Path tenants = work.resolve("tenants.yaml");
    Files.writeString(tenants, "tenants:\n  - id: slow\n    domains: [\"slow.test\"]\n    docroot: \""
      + work.resolve("public") + "\"\n    backend: \"unix:" + php.socket() + "\"\n");
    return Gateway.start(GatewayConfig.load(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_HTTP_DRAIN_TIMEOUT", drainSeconds,
      "GATEWAY_REGISTRY_FILE", tenants.toString(),
      "GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf",
      "GATEWAY_RUN_DIR", work.resolve("run").toString()))).await(30, TimeUnit.SECONDS);
  }

  private static CompletableFuture<RawHttp.Response> slowRequest(int port, int seconds) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return RawHttp.get(port, "slow.test", "/slow.php?s=" + seconds);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  private static PhpFpm php(Path work) throws Exception {
    Path docroot = Files.createDirectories(work.resolve("public"));
    Path marks = Files.createDirectories(work.resolve("marks"));
    Files.setPosixFilePermissions(work, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
    Files.setPosixFilePermissions(marks, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.writeString(docroot.resolve("slow.php"), "<?php touch('" + marks.resolve("started") + "');"
      + " sleep((int) $_GET['s']); echo \"late\\n\";\n");
    return PhpFpm.start(work.resolve("fpm"), docroot, PhpFpm.Options.defaults().withWorkers(2));
  }

  @Test
  void aRequestInFlightFinishesWhileNewConnectionsAreRefused() throws Exception {
    Path work = Files.createTempDirectory("gw-drain");
    try (PhpFpm php = php(work)) {
      Gateway gateway = start(work, php, "30");
      int port = gateway.httpPort();
      CompletableFuture<RawHttp.Response> inFlight = slowRequest(port, 2);
      awaitStarted(work);
      long stopping = System.nanoTime();
      CompletableFuture<Void> stopped = gateway.stop().toCompletionStage().toCompletableFuture();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
      while (true) {
        try {
          new Socket("127.0.0.1", port).close();
        } catch (ConnectException refused) {
          break;
        }
        assertTrue(System.nanoTime() < deadline, "no new connection within 1 s of the stop, while the request runs");
        Thread.sleep(5);
      }
      assertFalse(inFlight.isDone(), "the request in flight was still running when the listener closed");
      RawHttp.Response response = inFlight.get(20, TimeUnit.SECONDS);
      assertEquals(200, response.status());
      assertEquals("late\n", response.text());
      stopped.get(20, TimeUnit.SECONDS);
      assertTrue(System.nanoTime() - stopping >= TimeUnit.MILLISECONDS.toNanos(1400), "stop waited for it");
    }
  }

  @Test
  void theDrainIsBounded() throws Exception {
    Path work = Files.createTempDirectory("gw-drain-bound");
    try (PhpFpm php = php(work)) {
      Gateway gateway = start(work, php, "1");
      CompletableFuture<RawHttp.Response> inFlight = slowRequest(gateway.httpPort(), 20);
      awaitStarted(work);
      long stopping = System.nanoTime();
      gateway.stop().await(15, TimeUnit.SECONDS);
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopping);
      assertTrue(tookMs < 8_000, "stopped after the 1 s drain, not after the 20 s script: " + tookMs + " ms");
      String outcome = inFlight.handle((r, e) -> e == null ? "status " + r.status() + (r.complete() ? "" : " (cut)")
        : "failed: " + rootCause(e)).get(10, TimeUnit.SECONDS);
      assertTrue(outcome.startsWith("failed: java.io.") || outcome.startsWith("status 5") || outcome.endsWith("(cut)"),
        "the long request was cut off when the drain ended (connection closed or a 5xx): " + outcome);
    }
  }

  private static String rootCause(Throwable e) {
    while (e.getCause() != null) {
      e = e.getCause();
    }
    return e.toString();
  }

  /** The script touches a file as its first act: the request is in flight from then on. */
  private static void awaitStarted(Path work) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!Files.exists(work.resolve("marks/started"))) {
      assertTrue(System.nanoTime() < deadline, "the slow script started");
      Thread.sleep(5);
    }
  }
}
