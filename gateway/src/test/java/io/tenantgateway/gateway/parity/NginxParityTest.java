package io.tenantgateway.gateway.parity;

import io.tenantgateway.gateway.Gateway;
import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.parity.ParityRequest.Kind;
import io.tenantgateway.gateway.testing.PhpFpm;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Differential test: the same request bytes go to nginx (the OS package, configured as the
 * README's "Path mapping" says) and to the gateway, both in front of one php-fpm pool and one
 * docroot; PHP's view of the request ({@code $_SERVER}, {@code $_GET}, {@code $_POST},
 * {@code $_COOKIE}, {@code $_FILES}, the raw body) and what the client gets back must be the same,
 * but for what {@link ParityDifferences} lists with its reason.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NginxParityTest {

  private static final String FC = "fc.test";
  private static final String SCRIPTS = "scripts.test";
  private static final byte[] BINARY_UPLOAD = randomBytes(100_000);
  private static final long FLUSH_PAUSE_MS = 400;

  private Path work;
  private Path docroot;
  private PhpFpm php;
  private Nginx nginx;
  private Gateway gateway;

  @BeforeAll
  void start() throws Exception {
    work = Files.createTempDirectory("parity");
    docroot = work.resolve("public");
    copyResources("/parity", docroot);
    Files.copy(docroot.resolve("dump.php"), docroot.resolve("café.php"));
    php = PhpFpm.start(work.resolve("fpm"), docroot, PhpFpm.Options.defaults().withWorkers(6));
    nginx = Nginx.start(work.resolve("nginx"), docroot, php.socket(), FC, SCRIPTS);
    Path tenants = work.resolve("tenants.yaml");
    Files.writeString(tenants, "tenants:\n"
      + tenant("fc", FC, "front-controller")
      + tenant("scripts", SCRIPTS, "scripts"));
    GatewayConfig config = GatewayConfig.load(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_REGISTRY_FILE", tenants.toString(),
      "GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf",
      "GATEWAY_RUN_DIR", work.resolve("run").toString()));
    gateway = Gateway.start(config).await(30, TimeUnit.SECONDS);
  }

  @AfterAll
  void stop() throws Exception {
    if (gateway != null) {
      gateway.stop().await(10, TimeUnit.SECONDS);
    }
    if (nginx != null) {
      nginx.close();
    }
    if (php != null) {
      php.close();
    }
    if (work != null) {
      try (Stream<Path> tree = Files.walk(work)) {
        tree.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private String tenant(String id, String domain, String mode) {
    return "  - id: " + id + "\n"
      + "    domains: [\"" + domain + "\"]\n"
      + "    docroot: \"" + docroot + "\"\n"
      + "    routing: { mode: " + mode + ", index: index.php }\n"
      + "    php: { max_children: 2 }\n"
      + "    limits: { max_body_mb: 8 }\n"
      + "    backend: \"unix:" + php.socket() + "\"\n";
  }

  // ------------------------------------------------------------------------------------ corpus

  static Stream<ParityRequest> corpus() {
    List<ParityRequest> c = new ArrayList<>();
    // methods
    c.add(script("GET", FC, "/dump.php"));
    c.add(script("POST", FC, "/dump.php").body("application/x-www-form-urlencoded", ascii("a=1&b=two+words&c=%C3%A9")));
    c.add(script("PUT", FC, "/dump.php").body("application/json", ascii("{\"put\":true}")));
    c.add(script("DELETE", FC, "/dump.php?id=7"));
    c.add(script("OPTIONS", FC, "/dump.php"));
    c.add(script("PATCH", FC, "/dump.php").body("application/merge-patch+json", ascii("{\"patch\":1}")));
    c.add(script("POST", FC, "/dump.php").body(null, ascii("no content type")).as("no Content-Type"));
    c.add(script("POST", FC, "/dump.php").body("application/x-www-form-urlencoded", new byte[0]).as("empty body"));
    // query strings
    c.add(script("GET", FC, "/dump.php?a=%20b%2Fc%3D&d=%26%3F%23&e=%25"));
    c.add(script("GET", FC, "/dump.php?q=a+b+c&plus=%2B&space=a%20b"));
    c.add(script("GET", FC, "/dump.php?name=%C3%A9t%C3%A9&jp=%E6%97%A5%E6%9C%AC"));
    c.add(script("GET", FC, "/dump.php?raw=" + ParityRequest.raw("été日本")));
    c.add(script("GET", FC, "/dump.php?"));
    c.add(script("GET", FC, "/dump.php?&&a=1&&"));
    c.add(script("GET", FC, "/dump.php?a=1&a=2&a=3"));
    c.add(script("GET", FC, "/dump.php?a[]=1&a[]=2&b[x]=y&c[x][]=z&d%5B%5D=enc"));
    c.add(script("GET", FC, "/dump.php?flag&empty=&=novalue"));
    c.add(script("GET", FC, "/dump.php?bad=%zz&cut=%C3&nul=%00x"));
    c.add(script("GET", FC, "/dump.php?semi=a;b&comma=a,b&quote='\"'"));
    // paths, index files, the front controller
    c.add(script("GET", FC, "/"));
    c.add(script("GET", FC, "/?x=1"));
    c.add(script("GET", FC, "/dir/"));
    c.add(script("GET", FC, "/dir/?x=1"));
    c.add(script("GET", FC, "/dir/index.php"));
    c.add(script("GET", FC, "/no/such/page?x=1"));
    c.add(script("GET", FC, "/no/such/page/"));
    c.add(script("GET", FC, "/no%20such/p%C3%A4ge?x=%20"));
    c.add(script("GET", FC, "/dump.php/extra/path?x=1"));
    c.add(script("GET", FC, "/index.php/Main_Page"));
    c.add(script("GET", FC, "/dump.php/caf%C3%A9/x%2Fy"));
    c.add(server("GET", FC, "/missing.php/x"));
    c.add(script("GET", FC, "/d%75mp.php"));
    c.add(script("GET", FC, "//dump.php"));
    c.add(script("GET", FC, "/./sub/../dump.php"));
    c.add(script("GET", FC, "/caf%C3%A9.php?x=1"));
    c.add(script("GET", FC, "/hello.txt/"));
    c.add(server("GET", FC, "/dir"));
    c.add(server("GET", FC, "/dir?x=1&y=%20"));
    c.add(server("GET", FC, "/html"));
    c.add(server("GET", FC, "/html/"));
    c.add(server("GET", FC, "/empty/"));
    c.add(server("GET", FC, "/hello.txt"));
    c.add(server("GET", FC, "/missing.php"));
    c.add(server("GET", FC, "/dir/missing.php?x=1"));
    // scripts mode: PATH_INFO
    c.add(script("GET", SCRIPTS, "/dump.php"));
    c.add(script("GET", SCRIPTS, "/dump.php/extra/path?x=1"));
    c.add(script("GET", SCRIPTS, "/dump.php/"));
    c.add(script("GET", SCRIPTS, "/dump.php/a%20b/%C3%A9/x.php"));
    c.add(script("GET", SCRIPTS, "/dir/"));
    c.add(script("GET", SCRIPTS, "/"));
    c.add(script("POST", SCRIPTS, "/dump.php/p").body("application/x-www-form-urlencoded", ascii("k=v")));
    c.add(server("GET", SCRIPTS, "/no/such/page"));
    c.add(server("GET", SCRIPTS, "/missing.php/x"));
    c.add(server("GET", SCRIPTS, "/dir"));
    c.add(server("GET", SCRIPTS, "/hello.txt"));
    // headers
    c.add(script("GET", FC, "/dump.php").as("repeated header").header("X-Multi", "one").header("X-Multi", "two").header("x-multi", "3"));
    c.add(script("GET", FC, "/dump.php").as("two Cookie headers").header("Cookie", "a=1; b=hello%20world; c=%C3%A9; d=\"quoted\"; e=x+y")
      .header("Cookie", "f=2; a=override"));
    c.add(script("GET", FC, "/dump.php").as("cookie syntax").header("Cookie", "s=1;t=2 ;  u=3; v; w=%3B%3D; arr[k]=1; arr[]=2"));
    c.add(script("GET", FC, "/dump.php").as("Basic").header("Authorization", "Basic dXNlcjpwYXNzOndpdGg6Y29sb25z"));
    c.add(script("GET", FC, "/dump.php").as("Bearer").header("Authorization", "Bearer eyJhbGciOi.eyJzdWIi.c2ln"));
    for (String credentials : List.of("basic   dXNlcjpwYQ==", "Basic dXNlcjpwYQ==junk", "Basic dXNlcg==",
      "Basic OnBhc3M=", "Basic !!!!", "Basic dXNlcjpw YQ==", "Basic w6k6cA==", "Basic", "Digest username=\"u\"")) {
      c.add(script("GET", FC, "/dump.php").as("Authorization: " + credentials).header("Authorization", credentials));
    }
    c.add(script("GET", FC, "/dump.php").as("8 KB header").header("X-Long", "v".repeat(8192)));
    c.add(script("GET", FC, "/dump.php").as("header values").header("X-Empty", "").header("X-Pad", "  padded  ")
      .header("X-Latin", "caf\u00e9").header("X-UTF8", ParityRequest.raw("日本")));
    c.add(script("GET", FC, "/dump.php").as("header names").header("X-Under_Score", "dropped").header("X.Dot", "dropped")
      .header("Content-Md5", "abc").header("Accept", "*/*").header("User-Agent", "parity/1.0"));
    c.add(script("GET", FC, "/dump.php").as("httpoxy").header("Proxy", "http://attacker.test:3128"));
    c.add(script("GET", FC + ":8080", "/dump.php"));
    c.add(script("GET", "FC.Test", "/dump.php"));
    c.add(script("GET", FC, "/dump.php").as("conditional headers").header("If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT")
      .header("Range", "bytes=0-10").header("Connection", "keep-alive"));
    // bodies: content types, chunked, multipart, uploads
    c.add(script("POST", FC, "/dump.php").as("form, charset").body("application/x-www-form-urlencoded; charset=UTF-8",
      ascii("x[]=1&x[]=2&y=%E2%82%AC")));
    c.add(script("POST", FC, "/dump.php").as("form, upper case").body("APPLICATION/X-WWW-FORM-URLENCODED", ascii("upper=1")));
    c.add(script("POST", FC, "/dump.php").as("text").body("text/plain; charset=iso-8859-1", ascii("plain body")));
    c.add(script("POST", FC, "/dump.php").as("chunked form").body("application/x-www-form-urlencoded", ascii("chunked=1&n=2")).chunked());
    c.add(script("POST", FC, "/dump.php").as("chunked binary").body("application/octet-stream", BINARY_UPLOAD).chunked());
    c.add(script("POST", FC, "/dump.php").as("binary").body("application/octet-stream", BINARY_UPLOAD));
    Multipart form = new Multipart("----parityBoundary7MA4YWxk")
      .field("title", "héllo wörld")
      .field("list[]", "1").field("list[]", "2")
      .file("upload", "data.bin", "application/octet-stream", BINARY_UPLOAD)
      .file("text", "notes 1.txt", "text/plain", ascii("some notes\n"))
      .file("files[]", "a.txt", "text/plain", ascii("A"))
      .file("files[]", "b.txt", "text/plain", ascii("BB"))
      .file("empty", "", "application/octet-stream", new byte[0])
      .file("unicode", ParityRequest.raw("résumé.txt"), "text/plain", ascii("r"));
    c.add(script("POST", FC, "/dump.php?form=multipart").body(form.contentType(), form.bytes()));
    c.add(script("POST", FC, "/dump.php?form=chunked").body(form.contentType(), form.bytes()).chunked());
    c.add(script("POST", FC, "/dump.php?expect=1").body("application/x-www-form-urlencoded", ascii("e=1"))
      .expectContinue());
    c.add(script("PUT", FC, "/dump.php?expect=2").body("application/octet-stream", BINARY_UPLOAD).expectContinue());
    // HTTP/1.0, HEAD
    c.add(script("GET", FC, "/dump.php?v=10").http10());
    c.add(script("POST", FC, "/dump.php?v=10").body("application/x-www-form-urlencoded", ascii("a=1")).http10());
    c.add(script("HEAD", FC, "/dump.php"));
    // response side
    c.add(script("GET", FC, "/response.php?cookies=1"));
    c.add(script("HEAD", FC, "/response.php?cookies=1"));
    c.add(script("GET", FC, "/response.php?status=404%20Not%20Found"));
    c.add(script("GET", FC, "/response.php?status=299%20Custom%20Reason"));
    c.add(script("GET", FC, "/response.php?code=500"));
    c.add(script("GET", FC, "/response.php?location=/elsewhere%3Fa%3D1"));
    c.add(script("GET", FC, "/response.php?location=http://other.test/x"));
    c.add(script("GET", FC, "/response.php?location=/created&code=201"));
    c.add(script("GET", FC, "/response.php?location=/moved&code=301"));
    c.add(script("GET", FC, "/response.php?code=204"));
    c.add(script("GET", FC, "/response.php?code=304"));
    c.add(script("GET", FC, "/response.php?type=text/plain;%20charset=latin1"));
    c.add(script("POST", FC, "/response.php?code=201").body("text/plain", ascii("x")));
    return c.stream();
  }

  private static ParityRequest script(String method, String host, String target) {
    return ParityRequest.of(method + " " + host + " " + target, Kind.SCRIPT, method, host, target);
  }

  private static ParityRequest server(String method, String host, String target) {
    return ParityRequest.of(method + " " + host + " " + target + " (server answer)", Kind.SERVER, method, host, target);
  }

  // ------------------------------------------------------------------------------------ tests

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpus")
  void sameAsNginx(ParityRequest request) throws Exception {
    ParityRequest toNginx = request.repeatedHeaders().isEmpty() ? request : request.withRepeatedHeadersJoined();
    CompletableFuture<HttpExchange.Response> fromNginx = CompletableFuture.supplyAsync(() -> exchange(nginx.port(), toNginx));
    HttpExchange.Response fromGateway = exchange(gateway.httpPort(), request);
    List<String> differences = differences(request, fromNginx.get(30, TimeUnit.SECONDS), fromGateway);
    if (!differences.isEmpty()) {
      fail(request.name() + ": " + differences.size() + " difference(s) from nginx\n  "
        + String.join("\n  ", differences));
    }
  }

  @Test
  void expectContinueIsAnsweredBeforeTheBodyIsSent() throws Exception {
    ParityRequest request = script("POST", FC, "/dump.php?expect=3").as("Expect")
      .body("application/x-www-form-urlencoded", ascii("e=3")).expectContinue();
    long start = System.nanoTime();
    HttpExchange.Response r = exchange(gateway.httpPort(), request);
    assertEquals(List.of(100), r.interim(), "100 Continue before the final response");
    assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(900),
      "the client did not have to wait out its 1 s before sending the body");
    assertEquals("3", new JsonObject(r.text()).getJsonObject("post").getString("e"));
  }

  @Test
  void flushedOutputArrivesInPartsLikeNginx() throws Exception {
    streamsLikeNginx("/flush.php?ms=" + FLUSH_PAUSE_MS, "part 1\n".length());
  }

  @Test
  void serverSentEventsArriveOneByOneLikeNginx() throws Exception {
    streamsLikeNginx("/sse.php?ms=" + FLUSH_PAUSE_MS, "id: 1\nevent: tick\ndata: {\"n\": 1}\n\n".length());
  }

  /**
   * Both servers get the request at once: the body must be the same, and on both the first part
   * must arrive at least 1.5 pauses before the end (the script pauses twice).
   */
  private void streamsLikeNginx(String target, int firstPartLength) throws Exception {
    ParityRequest request = script("GET", FC, target);
    CompletableFuture<HttpExchange.Response> fromNginx = CompletableFuture.supplyAsync(() -> exchange(nginx.port(), request));
    HttpExchange.Response fromGateway = exchange(gateway.httpPort(), request);
    HttpExchange.Response n = fromNginx.get(30, TimeUnit.SECONDS);
    List<String> differences = differences(request, n, fromGateway);
    assertTrue(differences.isEmpty(), String.join("\n", differences));
    long minimumLead = TimeUnit.MILLISECONDS.toNanos(FLUSH_PAUSE_MS * 3 / 2);
    for (HttpExchange.Response r : List.of(n, fromGateway)) {
      String side = r == n ? "nginx" : "gateway";
      long first = r.arrivalOf(firstPartLength);
      long end = r.arrivalOf(r.body().length);
      assertTrue(first >= 0 && end - first >= minimumLead, side + ": the first part arrived "
        + TimeUnit.NANOSECONDS.toMillis(first) + " ms after the request, the end "
        + TimeUnit.NANOSECONDS.toMillis(end) + " ms: not streamed as flushed");
    }
    assertEquals(n.arrivals().size() > 1, fromGateway.arrivals().size() > 1);
  }

  // ------------------------------------------------------------------------------------ comparison

  private List<String> differences(ParityRequest request, HttpExchange.Response n, HttpExchange.Response g) {
    List<String> out = new ArrayList<>();
    same(out, "interim responses", n.interim(), g.interim());
    ParityDifferences.Sides sides = new ParityDifferences.Sides(nginx.port(), gateway.httpPort(), request);
    same(out, "status", n.status() + " " + n.reason(), g.status() + " " + g.reason());
    if (!n.version().equals(g.version())) {
      known(out, "status line protocol", ParityDifferences.STATUS_LINE_VERSION, n.version(), g.version(), sides);
    }
    if (request.kind() == Kind.SERVER) {
      same(out, "Location", n.header("Location"), g.header("Location"));
      if (n.status() == 200) {
        same(out, "Content-Type", n.header("Content-Type"), g.header("Content-Type"));
        same(out, "body", n.text(), g.text());
      }
      return out;
    }
    same(out, "headers", comparableHeaders(n), comparableHeaders(g));
    String type = Objects.toString(n.header("Content-Type"), "");
    if (type.startsWith("application/json") && n.body().length > 0 && g.body().length > 0) {
      compareDumps(out, request, new JsonObject(n.text()), new JsonObject(g.text()));
    } else {
      same(out, "body", n.text(), g.text());
    }
    return out;
  }

  private void compareDumps(List<String> out, ParityRequest request, JsonObject n, JsonObject g) {
    for (String key : union(n.fieldNames(), g.fieldNames())) {
      if (!key.equals("server")) {
        same(out, key, n.getValue(key), g.getValue(key));
      }
    }
    JsonObject ns = n.getJsonObject("server");
    JsonObject gs = g.getJsonObject("server");
    ParityDifferences.Sides sides = new ParityDifferences.Sides(nginx.port(), gateway.httpPort(), request);
    for (String key : union(ns.fieldNames(), gs.fieldNames())) {
      String nv = ns.containsKey(key) ? String.valueOf(ns.getValue(key)) : null;
      String gv = gs.containsKey(key) ? String.valueOf(gs.getValue(key)) : null;
      ParityDifferences.Difference difference = ParityDifferences.SERVER_VARIABLES.get(key);
      if (difference == null) {
        same(out, "$_SERVER['" + key + "']", nv, gv);
      } else {
        known(out, "$_SERVER['" + key + "']", difference, nv, gv, sides);
      }
    }
    List<String> nOrder = ns.fieldNames().stream().filter(k -> gs.containsKey(k)
      && !ParityDifferences.SERVER_VARIABLES.containsKey(k)).collect(Collectors.toList());
    List<String> gOrder = gs.fieldNames().stream().filter(k -> ns.containsKey(k)
      && !ParityDifferences.SERVER_VARIABLES.containsKey(k)).collect(Collectors.toList());
    same(out, "$_SERVER order", nOrder, gOrder);
  }

  private static List<String> comparableHeaders(HttpExchange.Response r) {
    return r.headers().stream()
      .filter(h -> !ParityDifferences.RESPONSE_HEADERS_NOT_COMPARED.contains(h[0].toLowerCase(Locale.ROOT)))
      .map(h -> h[0].toLowerCase(Locale.ROOT) + ": " + h[1])
      .sorted(Comparator.comparing((String h) -> h.substring(0, h.indexOf(':'))))
      .collect(Collectors.toList());
  }

  private static void known(List<String> out, String what, ParityDifferences.Difference difference, String nginxValue,
                            String gatewayValue, ParityDifferences.Sides sides) {
    if (!difference.check().accepts(nginxValue, gatewayValue, sides)) {
      out.add(what + " differs beyond the known difference (" + difference.reason() + "): nginx "
        + abbreviate(nginxValue) + ", gateway " + abbreviate(gatewayValue));
    }
  }

  private static void same(List<String> out, String what, Object nginxValue, Object gatewayValue) {
    if (!Objects.equals(nginxValue, gatewayValue)) {
      out.add(what + ": nginx " + abbreviate(nginxValue) + ", gateway " + abbreviate(gatewayValue));
    }
  }

  private static String abbreviate(Object value) {
    String text = value == null ? "(absent)" : "<" + value + ">";
    return text.length() > 600 ? text.substring(0, 600) + "...(" + text.length() + " chars)" : text;
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> all = new LinkedHashSet<>(a);
    all.addAll(b);
    return all;
  }

  private static HttpExchange.Response exchange(int port, ParityRequest request) {
    try {
      return HttpExchange.exchange(port, request);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(request.name() + " on port " + port, e);
    }
  }

  // ------------------------------------------------------------------------------------ fixtures

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    new Random(42).nextBytes(bytes);
    return bytes;
  }

  private static void copyResources(String resource, Path target) throws IOException, URISyntaxException {
    Path source = Path.of(NginxParityTest.class.getResource(resource).toURI());
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

  /** A multipart/form-data body. */
  private static final class Multipart {
    private final String boundary;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Multipart(String boundary) {
      this.boundary = boundary;
    }

    Multipart field(String name, String value) {
      part("Content-Disposition: form-data; name=\"" + name + "\"\r\n", value.getBytes(StandardCharsets.UTF_8));
      return this;
    }

    Multipart file(String name, String filename, String type, byte[] content) {
      part("Content-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename + "\"\r\n"
        + "Content-Type: " + type + "\r\n", content);
      return this;
    }

    private void part(String headers, byte[] content) {
      out.writeBytes(ascii("--" + boundary + "\r\n" + headers + "\r\n"));
      out.writeBytes(content);
      out.writeBytes(ascii("\r\n"));
    }

    String contentType() {
      return "multipart/form-data; boundary=" + boundary;
    }

    byte[] bytes() {
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      all.writeBytes(out.toByteArray());
      all.writeBytes(ascii("--" + boundary + "--\r\n"));
      return all.toByteArray();
    }
  }

}
