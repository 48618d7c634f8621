package io.tenantgateway.gateway;

import io.tenantgateway.gateway.testing.GatewayProcess;
import io.tenantgateway.gateway.testing.RawHttp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway process and its signals: SIGHUP re-reads the tenants file and {@code gateway.yaml}
 * (a broken one is refused and the old settings stay), SIGTERM lets requests in flight finish, then
 * stops every pool and exits.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SignalsGatewayTest {

  private Path work;
  private Path tenants;
  private Path config;
  private Path docroot;
  private GatewayProcess gateway;
  private int port;
  private int adminPort;

  @BeforeEach
  void start() throws Exception {
    work = Files.createTempDirectory("gw-signals");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    docroot = Files.createDirectories(work.resolve("public"));
    Files.setPosixFilePermissions(docroot, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(docroot.resolve("slow.php"), "<?php usleep(1500000); echo 'finished', ' ', posix_getppid();\n");
    Files.writeString(docroot.resolve("hello.txt"), "hello\n");
    for (String file : List.of("slow.php", "hello.txt")) {
      Files.setPosixFilePermissions(docroot.resolve(file), PosixFilePermissions.fromString("rw-r--r--"));
    }
    tenants = work.resolve("tenants.yaml");
    Files.writeString(tenants, "tenants:\n" + tenant("first"));
    config = work.resolve("gateway.yaml");
    Files.writeString(config, Files.readString(Path.of("../conf/gateway.yaml"))
      .replace("token: \"\"", "token: \"first-token\"").replace("poll_ms: 1000", "poll_ms: 60000"));
    port = GatewayProcess.freePort();
    adminPort = GatewayProcess.freePort();
    gateway = GatewayProcess.start(work, Map.of(
      "GATEWAY_CONFIG", config.toString(),
      "GATEWAY_POOL_TEMPLATE", Path.of("../conf/php-fpm-pool.conf").toAbsolutePath().toString(),
      "GATEWAY_REGISTRY_FILE", tenants.toString(),
      // users-only: the test compares the pids PHP reports with the host's
      "GATEWAY_POOL_ISOLATION", "users-only",
      "GATEWAY_RUN_DIR", work.resolve("run").toString(),
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", Integer.toString(port),
      "GATEWAY_ADMIN_PORT", Integer.toString(adminPort)), null);
    assertTrue(gateway.process().isAlive(), gateway.logText());
  }

  @AfterEach
  void stop() throws Exception {
    gateway.close();
    GatewayProcess.processesUnder(work).forEach(ProcessHandle::destroyForcibly);
  }

  private String tenant(String id) {
    return "  - id: " + id + "\n    domains: [\"" + id + ".test\"]\n    docroot: \"" + docroot + "\"\n";
  }

  private int adminStatus(String token) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort
      + "/v1/tenants")).header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString())
      .statusCode();
  }

  /** Issue 11: SIGHUP applies a changed registry.poll_ms: hand edits are then found without a signal. */
  @Test
  void sighupChangesThePollInterval() throws Exception {
    assertTrue(Files.readString(config).contains("poll_ms: 60000"));
    Files.writeString(config, Files.readString(config).replace("poll_ms: 60000", "poll_ms: 200"));
    gateway.signal("HUP");
    gateway.waitFor(() -> gateway.logText().contains("reloaded:"), 10, "reload logged");
    Files.writeString(tenants, "tenants:\n" + tenant("first") + tenant("third"));
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
    while (RawHttp.get(port, "third.test", "/hello.txt").status() != 200) {
      assertTrue(System.nanoTime() < deadline, "the hand edit was found by the 200 ms poll, without a signal");
      Thread.sleep(50);
    }
  }

  @Test
  void sighupRereadsTenantsAndSettingsAndRefusesABrokenFile() throws Exception {
    assertEquals(404, RawHttp.get(port, "second.test", "/hello.txt").status());
    assertEquals(200, adminStatus("first-token"));
    Files.writeString(tenants, "tenants:\n" + tenant("first") + tenant("second"));
    Files.writeString(config, Files.readString(config).replace("first-token", "second-token"));
    gateway.signal("HUP");
    gateway.waitFor(() -> gateway.logText().contains("reloaded:"), 10, "reload logged");
    assertEquals(200, RawHttp.get(port, "second.test", "/hello.txt").status(), "new tenant routes (poll is 60 s)");
    assertEquals(401, adminStatus("first-token"));
    assertEquals(200, adminStatus("second-token"));

    Files.writeString(config, Files.readString(config).replace("port: 8080", "port: many"));
    gateway.signal("HUP");
    gateway.waitFor(() -> gateway.logText().contains("configuration not reloaded"), 10, "broken config refused");
    assertTrue(gateway.process().isAlive());
    assertEquals(200, RawHttp.get(port, "second.test", "/hello.txt").status());
    assertEquals(200, adminStatus("second-token"));
  }

  @Test
  void sigtermLetsRequestsInFlightFinishThenStopsThePools() throws Exception {
    CompletableFuture<RawHttp.Response> inFlight = CompletableFuture.supplyAsync(() -> {
      try {
        return RawHttp.get(port, "first.test", "/slow.php");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    gateway.waitFor(() -> !GatewayProcess.processesUnder(work.resolve("run")).isEmpty(), 20, "pool started");
    Thread.sleep(500);
    gateway.signal("TERM");
    RawHttp.Response response = inFlight.get(20, TimeUnit.SECONDS);
    assertEquals(200, response.status(), "the request in flight finished: " + response.text());
    long master = Long.parseLong(response.text().trim().split(" ")[1]);
    assertTrue(gateway.process().waitFor(30, TimeUnit.SECONDS), "the gateway exits");
    assertFalse(ProcessHandle.of(master).map(ProcessHandle::isAlive).orElse(false), "its pool is stopped");
    assertEquals(List.of(), GatewayProcess.processesUnder(work.resolve("run")), "no php-fpm left");
  }
}
