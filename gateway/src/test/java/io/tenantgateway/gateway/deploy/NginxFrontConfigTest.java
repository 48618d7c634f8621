package io.tenantgateway.gateway.deploy;

import io.tenantgateway.gateway.Gateway;
import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.deploy.DeployFiles.Directive;
import io.tenantgateway.gateway.testing.PhpFpm;
import io.tenantgateway.gateway.testing.RawHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The nginx front configurations: the real nginx accepts each file as shipped, the directives that
 * matter are there and agree with the gateway's own limits, and nginx with {@code conf/nginx-front.conf}
 * behaves as its comments say, in front of a scripted upstream and in front of a real gateway.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NginxFrontConfigTest {

  private static final String SINGLE = "conf/nginx-front.conf";
  private static final String MULTI = "conf/nginx-front-multi.conf";
  private static final String COMPOSE = "deploy/nginx/tenant-gateway.conf";
  private static final String COMPOSE_HEALTH = "deploy/nginx/healthz.conf";
  private static final String LOCATION = "location /";
  private static final List<String> X_ACCEL = List.of("X-Accel-Redirect", "X-Accel-Expires", "X-Accel-Limit-Rate",
    "X-Accel-Buffering", "X-Accel-Charset");

  @TempDir
  static Path work;
  private GatewayConfig defaults;
  private StubUpstream stub;
  private Nginx stubNginx;
  private int stubNginxPort;

  @BeforeAll
  void start() throws Exception {
    Nginx.requireInstalled();
    defaults = GatewayConfig.load(Map.of("GATEWAY_CONFIG", DeployFiles.repo().resolve("conf/gateway.yaml").toString()));
    stub = new StubUpstream();
    stubNginxPort = Nginx.freePort();
    stubNginx = startFront(work.resolve("nginx-stub"), stubNginxPort, stub.port());
  }

  @AfterAll
  void stop() throws Exception {
    if (stubNginx != null) {
      stubNginx.close();
    }
    if (stub != null) {
      stub.close();
    }
  }

  /** nginx with conf/nginx-front.conf, listening on 127.0.0.1:port, its upstream at 127.0.0.1:upstreamPort. */
  private static Nginx startFront(Path dir, int port, int upstreamPort) throws Exception {
    Files.createDirectories(dir);
    Path front = dir.resolve("front.conf");
    Files.writeString(front, Nginx.rewrite(DeployFiles.read(SINGLE), List.of(
      "listen 80 default_server;", "listen 127.0.0.1:" + port + " default_server;",
      "server 127.0.0.1:8080;", "server 127.0.0.1:" + upstreamPort + ";")));
    Nginx.mainConfig(dir, front);
    return Nginx.start(dir, port);
  }

  // ---- the files as shipped

  @ParameterizedTest
  @ValueSource(strings = {SINGLE, MULTI, COMPOSE_HEALTH})
  void nginxAcceptsTheFileAsShipped(String file) throws Exception {
    Path dir = work.resolve("t-" + file.replace('/', '-'));
    Path include = DeployFiles.repo().resolve(file);
    if (new com.sun.security.auth.module.UnixSystem().getUid() != 0 && DeployFiles.read(file).contains("listen 80 ")) {
      // nginx -t binds the listen addresses: without root, port 80 is refused, so only the port moves
      include = Files.createDirectories(dir).resolve("as-shipped-but-port.conf");
      Files.writeString(include, Nginx.rewrite(DeployFiles.read(file),
        List.of("listen 80 default_server;", "listen 127.0.0.1:" + Nginx.freePort() + " default_server;")));
    }
    Nginx.mainConfig(dir, include);
    Nginx.test(dir);
  }

  @Test
  void nginxAcceptsTheComposeCopyWithTheServiceNameResolvable() throws Exception {
    // "gateway" resolves on the compose network only; nginx -t resolves upstream names
    Path dir = work.resolve("t-compose");
    Files.createDirectories(dir);
    Path copy = dir.resolve("tenant-gateway.conf");
    Files.writeString(copy, Nginx.rewrite(DeployFiles.read(COMPOSE), List.of("server gateway:8080;", "server 127.0.0.1:8080;")));
    Nginx.mainConfig(dir, copy);
    Nginx.test(dir);
  }

  @ParameterizedTest
  @ValueSource(strings = {SINGLE, MULTI, COMPOSE})
  void theProxyDirectivesAreThere(String file) {
    List<Directive> all = DeployFiles.nginxDirectives(DeployFiles.read(file));
    String upstream = one(all, "", "upstream").value();
    Map<String, String> location = directives(all, "server/" + LOCATION);
    assertEquals("http://" + upstream, location.get("proxy_pass"));
    assertEquals("1.1", location.get("proxy_http_version"));
    Map<String, String> headers = all.stream()
      .filter(d -> d.block().equals("server/" + LOCATION) && d.name().equals("proxy_set_header"))
      .collect(Collectors.toMap(d -> d.args().get(0), d -> d.args().size() > 1 ? d.args().get(1) : ""));
    assertEquals(Map.of("Connection", "", "Host", "$host", "X-Forwarded-For", "$proxy_add_x_forwarded_for",
      "X-Forwarded-Proto", "$scheme", "X-Request-Id", "$request_id"), headers);
    assertEquals("off", location.get("proxy_request_buffering"), "uploads stream");
    assertEquals("off", location.get("proxy_buffering"), "responses stream");
    assertEquals("off", location.get("proxy_redirect"));
    assertEquals(X_ACCEL, List.of(location.get("proxy_ignore_headers").split(" ")));
    assertFalse(location.get("proxy_next_upstream").contains("timeout"), "a slow PHP request is never sent twice");

    long longestGatewayWait = defaults.number("fastcgi.read_timeout_ms") / 1000;
    for (String timeout : List.of("proxy_read_timeout", "proxy_send_timeout")) {
      long seconds = DeployFiles.seconds(location.get(timeout));
      assertTrue(seconds >= 300 && seconds >= longestGatewayWait, timeout + " " + seconds + "s");
    }
    assertTrue(DeployFiles.nginxSize(location.get("proxy_buffer_size"))
      >= defaults.number("fastcgi.max_response_header_size"), "a script's largest header block fits");

    Map<String, String> server = directives(all, "server");
    assertEquals("80 default_server", server.get("listen"));
    long maxBody = DeployFiles.nginxSize(server.get("client_max_body_size"));
    assertTrue(maxBody == 0 || maxBody >= 1L << 30, "nginx leaves body limits to the gateway's tenants: " + maxBody);
    String[] headerBuffers = server.get("large_client_header_buffers").split(" ");
    assertTrue(DeployFiles.nginxSize(headerBuffers[1]) >= defaults.number("http.max_header_size"),
      "headers the gateway accepts get through nginx");

    Map<String, String> pool = directives(all, "upstream " + upstream);
    assertTrue(Integer.parseInt(pool.get("keepalive")) > 0);
    assertTrue(DeployFiles.seconds(pool.get("keepalive_timeout")) < defaults.number("http.idle_timeout_s"),
      "nginx closes an idle upstream connection before the gateway does");
  }

  @Test
  void theSingleVariantProxiesToTheLocalGatewayAndShowsTls() {
    List<Directive> all = DeployFiles.nginxDirectives(DeployFiles.read(SINGLE));
    assertEquals(List.of("127.0.0.1:8080"), servers(all, "upstream tenant_gateway"));
    assertTrue(DeployFiles.read(SINGLE).lines().anyMatch(l -> l.matches("#\\s+listen 443 ssl.*")),
      "a commented TLS example");
  }

  @Test
  void theMultiVariantHashesTheHostConsistently() {
    List<Directive> all = DeployFiles.nginxDirectives(DeployFiles.read(MULTI));
    String upstream = "upstream " + one(all, "", "upstream").value();
    assertEquals("$host consistent", directives(all, upstream).get("hash"));
    List<String> nodes = servers(all, upstream);
    assertTrue(nodes.size() >= 2 && nodes.stream().distinct().count() == nodes.size(), nodes.toString());
  }

  @Test
  void theComposeCopyIsTheShippedFileWithTheServiceAsUpstream() {
    List<Directive> shipped = DeployFiles.nginxDirectives(DeployFiles.read(SINGLE)).stream()
      .map(d -> d.name().equals("server") && d.args().equals(List.of("127.0.0.1:8080"))
        ? new Directive(d.block(), "server", List.of("gateway:8080")) : d)
      .collect(Collectors.toList());
    assertEquals(shipped, DeployFiles.nginxDirectives(DeployFiles.read(COMPOSE)),
      COMPOSE + " must stay " + SINGLE + " with only the upstream server changed");
  }

  // ---- nginx with conf/nginx-front.conf in front of a scripted upstream

  @Test
  void hostAndForwardedHeadersReachTheUpstreamOnAKeptAliveConnection() throws Exception {
    String request = "GET /one HTTP/1.1\r\nHost: Shop.Example.TEST:80\r\nX-Forwarded-For: 203.0.113.9\r\n"
      + "X-Request-Id: chosen-by-client\r\nConnection: close\r\n\r\n";
    assertEquals("ok\n", send(stubNginxPort, request).text());
    assertEquals("ok\n", send(stubNginxPort, request.replace("/one", "/two")).text());
    StubUpstream.Request one = last("/one");
    StubUpstream.Request two = last("/two");
    assertEquals("GET /one HTTP/1.1", one.line());
    assertEquals("shop.example.test", one.headers().get("host"), "$host: lower case, no port");
    assertEquals("203.0.113.9, 127.0.0.1", one.headers().get("x-forwarded-for"));
    assertEquals("http", one.headers().get("x-forwarded-proto"));
    assertTrue(one.headers().get("x-request-id").matches("[0-9a-f]{32}"), one.headers().toString());
    assertFalse(one.headers().get("x-request-id").equals(two.headers().get("x-request-id")));
    assertNull(one.headers().get("connection"), "no Connection: close towards the gateway");
    assertEquals(one.connection(), two.connection(), "the second request reused the kept-alive upstream connection");
  }

  @Test
  void xAccelRedirectFromUpstreamIsNotActedOn() throws Exception {
    RawHttp.Response r = send(stubNginxPort, "GET /accel HTTP/1.1\r\nHost: shop.example.test\r\nConnection: close\r\n\r\n");
    assertEquals(200, r.status());
    assertEquals("from upstream\n", r.text(), "the upstream's own body, not an internal redirect");
    assertTrue(stub.requests().stream().noneMatch(q -> q.line().startsWith("GET /secret ")),
      "nginx never fetched the X-Accel-Redirect target");
    assertNull(r.header("X-Accel-Redirect"), "and the client does not see the header");
  }

  @Test
  void responsesStreamToTheClient() throws Exception {
    try (RawHttp http = new RawHttp(stubNginxPort)) {
      http.send("GET /stream HTTP/1.1\r\nHost: shop.example.test\r\nConnection: close\r\n\r\n");
      InputStream in = http.input();
      // the upstream holds the rest of the response until the client has the first chunk
      String first = CompletableFuture.supplyAsync(() -> readUntil(in, "part1\n")).get(10, TimeUnit.SECONDS);
      assertTrue(first.startsWith("HTTP/1.1 200"), first);
      stub.releaseStream();
      String rest = CompletableFuture.supplyAsync(() -> readUntil(in, "\r\n0\r\n\r\n")).get(10, TimeUnit.SECONDS);
      assertTrue(rest.contains("part2\n"), rest);
    }
  }

  @Test
  void aSlowClientHoldsTheUpstreamBackInsteadOfNginxSpoolingTheResponse() throws Exception {
    try (RawHttp http = new RawHttp(stubNginxPort)) {
      http.send("GET /big HTTP/1.1\r\nHost: shop.example.test\r\nConnection: close\r\n\r\n");
      RawHttp.Response head = http.readHead();
      assertEquals(String.valueOf(StubUpstream.BIG), head.header("Content-Length"));
      // with proxy_buffering on, nginx would read the whole response into memory and temp files
      assertFalse(stub.bigSent().await(1, TimeUnit.SECONDS),
        "the upstream is still writing while the client reads nothing: back-pressure reaches it");
      long read = http.input().transferTo(java.io.OutputStream.nullOutputStream());
      assertEquals(StubUpstream.BIG, read);
      assertTrue(stub.bigSent().await(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void uploadsStreamToTheUpstream() throws Exception {
    try (RawHttp http = new RawHttp(stubNginxPort)) {
      http.send("POST /upload HTTP/1.1\r\nHost: shop.example.test\r\nContent-Length: 10\r\nConnection: close\r\n\r\n12345");
      assertTrue(stub.uploadStarted().await(10, TimeUnit.SECONDS),
        "the upstream got the request and the first bytes before the client sent the rest");
      http.send("67890");
      assertEquals("got 10\n", http.read(false).text());
    }
  }

  // ---- nginx with conf/nginx-front.conf in front of a real gateway and php-fpm

  @Test
  void aRequestFlowsThroughNginxAndTheGatewayToPhp() throws Exception {
    Path docroot = Files.createDirectories(work.resolve("site/public"));
    Files.writeString(docroot.resolve("echo.php"), "<?php\n"
      + "header('X-Accel-Redirect: /secret.txt');\n"
      + "header('Content-Type: text/plain');\n"
      + "foreach (['HTTP_HOST', 'SERVER_NAME', 'HTTP_X_FORWARDED_FOR', 'HTTP_X_FORWARDED_PROTO', 'HTTP_X_REQUEST_ID'] as $k) {\n"
      + "  echo $k, '=', $_SERVER[$k] ?? '', \"\\n\";\n"
      + "}\n");
    Files.writeString(docroot.resolve("md5.php"), "<?php echo md5(file_get_contents('php://input'));\n");
    Files.writeString(docroot.resolve("secret.txt"), "SECRET\n");
    Path tenants = work.resolve("tenants.yaml");
    Path repo = DeployFiles.repo();
    try (PhpFpm php = PhpFpm.start(work.resolve("fpm"), docroot, PhpFpm.Options.defaults().withWorkers(2))) {
      Files.writeString(tenants, "tenants:\n"
        + "  - id: site\n"
        + "    domains: [\"site.test\"]\n"
        + "    docroot: \"" + docroot + "\"\n"
        + "    routing: { mode: front-controller }\n"
        + "    php: { max_children: 2 }\n"
        + "    limits: { max_body_mb: 8 }\n"
        + "    backend: \"unix:" + php.socket() + "\"\n");
      Gateway gateway = Gateway.start(GatewayConfig.load(Map.of(
        "GATEWAY_CONFIG", repo.resolve("conf/gateway.yaml").toString(),
        "GATEWAY_HTTP_HOST", "127.0.0.1",
        "GATEWAY_HTTP_PORT", "0",
        "GATEWAY_ADMIN_PORT", "0",
        "GATEWAY_REGISTRY_FILE", tenants.toString(),
        "GATEWAY_POOL_TEMPLATE", repo.resolve("conf/php-fpm-pool.conf").toString(),
        "GATEWAY_RUN_DIR", work.resolve("run").toString()))).await(30, TimeUnit.SECONDS);
      int port = Nginx.freePort();
      try (Nginx nginx = startFront(work.resolve("nginx-gateway"), port, gateway.httpPort())) {
        RawHttp.Response r = send(port, "GET /echo.php HTTP/1.1\r\nHost: Site.Test\r\nConnection: close\r\n\r\n");
        assertEquals(200, r.status(), r.text());
        Map<String, String> seen = r.text().lines().map(l -> l.split("=", 2))
          .collect(Collectors.toMap(kv -> kv[0], kv -> kv[1]));
        assertEquals("site.test", seen.get("HTTP_HOST"));
        assertEquals("site.test", seen.get("SERVER_NAME"));
        assertEquals("127.0.0.1", seen.get("HTTP_X_FORWARDED_FOR"));
        assertEquals("http", seen.get("HTTP_X_FORWARDED_PROTO"));
        assertTrue(seen.get("HTTP_X_REQUEST_ID").matches("[0-9a-f]{32}"), r.text());
        assertFalse(r.text().contains("SECRET"), "X-Accel-Redirect from PHP was not followed");
        assertNull(r.header("X-Accel-Redirect"));

        assertEquals(404, send(port, "GET /echo.php HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n").status(),
          "an unknown Host reaches the gateway, which answers 404");

        byte[] upload = new byte[2 * 1024 * 1024];
        new Random(3).nextBytes(upload);
        try (RawHttp http = new RawHttp(port)) {
          http.send("POST /md5.php HTTP/1.1\r\nHost: site.test\r\nContent-Length: " + upload.length
            + "\r\nConnection: close\r\n\r\n");
          http.send(upload);
          RawHttp.Response md5 = http.read(false);
          assertEquals(200, md5.status(), md5.text());
          assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(upload)), md5.text());
        }
      } finally {
        gateway.stop().await(30, TimeUnit.SECONDS);
      }
    }
  }

  // ---- helpers

  private static RawHttp.Response send(int port, String request) throws IOException {
    try (RawHttp http = new RawHttp(port)) {
      http.send(request);
      return http.read(false);
    }
  }

  private StubUpstream.Request last(String path) {
    List<StubUpstream.Request> matching = stub.requests().stream()
      .filter(q -> q.line().startsWith("GET " + path + " ")).collect(Collectors.toList());
    assertFalse(matching.isEmpty(), "the upstream got " + path);
    return matching.get(matching.size() - 1);
  }

  private static String readUntil(InputStream in, String end) {
    ByteArrayOutputStream seen = new ByteArrayOutputStream();
    try {
      int b;
      while ((b = in.read()) != -1) {
        seen.write(b);
        if (seen.toString(StandardCharsets.ISO_8859_1).endsWith(end)) {
          return seen.toString(StandardCharsets.ISO_8859_1);
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    throw new AssertionError("connection closed before '" + end + "': " + seen.toString(StandardCharsets.ISO_8859_1));
  }

  private static Directive one(List<Directive> all, String block, String name) {
    List<Directive> found = all.stream().filter(d -> d.block().equals(block) && d.name().equals(name))
      .collect(Collectors.toList());
    assertEquals(1, found.size(), "one " + name + " in '" + block + "': " + found);
    return found.get(0);
  }

  /** @return the directives directly in a block, by name (each expected once) */
  private static Map<String, String> directives(List<Directive> all, String block) {
    return all.stream().filter(d -> d.block().equals(block) && !d.name().equals("proxy_set_header")
        && !d.name().equals("server"))
      .collect(Collectors.toMap(Directive::name, Directive::value));
  }

  private static List<String> servers(List<Directive> all, String upstream) {
    return all.stream().filter(d -> d.block().equals(upstream) && d.name().equals("server"))
      .map(d -> d.args().get(0)).collect(Collectors.toList());
  }
}
