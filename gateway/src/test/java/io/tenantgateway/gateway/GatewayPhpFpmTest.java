package io.tenantgateway.gateway;

import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.testing.PhpFpm;
import io.tenantgateway.gateway.testing.RawHttp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway in front of a real php-fpm: request and response bytes end to end.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GatewayPhpFpmTest {

  private Path work;
  private Path docroot;
  private Path scratch;
  private PhpFpm php;
  private Gateway gateway;
  private int port;

  @BeforeAll
  void start() throws Exception {
    work = Files.createTempDirectory("gw-it");
    docroot = work.resolve("public");
    copyDocroot(docroot);
    Files.writeString(docroot.resolve(".env"), "SECRET=1\n");
    Files.createDirectories(docroot.resolve(".git"));
    Files.writeString(docroot.resolve(".git/config"), "[core]\n");
    Files.createSymbolicLink(docroot.resolve("escape.txt"), Path.of("/etc/hostname"));
    byte[] data = new byte[100_000];
    new Random(7).nextBytes(data);
    Files.write(docroot.resolve("data.bin"), data);
    scratch = work.resolve("scratch");
    Files.createDirectories(scratch);
    Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxrwxrwx"));
    php = PhpFpm.start(work.resolve("fpm"), docroot, PhpFpm.Options.defaults().withWorkers(4));
    Path tenants = work.resolve("tenants.yaml");
    Files.writeString(tenants, "tenants:\n"
      + tenant("site", "site.test\", \"*.site.test", "front-controller", "unix:" + php.socket(), 2)
      + tenant("scripts", "scripts.test", "scripts", "unix:" + php.socket(), 60)
      + tenant("down", "down.test", "front-controller", "unix:" + work.resolve("missing.sock"), 60)
      + tenant("capped", "capped.test", "front-controller", "unix:" + php.socket(), 60)
        .replace("max_body_mb: 8", "max_body_mb: 8, max_concurrent: 1"));
    GatewayConfig config = GatewayConfig.load(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_REGISTRY_FILE", tenants.toString(),
      "GATEWAY_FCGI_READ_TIMEOUT_MS", "5000",
      "GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf",
      "GATEWAY_RUN_DIR", work.resolve("run").toString()));
    gateway = Gateway.start(config).await(30, TimeUnit.SECONDS);
    port = gateway.httpPort();
  }

  @AfterAll
  void stop() throws Exception {
    if (gateway != null) {
      gateway.stop().await(10, TimeUnit.SECONDS);
    }
    if (php != null) {
      php.close();
    }
  }

  private String tenant(String id, String domains, String mode, String backend, int timeout) {
    return "  - id: " + id + "\n"
      + "    domains: [\"" + domains + "\"]\n"
      + "    docroot: \"" + docroot + "\"\n"
      + "    routing: { mode: " + mode + " }\n"
      + "    php: { max_children: 4, request_timeout_s: " + timeout + " }\n"
      + "    limits: { max_body_mb: 8 }\n"
      + "    backend: \"" + backend + "\"\n";
  }

  @Test
  void aTenantOverItsConcurrencyCapQueuesWhileOthersServe() throws Exception {
    java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(3);
    try {
      long start = System.nanoTime();
      java.util.List<java.util.concurrent.Future<RawHttp.Response>> capped = new java.util.ArrayList<>();
      for (int i = 0; i < 3; i++) {
        capped.add(clients.submit(() -> RawHttp.get(port, "capped.test", "/slow.php?s=1")));
      }
      assertEquals(200, RawHttp.get(port, "site.test", "/status.php").status(), "other tenants are not held up");
      for (java.util.concurrent.Future<RawHttp.Response> r : capped) {
        assertEquals(200, r.get(10, TimeUnit.SECONDS).status(), "over max_concurrent a request waits, as in a backlog");
      }
      assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(2900),
        "max_concurrent 1: the three ran one after the other, not beside each other");
      assertEquals(200, RawHttp.get(port, "capped.test", "/status.php").status(), "slots were given back");
    } finally {
      clients.shutdownNow();
    }
  }

  @Test
  void getRunsTheScript() throws IOException {
    RawHttp.Response r = RawHttp.get(port, "site.test", "/status.php");
    assertEquals(200, r.status());
    assertEquals("status page\n", r.text());
    assertEquals(2, r.headers("Set-Cookie").size(), "each Set-Cookie stays a header of its own");
  }

  @Test
  void hostIsCaseInsensitiveWithPortAndTrailingDot() throws IOException {
    assertEquals(200, RawHttp.get(port, "SITE.Test.:8080", "/status.php").status());
    assertEquals(200, RawHttp.get(port, "deep.sub.site.test", "/status.php").status());
  }

  @Test
  void unknownHostIs404() throws IOException {
    assertEquals(404, RawHttp.get(port, "other.test", "/status.php").status());
  }

  @Test
  void frontControllerServesUnknownPaths() throws IOException {
    RawHttp.Response r = RawHttp.get(port, "site.test", "/blog/post-1?page=2");
    assertEquals(200, r.status());
    assertEquals("front /index.php /blog/post-1?page=2\n", r.text());
  }

  @Test
  void scriptsModeSplitsPathInfo() throws IOException {
    JsonObject dump = dump(RawHttp.get(port, "scripts.test", "/dump.php/extra/path?x=1"));
    JsonObject server = dump.getJsonObject("server");
    assertEquals("/dump.php", server.getString("SCRIPT_NAME"));
    assertEquals("/extra/path", server.getString("PATH_INFO"));
    assertEquals("/dump.php", server.getString("DOCUMENT_URI"), "as nginx after try_files $fastcgi_script_name");
    assertEquals(docroot.resolve("dump.php").toString(), server.getString("SCRIPT_FILENAME"));
    assertEquals(404, RawHttp.get(port, "scripts.test", "/nothing-here").status());
  }

  @Test
  void cgiParamsMatchNginx() throws IOException {
    RawHttp.Response r;
    try (RawHttp http = new RawHttp(port)) {
      http.send("GET /dump.php?a=1&b=%C3%A9 HTTP/1.1\r\nHost: site.test\r\nCookie: c1=x\r\nCookie: c2=y\r\n"
        + "X-Multi: one\r\nX-Multi: two\r\nAuthorization: Basic dTpw\r\nProxy: http://evil\r\n"
        + "X_Under: no\r\nX.Dot: no\r\n\r\n");
      r = http.read(false);
    }
    JsonObject server = dump(r).getJsonObject("server");
    assertEquals("a=1&b=%C3%A9", server.getString("QUERY_STRING"));
    assertEquals("/dump.php?a=1&b=%C3%A9", server.getString("REQUEST_URI"));
    assertEquals("GET", server.getString("REQUEST_METHOD"));
    assertEquals("/dump.php", server.getString("SCRIPT_NAME"));
    assertEquals(docroot.toString(), server.getString("DOCUMENT_ROOT"));
    assertEquals("HTTP/1.1", server.getString("SERVER_PROTOCOL"));
    assertEquals("http", server.getString("REQUEST_SCHEME"));
    assertEquals("CGI/1.1", server.getString("GATEWAY_INTERFACE"));
    assertEquals("127.0.0.1", server.getString("REMOTE_ADDR"));
    assertEquals(String.valueOf(port), server.getString("SERVER_PORT"));
    assertEquals("site.test", server.getString("SERVER_NAME"));
    assertEquals("200", server.getString("REDIRECT_STATUS"));
    assertEquals("c1=x; c2=y", server.getString("HTTP_COOKIE"));
    assertEquals("one, two", server.getString("HTTP_X_MULTI"));
    assertEquals("Basic dTpw", server.getString("HTTP_AUTHORIZATION"));
    assertEquals("x", dump(r).getJsonObject("cookie").getString("c1"));
    assertNull(server.getString("HTTP_PROXY"), "httpoxy");
    assertNull(server.getString("HTTP_X_UNDER"));
    assertNull(server.getString("HTTP_X_DOT"));
    assertNull(server.getString("HTTPS"));
    assertEquals("é", dump(r).getJsonObject("get").getString("b"));
  }

  @ParameterizedTest
  @ValueSource(ints = {127, 128, 8000})
  void longHeaderValuesArriveWhole(int length) throws IOException {
    String value = "v".repeat(length);
    RawHttp.Response r;
    try (RawHttp http = new RawHttp(port)) {
      http.send("GET /dump.php HTTP/1.1\r\nHost: site.test\r\nX-Long: " + value + "\r\n\r\n");
      r = http.read(false);
    }
    assertEquals(value, dump(r).getJsonObject("server").getString("HTTP_X_LONG"));
  }

  @Test
  void headHasHeadersButNoBody() throws IOException {
    try (RawHttp http = new RawHttp(port)) {
      http.send("HEAD /status.php HTTP/1.1\r\nHost: site.test\r\n\r\n");
      RawHttp.Response r = http.read(true);
      assertEquals(200, r.status());
      assertEquals(2, r.headers("Set-Cookie").size());
      http.send("GET /status.php HTTP/1.1\r\nHost: site.test\r\n\r\n");
      RawHttp.Response next = http.read(false);
      assertEquals("status page\n", next.text(), "no body bytes of the HEAD leaked into the next response");
    }
  }

  @Test
  void postFormReachesPost() throws IOException {
    String form = "name=tenant&list%5B%5D=a&list%5B%5D=b";
    RawHttp.Response r;
    try (RawHttp http = new RawHttp(port)) {
      http.send("POST /dump.php HTTP/1.1\r\nHost: site.test\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + "Content-Length: " + form.length() + "\r\n\r\n" + form);
      r = http.read(false);
    }
    JsonObject dump = dump(r);
    assertEquals("tenant", dump.getJsonObject("post").getString("name"));
    assertEquals("b", dump.getJsonObject("post").getJsonArray("list").getString(1));
    assertEquals(String.valueOf(form.length()), dump.getJsonObject("server").getString("CONTENT_LENGTH"));
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 65535, 65536, 131072, 5 * 1024 * 1024})
  void uploadBodiesAreStreamedExactly(int size) throws Exception {
    byte[] body = new byte[size];
    new Random(size).nextBytes(body);
    RawHttp.Response r;
    try (RawHttp http = new RawHttp(port)) {
      http.send("POST /dump.php HTTP/1.1\r\nHost: site.test\r\nContent-Type: application/octet-stream\r\n"
        + "Content-Length: " + size + "\r\n\r\n");
      http.send(body);
      r = http.read(false);
    }
    JsonObject dump = dump(r);
    assertEquals(size, dump.getInteger("input_length"));
    assertEquals(md5(body), dump.getString("input_md5"));
  }

  @Test
  void multipartFileUpload() throws Exception {
    byte[] file = new byte[300_000];
    new Random(3).nextBytes(file);
    String boundary = "----tg" + System.nanoTime();
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n--" + boundary
      + "\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"x.bin\"\r\n"
      + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
    body.write(file);
    body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1));
    RawHttp.Response r;
    try (RawHttp http = new RawHttp(port)) {
      http.send("POST /dump.php HTTP/1.1\r\nHost: site.test\r\nContent-Type: multipart/form-data; boundary="
        + boundary + "\r\nContent-Length: " + body.size() + "\r\n\r\n");
      http.send(body.toByteArray());
      r = http.read(false);
    }
    JsonObject dump = dump(r);
    assertEquals("hello", dump.getJsonObject("post").getString("title"));
    assertEquals(md5(file), dump.getJsonObject("files").getJsonObject("upload").getString("md5"));
  }

  @Test
  void chunkedUploadIsBufferedWithItsLength() throws Exception {
    byte[] part = "0123456789".repeat(1000).getBytes(StandardCharsets.ISO_8859_1);
    RawHttp.Response r;
    try (RawHttp http = new RawHttp(port)) {
      http.send("POST /dump.php HTTP/1.1\r\nHost: site.test\r\nTransfer-Encoding: chunked\r\n\r\n");
      for (int i = 0; i < 3; i++) {
        http.send(Integer.toHexString(part.length) + "\r\n");
        http.send(part);
        http.send("\r\n");
      }
      http.send("0\r\n\r\n");
      r = http.read(false);
    }
    JsonObject dump = dump(r);
    assertEquals(3 * part.length, dump.getInteger("input_length"));
    assertEquals(String.valueOf(3 * part.length), dump.getJsonObject("server").getString("CONTENT_LENGTH"));
  }

  @Test
  void bodyOverTheTenantLimitIs413() throws IOException {
    try (RawHttp http = new RawHttp(port)) {
      http.send("POST /dump.php HTTP/1.1\r\nHost: site.test\r\nContent-Length: " + (9 * 1024 * 1024) + "\r\n\r\n");
      assertEquals(413, http.read(false).status());
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 65535, 65536, 131072})
  void downloadSizesAreExact(int size) throws Exception {
    RawHttp.Response r = RawHttp.get(port, "site.test", "/big.php?n=" + size);
    assertEquals(200, r.status());
    assertEquals(size, r.body().length);
    assertTrue(r.complete());
    assertEquals(md5(pattern(size)), md5(r.body()));
  }

  @Test
  void largeDownloadIsStreamedWithBackPressure() throws Exception {
    int size = 20 * 1024 * 1024;
    Path progress = scratch.resolve("progress");
    try (RawHttp http = new RawHttp(port, 32 * 1024)) {
      http.send("GET /big.php?n=" + size + "&progress=" + progress + " HTTP/1.1\r\nHost: scripts.test\r\n\r\n");
      RawHttp.Response head = http.readHead();
      assertEquals(200, head.status());
      long stalledAt = waitUntilStalled(progress);
      assertTrue(stalledAt < 12L * 1024 * 1024,
        "php got " + stalledAt + " of " + size + " bytes out while the client read nothing: the gateway buffered");
      RawHttp.Response r = http.readBody(head);
      assertTrue(r.complete());
      assertEquals(size, r.body().length);
      assertEquals(md5(pattern(size)), md5(r.body()));
    }
  }

  /**
   * Every worker streams 20 MiB to a client that reads nothing: what the gateway holds meanwhile
   * (heap after GC plus direct buffers, Netty's own count included) stays below half of what PHP
   * would have written into a buffering gateway (measured here: 14 MiB for 4 x 20 MiB),
   * and each download then completes intact.
   */
  @Test
  void stalledDownloadsOnEveryWorkerKeepTheGatewaysMemoryBounded() throws Exception {
    int size = 20 * 1024 * 1024;
    int clients = 4;
    long before = jvmMemory();
    List<RawHttp> https = new ArrayList<>();
    List<RawHttp.Response> heads = new ArrayList<>();
    try {
      long written = 0;
      for (int i = 0; i < clients; i++) {
        Path progress = scratch.resolve("progress-heap-" + i);
        RawHttp http = new RawHttp(port, 32 * 1024);
        https.add(http);
        http.send("GET /big.php?n=" + size + "&progress=" + progress + " HTTP/1.1\r\nHost: scripts.test\r\n\r\n");
        heads.add(http.readHead());
        written += waitUntilStalled(progress);
      }
      long held = jvmMemory() - before;
      assertTrue(written > clients * 512L * 1024, "PHP wrote " + written + " bytes before stalling");
      assertTrue(held < 40L * 1024 * 1024, "the gateway holds " + held / 1024 + " KiB more while " + clients
        + " downloads stall (PHP wrote " + written / 1024 + " KiB of " + clients * (size / 1024) + ")");
      for (int i = 0; i < clients; i++) {
        RawHttp.Response r = https.get(i).readBody(heads.get(i));
        assertTrue(r.complete());
        assertEquals(size, r.body().length);
      }
    } finally {
      for (RawHttp http : https) {
        http.close();
      }
    }
  }

  private static long jvmMemory() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    long heap = java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    long direct = java.lang.management.ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class)
      .stream().filter(b -> b.getName().equals("direct")).mapToLong(java.lang.management.BufferPoolMXBean::getMemoryUsed)
      .sum();
    return heap + direct + Math.max(0, io.netty.util.internal.PlatformDependent.usedDirectMemory());
  }

  @Test
  void phpStatusCodesAndLocation() throws IOException {
    assertEquals(418, RawHttp.get(port, "site.test", "/status.php?code=418").status());
    RawHttp.Response created = RawHttp.get(port, "site.test", "/status.php?status=201%20Created");
    assertEquals(201, created.status());
    assertEquals("Created", created.reason());
    RawHttp.Response moved = RawHttp.get(port, "site.test", "/status.php?location=/elsewhere");
    assertEquals(302, moved.status());
    assertEquals("/elsewhere", moved.header("Location"));
  }

  @Test
  void stderrNeverReachesTheBody() throws IOException {
    RawHttp.Response r = RawHttp.get(port, "site.test", "/stderr.php");
    assertEquals(200, r.status());
    assertEquals("body only\n", r.text());
  }

  @Test
  void staticFilesWithTypesRangesAndConditionals() throws Exception {
    RawHttp.Response css = RawHttp.get(port, "site.test", "/style.css");
    assertEquals(200, css.status());
    assertTrue(css.header("Content-Type").startsWith("text/css"));
    assertNotNull(css.header("Last-Modified"));
    byte[] data = Files.readAllBytes(docroot.resolve("data.bin"));
    try (RawHttp http = new RawHttp(port)) {
      http.send("GET /data.bin HTTP/1.1\r\nHost: site.test\r\nRange: bytes=10-19\r\n\r\n");
      RawHttp.Response range = http.read(false);
      assertEquals(206, range.status());
      assertArrayEquals(java.util.Arrays.copyOfRange(data, 10, 20), range.body());
      http.send("GET /style.css HTTP/1.1\r\nHost: site.test\r\nIf-Modified-Since: " + css.header("Last-Modified")
        + "\r\n\r\n");
      assertEquals(304, http.read(false).status());
      http.send("HEAD /data.bin HTTP/1.1\r\nHost: site.test\r\n\r\n");
      RawHttp.Response head = http.read(true);
      assertEquals(200, head.status());
      assertEquals(String.valueOf(data.length), head.header("Content-Length"));
      http.send("POST /style.css HTTP/1.1\r\nHost: site.test\r\nContent-Length: 0\r\n\r\n");
      assertEquals(405, http.read(false).status());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"/.env", "/.git/config", "/escape.txt", "/source.PHP", "/legacy.phtml", "/missing.php",
    "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc/passwd"})
  void forbiddenPathsAreNeverServed(String target) throws IOException {
    RawHttp.Response r = RawHttp.get(port, "site.test", target);
    assertTrue(r.status() == 404 || r.status() == 400, target + " -> " + r.status());
    assertFalse(r.text().contains("SECRET") || r.text().contains("source") || r.text().contains("[core]"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"/a%0a.php", "/a%0d.php", "/a%00.php", "/a%5cb.php"})
  void controlCharactersInThePathAre400(String target) throws IOException {
    assertEquals(400, RawHttp.get(port, "site.test", target).status());
  }

  @Test
  void directoriesRedirectAndIndex() throws IOException {
    RawHttp.Response redirect = RawHttp.get(port, "site.test", "/sub?x=1");
    assertEquals(301, redirect.status());
    assertEquals("/sub/?x=1", redirect.header("Location"));
    assertEquals("sub index\n", RawHttp.get(port, "site.test", "/sub/").text());
    assertEquals(403, RawHttp.get(port, "site.test", "/dir/").status());
    assertEquals(".well-known ok", RawHttp.get(port, "site.test", "/.well-known/acme.txt").status() == 200
      ? ".well-known ok" : "blocked");
  }

  @Test
  void malformedRequestsAre400AndClosed() throws IOException {
    String[] heads = {
      "GET /status.php HTTP/1.1\r\nHost: site.test\r\nHost: other.test\r\n\r\n",
      "GET /status.php HTTP/1.1\r\n\r\n",
      "POST /dump.php HTTP/1.1\r\nHost: site.test\r\nTransfer-Encoding: xchunked\r\n\r\n",
      "GET http://other.test/status.php HTTP/1.1\r\nHost: site.test\r\n\r\n",
    };
    for (String head : heads) {
      try (RawHttp http = new RawHttp(port)) {
        http.send(head);
        RawHttp.Response r = http.read(false);
        assertEquals(400, r.status(), head);
        assertTrue(http.closedByServer(), "connection closed after " + head);
      }
    }
  }

  @Test
  void slowScriptPastTheTimeoutIs504() throws IOException {
    RawHttp.Response r = RawHttp.get(port, "site.test", "/slow.php?s=4");
    assertEquals(504, r.status());
  }

  @Test
  void unreachableBackendIs502() throws IOException {
    assertEquals(502, RawHttp.get(port, "down.test", "/status.php").status());
  }

  @Test
  void backendKilledMidResponseTruncatesWithoutHanging() throws Exception {
    Path marker = scratch.resolve("partial-" + System.nanoTime());
    try (RawHttp http = new RawHttp(port)) {
      http.send("GET /partial.php?marker=" + marker + " HTTP/1.1\r\nHost: scripts.test\r\n\r\n");
      RawHttp.Response head = http.readHead();
      assertEquals(200, head.status());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!Files.exists(marker) || Files.size(marker) == 0) {
        assertTrue(System.nanoTime() < deadline, "script never started");
        Thread.sleep(10);
      }
      long pid = Long.parseLong(Files.readString(marker).trim());
      assertTrue(pid > 1, "a worker to kill: " + pid);
      new ProcessBuilder("kill", "-9", Long.toString(pid)).inheritIO().start().waitFor();
      RawHttp.Response r = http.readBody(head);
      assertFalse(r.complete(), "a cut response must not look complete");
      assertEquals(4096, r.body().length);
    }
    assertEquals(200, RawHttp.get(port, "site.test", "/status.php").status(), "the pool serves again");
  }

  @Test
  void concurrentRequestsBeyondTheWorkersQueueInTheGateway() throws Exception {
    int clients = 24;
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(clients);
    try {
      java.util.List<java.util.concurrent.Future<Integer>> results = new java.util.ArrayList<>();
      for (int i = 0; i < clients; i++) {
        results.add(pool.submit(() -> RawHttp.get(port, "site.test", "/big.php?n=200000").status()));
      }
      for (java.util.concurrent.Future<Integer> f : results) {
        assertEquals(200, f.get(30, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private long waitUntilStalled(Path progress) throws Exception {
    long last = -1;
    long stableSince = System.nanoTime();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      long now = Files.exists(progress) ? Long.parseLong("0" + Files.readString(progress).trim()) : 0;
      if (now != last) {
        last = now;
        stableSince = System.nanoTime();
      } else if (now > 0 && System.nanoTime() - stableSince > TimeUnit.MILLISECONDS.toNanos(700)) {
        return now;
      }
      Thread.sleep(20);
    }
    return last;
  }

  private static byte[] pattern(int size) {
    byte[] unit = "0123456789abcdef".getBytes(StandardCharsets.ISO_8859_1);
    byte[] out = new byte[size];
    for (int i = 0; i < size; i++) {
      out[i] = unit[i % 16];
    }
    return out;
  }

  private static JsonObject dump(RawHttp.Response r) {
    assertEquals(200, r.status(), r.text());
    return new JsonObject(r.text());
  }

  private static String md5(byte[] data) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
  }

  private void copyDocroot(Path target) throws IOException, URISyntaxException {
    Path source = Path.of(GatewayPhpFpmTest.class.getResource("/docroot").toURI());
    try (Stream<Path> files = Files.walk(source)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path dest = target.resolve(source.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(dest);
        } else {
          try (InputStream in = Files.newInputStream(p)) {
            Files.copy(in, dest);
          }
        }
      }
    }
  }
}
