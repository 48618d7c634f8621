package io.tenantgateway.gateway;

import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.testing.RawHttp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an operator sees of each request: the access log line (JSON and combined), the request id
 * kept from nginx or made up and passed to PHP and back to the client, and the per-tenant metrics.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ObservabilityGatewayTest {

  private Path work;
  private Path accessLog;
  private Gateway gateway;

  @BeforeEach
  void setUp() throws Exception {
    work = Files.createTempDirectory("gw-observe");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path docroot = Files.createDirectories(work.resolve("public"));
    Files.setPosixFilePermissions(docroot, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(docroot.resolve("id.php"), "<?php echo $_SERVER['HTTP_X_REQUEST_ID'] ?? 'none';\n");
    Files.writeString(docroot.resolve("date.php"), "<?php header('Date: Mon, 01 Jan 2001 00:00:00 GMT'); echo 'x';\n");
    Files.writeString(docroot.resolve("style.css"), "body { color: red }\n");
    Files.writeString(docroot.resolve("warn.php"), "<?php error_log('marker-' . $_GET['m']); echo 'ok';\n");
    for (String file : List.of("id.php", "date.php", "style.css", "warn.php")) {
      Files.setPosixFilePermissions(docroot.resolve(file), PosixFilePermissions.fromString("rw-r--r--"));
    }
    Files.writeString(work.resolve("tenants.yaml"), "tenants:\n  - id: obs\n    domains: [\"obs.test\"]\n"
      + "    docroot: \"" + docroot + "\"\n    php: { max_children: 2 }\n");
    accessLog = work.resolve("access.log");
  }

  @AfterEach
  void tearDown() throws Exception {
    if (gateway != null) {
      gateway.stop().await(30, TimeUnit.SECONDS);
    }
  }

  private Gateway start(String format) throws Exception {
    return start(format, "");
  }

  private Gateway start(String format, String trustedProxies) throws Exception {
    return Gateway.start(GatewayConfig.load(Map.of(
      "GATEWAY_TRUSTED_PROXIES", trustedProxies,
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_ACCESS_LOG_FORMAT", format,
      "GATEWAY_ACCESS_LOG_FILE", accessLog.toString(),
      "GATEWAY_REGISTRY_FILE", work.resolve("tenants.yaml").toString(),
      "GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf",
      "GATEWAY_RUN_DIR", work.resolve("run").toString()))).await(30, TimeUnit.SECONDS);
  }

  private List<String> lines(int atLeast) throws Exception {
    waitFor(() -> {
      try {
        return Files.exists(accessLog) && Files.readAllLines(accessLog).size() >= atLeast;
      } catch (java.io.IOException e) {
        return false;
      }
    });
    return Files.readAllLines(accessLog);
  }

  @Test
  void jsonLinesCarryTenantTimesAndTheRequestIdThatPhpAndTheClientSee() throws Exception {
    gateway = start("json");
    int port = gateway.httpPort();
    RawHttp.Response cold;
    try (RawHttp http = new RawHttp(port)) {
      http.send("GET /id.php?q=1 HTTP/1.1\r\nHost: obs.test\r\nX-Request-Id: nginx-abc.123\r\n"
        + "User-Agent: probe/1\r\n\r\n");
      cold = http.read(false);
    }
    assertEquals(200, cold.status());
    assertEquals("nginx-abc.123", cold.text(), "an id from nginx reaches PHP");
    assertEquals("nginx-abc.123", cold.header("X-Request-Id"), "and the client");

    RawHttp.Response warm = RawHttp.get(port, "obs.test", "/id.php");
    String made = warm.header("X-Request-Id");
    assertTrue(made.matches("[0-9a-f]{32}"), made);
    assertEquals(made, warm.text(), "a made-up id is the same for PHP and the client");
    try (RawHttp http = new RawHttp(port)) {
      http.send("GET / HTTP/1.1\r\nHost: nobody.test\r\nX-Request-Id: bad id with spaces\r\n\r\n");
      RawHttp.Response unknown = http.read(false);
      assertEquals(404, unknown.status());
      assertTrue(unknown.header("X-Request-Id").matches("[0-9a-f]{32}"), "an unsafe id is replaced");
    }

    List<String> lines = lines(3);
    JsonObject first = new JsonObject(lines.get(0));
    assertEquals("obs", first.getString("tenant"));
    assertEquals("obs.test", first.getString("host"));
    assertEquals("GET", first.getString("method"));
    assertEquals("/id.php?q=1", first.getString("uri"));
    assertEquals(200, first.getInteger("status"));
    assertEquals("nginx-abc.123", first.getString("request_id"));
    assertEquals("probe/1", first.getString("user_agent"));
    assertEquals("127.0.0.1", first.getString("remote_addr"));
    assertEquals("nginx-abc.123".length(), first.getLong("bytes_sent"), "body bytes, as nginx's $body_bytes_sent");
    assertTrue(first.getDouble("activation_ms") > 0, "the first request waited for the pool to start: " + first);
    assertTrue(first.getDouble("upstream_ms") > 0);
    assertTrue(first.getDouble("duration_ms") >= first.getDouble("activation_ms") + first.getDouble("upstream_ms"));
    JsonObject second = new JsonObject(lines.get(1));
    assertNull(second.getValue("activation_ms"), "the pool was running: no wait");
    assertEquals(made, second.getString("request_id"));
    JsonObject third = new JsonObject(lines.get(2));
    assertNull(third.getValue("tenant"));
    assertEquals(404, third.getInteger("status"));
    assertNull(third.getValue("upstream_ms"));

    String scrape = gateway.metrics().registry().scrape();
    assertTrue(scrape.contains("gateway_requests_total{status=\"2xx\",tenant=\"obs\"} 2.0"), scrape);
    assertTrue(scrape.contains("gateway_request_duration_seconds_bucket{tenant=\"obs\",le=\"30.0\"} 2"), scrape);
    assertTrue(scrape.contains("gateway_activation_wait_seconds_count{tenant=\"obs\"} 1"), scrape);
    assertTrue(scrape.contains("gateway_requests_in_flight{tenant=\"obs\"} 0.0"), scrape);
    assertTrue(scrape.contains("gateway_bytes_sent_bytes_total{tenant=\"obs\"}"), scrape);
    assertTrue(scrape.contains("gateway_event_loop_lag_seconds{loop=\"0\"}"), scrape);
    assertTrue(scrape.contains("jvm_memory_used_bytes"), "JVM figures from Vert.x's Micrometer integration");
    assertTrue(!scrape.contains("nobody.test"), "no raw host in any label");
  }

  @Test
  void everyResponseCarriesTheGatewaysOwnDateAndStaticFilesNoImmutableCaching() throws Exception {
    gateway = start("off");
    int port = gateway.httpPort();
    for (String[] target : new String[][] {{"obs.test", "/date.php"}, {"obs.test", "/style.css"},
      {"obs.test", "/missing.txt"}, {"nobody.test", "/"}}) {
      RawHttp.Response response = RawHttp.get(port, target[0], target[1]);
      String date = response.header("Date");
      assertNotNull(date, target[1] + " has a Date");
      long at = java.time.ZonedDateTime.parse(date, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME)
        .toEpochSecond();
      assertTrue(Math.abs(at - System.currentTimeMillis() / 1000) <= 5, target[1] + ": " + date);
      assertTrue(date.matches("\\w{3}, \\d{2} \\w{3} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT"), "IMF-fixdate: " + date);
    }
    RawHttp.Response css = RawHttp.get(port, "obs.test", "/style.css");
    assertEquals(200, css.status());
    assertNull(css.header("Cache-Control"), "no 'immutable' for files that can change, as nginx");
    assertNotNull(css.header("Last-Modified"));
  }

  @Test
  void poolStartsCrashesAndRestartsAreCountedAndStatesPublished() throws Exception {
    gateway = start("off");
    int port = gateway.httpPort();
    assertEquals(200, RawHttp.get(port, "obs.test", "/id.php").status());
    long master = gateway.pools().status("obs").pid();
    waitFor(() -> gateway.metrics().registry().scrape()
      .contains("gateway_pool_state{state=\"RUNNING\",tenant=\"obs\"} 1.0"));
    String scrape = gateway.metrics().registry().scrape();
    assertTrue(scrape.contains("gateway_pool_activations_total{tenant=\"obs\"} 1.0"), scrape);
    assertTrue(scrape.contains("gateway_pool_cold_start_seconds_count{tenant=\"obs\"} 1"), scrape);
    assertTrue(scrape.contains("gateway_pool_cold_start_seconds_bucket{tenant=\"obs\",le=\"10.0\"} 1"), scrape);

    assertTrue(master > 1, "a master to kill: " + master);
    new ProcessBuilder("kill", "-9", Long.toString(master)).start().waitFor();
    waitFor(() -> gateway.metrics().registry().scrape().contains("gateway_pool_crashes_total{tenant=\"obs\"} 1.0"));
    waitFor(() -> {
      try {
        return RawHttp.get(port, "obs.test", "/id.php").status() == 200;
      } catch (java.io.IOException e) {
        return false;
      }
    });
    scrape = gateway.metrics().registry().scrape();
    assertTrue(scrape.contains("gateway_pool_restarts_total{tenant=\"obs\"} 1.0"), scrape);
    assertTrue(scrape.contains("gateway_pool_activations_total{tenant=\"obs\"} 2.0"), scrape);
  }

  @Test
  void phpAndPhpFpmLogsReachTheGatewayLogTaggedWithTheTenant() throws Exception {
    ch.qos.logback.classic.Logger fpm = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("tenant.fpm");
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> captured =
      new ch.qos.logback.core.read.ListAppender<>();
    captured.start();
    fpm.addAppender(captured);
    try {
      gateway = start("off");
      assertEquals(200, RawHttp.get(gateway.httpPort(), "obs.test", "/warn.php?m=42").status());
      long master = gateway.pools().status("obs").pid();
      new ProcessBuilder("pkill", "-KILL", "-P", Long.toString(master)).start().waitFor();
      waitFor(() -> logged(captured).stream().map(e -> e.getFormattedMessage()).anyMatch(
        m -> m.startsWith("tenant=obs ") && m.contains("marker-42")));
      waitFor(() -> logged(captured).stream().anyMatch(e -> e.getFormattedMessage().startsWith("tenant=obs ")
        && e.getFormattedMessage().contains("exited on signal 9")
        && e.getLevel() == ch.qos.logback.classic.Level.WARN));
    } finally {
      fpm.detachAppender(captured);
    }
  }

  /** A copy taken under the appender's lock: the log forwarder appends from a worker thread. */
  private static List<ch.qos.logback.classic.spi.ILoggingEvent> logged(
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender) {
    synchronized (appender) {
      return List.copyOf(appender.list);
    }
  }

  @Test
  void combinedFormatIsNginxsFollowedByTheGatewaysFields() throws Exception {
    gateway = start("combined", "127.0.0.1");
    try (RawHttp http = new RawHttp(gateway.httpPort())) {
      http.send("GET /id.php?a=%22b HTTP/1.1\r\nHost: obs.test\r\nReferer: http://r.test/\r\n"
        + "User-Agent: say \"hi\"\r\nX-Request-Id: rid-1\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n");
      assertEquals(200, http.read(false).status());
    }
    String line = lines(1).get(0);
    assertTrue(line.matches("203\\.0\\.113\\.9 - - \\[\\d{2}/\\w{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2} [+-]\\d{4}] "
      + "\"GET /id\\.php\\?a=%22b HTTP/1\\.1\" 200 \\d+ \"http://r\\.test/\" \"say \\\\x22hi\\\\x22\" "
      + "tenant=obs rid=rid-1 rt=\\d+\\.\\d{3} awt=\\d+\\.\\d{3} urt=\\d+\\.\\d{3}"), line);
  }

  private static void waitFor(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 10_000;
    while (!condition.getAsBoolean()) {
      assertTrue(System.currentTimeMillis() < deadline, "not within 10 s");
      Thread.sleep(20);
    }
  }
}
