package io.tenantgateway.gateway.proxy;

import io.tenantgateway.fcgi.FcgiParams;
import io.tenantgateway.gateway.registry.TenantParser;
import io.tenantgateway.gateway.routing.Mapping;
import io.tenantgateway.gateway.routing.TenantSite;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link CgiParams}: header names, and the parameter list nginx's {@code fastcgi_params} would give.
 */
class CgiParamsTest {

  @TempDir
  Path docroot;

  private TenantSite site;
  private FakeRequest fake;

  @BeforeEach
  void setUp() {
    site = new TenantSite(TenantParser.parse(new JsonObject().put("id", "site")
      .put("domains", new JsonArray().add("*.site.test").add("site.test").add("www.site.test"))
      .put("docroot", docroot.toString())));
    fake = new FakeRequest();
  }

  private Mapping.Script script(String name, String pathInfo, String documentUri) {
    return new Mapping.Script(name, docroot.resolve(name.substring(1)), pathInfo, documentUri);
  }

  private FcgiParams build(Mapping.Script script) {
    return CgiParams.build(fake.request(), site, script, "www.site.test", null);
  }

  // ---- header names

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "X-Forwarded-For, HTTP_X_FORWARDED_FOR",
    "x-forwarded-for, HTTP_X_FORWARDED_FOR",
    "Host, HTTP_HOST",
    "Content-Type, HTTP_CONTENT_TYPE",
    "Accept, HTTP_ACCEPT",
    "X-Abc-123, HTTP_X_ABC_123",
    "a, HTTP_A",
    "-, HTTP__",
    "Proxy-Authorization, HTTP_PROXY_AUTHORIZATION",
    "Proxy-Connection, HTTP_PROXY_CONNECTION",
  })
  void cgiName(String header, String expected) {
    assertEquals(expected, CgiParams.cgiName(header));
  }

  @ParameterizedTest
  @ValueSource(strings = {"Proxy", "proxy", "PROXY", "X_Foo", "x.y", "X Foo", "X:Foo", "", "Café", "X-Ünïcode",
    "X-\u0130", "X-\u017f", "X\tY", "X=Y", "X/Y", "X@Y", "X\u0000Y", "X-\u0661"})
  void headersThatMustNotBePassed(String header) {
    assertNull(CgiParams.cgiName(header));
  }

  @Test
  void cgiNameOnlyUsesAsciiUpperCase() {
    // "i".toUpperCase() in a Turkish locale would be "İ": the name must not depend on the locale
    assertEquals("HTTP_X_ID", CgiParams.cgiName("x-id"));
    for (char c = 0; c < 0x300; c++) {
      String name = CgiParams.cgiName("X" + c);
      if (name != null) {
        assertTrue(name.matches("HTTP_X[A-Z0-9_]"), name);
      }
    }
  }

  // ---- the parameter list

  @Test
  void nginxParameterOrderAndValues() {
    fake.method = HttpMethod.POST;
    fake.uri("/a.php/x/y?q=1&b=%20").header("Host", "www.site.test").header("Content-Type", "text/plain")
      .header("Content-Length", "5");
    FcgiParams params = build(script("/a.php", "/x/y", "/a.php/x/y"));
    assertEquals(List.of("QUERY_STRING", "REQUEST_METHOD", "CONTENT_TYPE", "CONTENT_LENGTH", "SCRIPT_NAME",
      "REQUEST_URI", "DOCUMENT_URI", "DOCUMENT_ROOT", "SERVER_PROTOCOL", "REQUEST_SCHEME", "GATEWAY_INTERFACE",
      "SERVER_SOFTWARE", "REMOTE_ADDR", "REMOTE_PORT", "REMOTE_USER", "SERVER_ADDR", "SERVER_PORT", "SERVER_NAME",
      "REDIRECT_STATUS", "SCRIPT_FILENAME", "PATH_INFO", "HTTP_HOST", "HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"),
      params.names());
    assertEquals("q=1&b=%20", params.get("QUERY_STRING"));
    assertEquals("POST", params.get("REQUEST_METHOD"));
    assertEquals("text/plain", params.get("CONTENT_TYPE"));
    assertEquals("5", params.get("CONTENT_LENGTH"));
    assertEquals("/a.php", params.get("SCRIPT_NAME"));
    assertEquals("/a.php/x/y?q=1&b=%20", params.get("REQUEST_URI"));
    assertEquals("/a.php/x/y", params.get("DOCUMENT_URI"));
    assertEquals(docroot.toString(), params.get("DOCUMENT_ROOT"));
    assertEquals("HTTP/1.1", params.get("SERVER_PROTOCOL"));
    assertEquals("http", params.get("REQUEST_SCHEME"));
    assertNull(params.get("HTTPS"));
    assertEquals("CGI/1.1", params.get("GATEWAY_INTERFACE"));
    assertEquals(CgiParams.SERVER_SOFTWARE, params.get("SERVER_SOFTWARE"));
    assertEquals("192.0.2.7", params.get("REMOTE_ADDR"));
    assertEquals("50000", params.get("REMOTE_PORT"));
    assertEquals("127.0.0.1", params.get("SERVER_ADDR"));
    assertEquals("8080", params.get("SERVER_PORT"));
    assertEquals("site.test", params.get("SERVER_NAME"), "the first exact domain, as nginx's first server_name");
    assertEquals("200", params.get("REDIRECT_STATUS"));
    assertEquals(docroot.resolve("a.php").toString(), params.get("SCRIPT_FILENAME"));
    assertEquals("/x/y", params.get("PATH_INFO"));
    assertEquals("www.site.test", params.get("HTTP_HOST"));
  }

  @Test
  void withoutQueryOrBody() {
    fake.header("Host", "site.test");
    FcgiParams params = build(script("/index.php", null, "/index.php"));
    assertEquals("", params.get("QUERY_STRING"));
    assertEquals("", params.get("CONTENT_TYPE"));
    assertEquals("", params.get("CONTENT_LENGTH"));
    assertEquals("GET", params.get("REQUEST_METHOD"));
    assertEquals("", params.get("PATH_INFO"), "empty PATH_INFO when the path was not split, as nginx's usual config");
    assertEquals("/", params.get("REQUEST_URI"));
  }

  @Test
  void frontControllerKeepsTheOriginalRequestUri() {
    fake.uri("/blog/post-1?page=2");
    FcgiParams params = build(script("/index.php", null, "/index.php"));
    assertEquals("/blog/post-1?page=2", params.get("REQUEST_URI"));
    assertEquals("/index.php", params.get("DOCUMENT_URI"));
    assertEquals("/index.php", params.get("SCRIPT_NAME"));
    assertEquals("page=2", params.get("QUERY_STRING"));
  }

  @Test
  void emptyQueryAfterQuestionMark() {
    fake.uri("/a.php?");
    assertEquals("", build(script("/a.php", null, "/a.php")).get("QUERY_STRING"));
  }

  @Test
  void tls() {
    fake.ssl = true;
    FcgiParams params = build(script("/a.php", null, "/a.php"));
    assertEquals("https", params.get("REQUEST_SCHEME"));
    assertEquals("on", params.get("HTTPS"));
    assertTrue(params.names().indexOf("HTTPS") < params.names().indexOf("GATEWAY_INTERFACE"));
  }

  @Test
  void http10() {
    fake.version(HttpVersion.HTTP_1_0);
    assertEquals("HTTP/1.0", build(script("/a.php", null, "/a.php")).get("SERVER_PROTOCOL"));
  }

  @Test
  void learntContentLengthReplacesTheHeader() {
    fake.method = HttpMethod.POST;
    fake.header("Transfer-Encoding", "chunked");
    FcgiParams params = CgiParams.build(fake.request(), site, script("/a.php", null, "/a.php"), "site.test", "42");
    assertEquals("42", params.get("CONTENT_LENGTH"));
    assertEquals("chunked", params.get("HTTP_TRANSFER_ENCODING"));
  }

  @Test
  void absoluteFormTargetBecomesAPath() {
    fake.uri("http://www.site.test/a.php?x=1");
    FcgiParams params = build(script("/a.php", null, "/a.php"));
    assertEquals("/a.php?x=1", params.get("REQUEST_URI"));
    assertEquals("x=1", params.get("QUERY_STRING"));
    fake.uri("HTTPS://www.site.test:8443/b.php");
    assertEquals("/b.php", build(script("/b.php", null, "/b.php")).get("REQUEST_URI"));
    fake.uri("http://www.site.test");
    assertEquals("/", build(script("/index.php", null, "/index.php")).get("REQUEST_URI"));
  }

  @Test
  void serverNameFallsBackToTheHostForWildcardOnlyTenants() {
    TenantSite wildcardOnly = new TenantSite(TenantParser.parse(new JsonObject().put("id", "w")
      .put("domains", new JsonArray().add("*.w.test")).put("docroot", docroot.toString())));
    FcgiParams params = CgiParams.build(fake.request(), wildcardOnly, script("/a.php", null, "/a.php"), "x.w.test",
      null);
    assertEquals("x.w.test", params.get("SERVER_NAME"));
  }

  @Test
  void missingAddressesAreEmpty() {
    fake.remote = null;
    fake.local = null;
    FcgiParams params = build(script("/a.php", null, "/a.php"));
    assertEquals("", params.get("REMOTE_ADDR"));
    assertEquals("", params.get("REMOTE_PORT"));
    assertEquals("", params.get("SERVER_ADDR"));
    assertEquals("", params.get("SERVER_PORT"));
  }

  @Test
  void repeatedHeadersAreJoined() {
    fake.header("X-Forwarded-For", "10.0.0.1").header("Cookie", "a=1").header("x-forwarded-for", "10.0.0.2")
      .header("Cookie", "b=2").header("Accept", "text/html").header("accept", "*/*");
    FcgiParams params = build(script("/a.php", null, "/a.php"));
    assertEquals("10.0.0.1, 10.0.0.2", params.get("HTTP_X_FORWARDED_FOR"));
    assertEquals("a=1; b=2", params.get("HTTP_COOKIE"));
    assertEquals("text/html, */*", params.get("HTTP_ACCEPT"));
    assertEquals(1, params.names().stream().filter("HTTP_COOKIE"::equals).count());
  }

  @Test
  void dangerousHeadersAreDropped() {
    fake.header("Proxy", "http://evil.test:8080").header("X_Forwarded_For", "1.2.3.4")
      .header("X-Forwarded-For", "10.0.0.1").header("x.y", "1").header("Script_Filename", "/etc/passwd")
      .header("Authorization", "Bearer t");
    FcgiParams params = build(script("/a.php", null, "/a.php"));
    assertNull(params.get("HTTP_PROXY"), "httpoxy");
    assertEquals("10.0.0.1", params.get("HTTP_X_FORWARDED_FOR"), "the underscore spelling must not alias it");
    assertEquals(docroot.resolve("a.php").toString(), params.get("SCRIPT_FILENAME"));
    assertEquals(1, params.names().stream().filter("SCRIPT_FILENAME"::equals).count());
    assertEquals("Bearer t", params.get("HTTP_AUTHORIZATION"));
    assertNull(params.get("AUTH_TYPE"));
    int firstHeader = params.names().indexOf("HTTP_X_FORWARDED_FOR");
    for (String name : params.names().subList(firstHeader, params.size())) {
      assertTrue(name.startsWith("HTTP_"), name);
    }
  }

  @Test
  void headerValueBytesAreKept() {
    // Vert.x gives header bytes one char per byte: "é" in UTF-8 arrives as \u00c3\u00a9
    fake.header("X-Name", "caf\u00c3\u00a9");
    FcgiParams params = build(script("/a.php", null, "/a.php"));
    int index = params.names().indexOf("HTTP_X_NAME");
    assertArrayEquals("café".getBytes(StandardCharsets.UTF_8), params.valueBytes(index));
  }

  @Test
  void decodedPathsAreSentAsUtf8() {
    fake.uri("/caf%C3%A9.php/%C3%A9");
    FcgiParams params = build(script("/café.php", "/é", "/café.php/é"));
    List<String> names = params.names();
    assertArrayEquals("/café.php".getBytes(StandardCharsets.UTF_8), params.valueBytes(names.indexOf("SCRIPT_NAME")));
    assertArrayEquals("/café.php/é".getBytes(StandardCharsets.UTF_8),
      params.valueBytes(names.indexOf("DOCUMENT_URI")));
    assertArrayEquals("/é".getBytes(StandardCharsets.UTF_8), params.valueBytes(names.indexOf("PATH_INFO")));
    assertArrayEquals(docroot.resolve("café.php").toString().getBytes(StandardCharsets.UTF_8),
      params.valueBytes(names.indexOf("SCRIPT_FILENAME")));
    assertEquals("/caf%C3%A9.php/%C3%A9", params.get("REQUEST_URI"), "REQUEST_URI stays encoded");
  }

  @Test
  void noHeaderNameCanEscapeTheHttpPrefix() {
    for (String header : List.of("SCRIPT_FILENAME", "Script-Filename", "PATH_INFO", "Redirect-Status",
      "Remote_Addr", "Remote-Addr", "QUERY_STRING")) {
      fake.header(header, "x");
    }
    FcgiParams params = build(script("/a.php", null, "/a.php"));
    List<String> names = params.names();
    int fixed = names.indexOf("PATH_INFO") + 1;
    assertEquals(names.indexOf("SCRIPT_FILENAME") + 1, names.indexOf("PATH_INFO"));
    for (String name : names.subList(fixed, names.size())) {
      assertTrue(name.startsWith("HTTP_"), name);
    }
    assertEquals(List.of("HTTP_SCRIPT_FILENAME", "HTTP_REDIRECT_STATUS", "HTTP_REMOTE_ADDR"),
      names.subList(fixed, names.size()));
    assertEquals("200", params.get("REDIRECT_STATUS"));
    assertEquals("192.0.2.7", params.get("REMOTE_ADDR"));
    assertEquals(docroot.resolve("a.php").toString(), params.get("SCRIPT_FILENAME"));
  }

  // ---- hardening: php-fpm's own parameters and the effective client

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(value = {
    "PHP_VALUE, ",
    "PHP_ADMIN_VALUE, ",
    "Php_Value, ",
    "php_admin_value, ",
    "PHP-VALUE, HTTP_PHP_VALUE",
    "Php-Admin-Value, HTTP_PHP_ADMIN_VALUE",
    "Content_Length, ",
    "Content_Type, ",
    "SCRIPT_FILENAME, ",
    "Script.Filename, ",
    "Document_Root, ",
  })
  void phpFpmParametersCannotComeFromHeaders(String header, String expected) {
    assertEquals(expected, CgiParams.cgiName(header));
  }

  @Test
  void noHeaderBecomesPhpValue() {
    for (String header : List.of("PHP_VALUE", "PHP-VALUE", "Php_Value", "PHP_ADMIN_VALUE", "PHP-ADMIN-VALUE",
      "Content_Length", "Content-Length")) {
      fake.header(header, "auto_prepend_file=/etc/passwd");
    }
    FcgiParams params = build(script("/a.php", null, "/a.php"));
    assertNull(params.get("PHP_VALUE"));
    assertNull(params.get("PHP_ADMIN_VALUE"));
    assertEquals("auto_prepend_file=/etc/passwd", params.get("CONTENT_LENGTH"),
      "CONTENT_LENGTH is the Content-Length header (refused by RequestChecks when not digits)");
    for (String name : params.names()) {
      assertFalse(name.startsWith("PHP_"), name);
    }
  }

  @Test
  void theEffectiveClientOfATrustedProxy() {
    FcgiParams params = CgiParams.build(fake.request(), site, script("/a.php", null, "/a.php"), "site.test", null,
      new TrustedProxies.Client("203.0.113.7", -1, true, 443, true));
    assertEquals("203.0.113.7", params.get("REMOTE_ADDR"));
    assertEquals("", params.get("REMOTE_PORT"), "unknown port: empty, as nginx's $remote_port after realip");
    assertEquals("https", params.get("REQUEST_SCHEME"));
    assertEquals("on", params.get("HTTPS"));
    assertEquals("443", params.get("SERVER_PORT"));
    assertEquals("127.0.0.1", params.get("SERVER_ADDR"), "the gateway's own address");
    assertTrue(params.names().indexOf("HTTPS") < params.names().indexOf("GATEWAY_INTERFACE"));
  }

  @Test
  void withoutAGuardedConnectionThePeerIsTheClient() {
    fake.header("X-Forwarded-For", "203.0.113.7").header("X-Forwarded-Proto", "https");
    FcgiParams params = build(script("/a.php", null, "/a.php"));
    assertEquals("192.0.2.7", params.get("REMOTE_ADDR"));
    assertEquals("50000", params.get("REMOTE_PORT"));
    assertNull(params.get("HTTPS"));
    assertEquals("8080", params.get("SERVER_PORT"));
    assertEquals("203.0.113.7", params.get("HTTP_X_FORWARDED_FOR"));
  }

  // ---- found by NginxParityTest

  @Test
  void remoteUserIsEmptyWithoutCredentials() {
    fake.header("Host", "site.test");
    assertEquals("", build(script("/a.php", null, "/a.php")).get("REMOTE_USER"),
      "nginx's fastcgi_params always passes REMOTE_USER ($remote_user), empty without Basic credentials");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "Basic dXNlcjpwYXNz|user",
    "Basic dXNlcjpwYXNzOndpdGg6Y29sb25z|user",
    "basic   dXNlcjpwYQ==|user",
    "BASIC dXNlcjpwYQ==junk|user",
    "Basic dXNlcjo=|user",
    "Basic w6k6cA==|\u00c3\u00a9",
    "Basic dXNlcg==|''",
    "Basic OnBhc3M=|''",
    "Basic !!!!|''",
    "Basic dXNlcjpw YQ==|''",
    "Basic dXNlcjpwY|''",
    "Basic|''",
    "Basic ====|''",
    "Bearer dXNlcjpwYXNz|''",
    "Digest username=\"user\"|''",
  })
  void remoteUserIsTheUserOfBasicCredentialsAsNginxDecodesThem(String authorization, String expected) {
    fake.header("Host", "site.test").header("Authorization", authorization);
    FcgiParams params = build(script("/a.php", null, "/a.php"));
    assertEquals(expected, params.get("REMOTE_USER"), authorization);
    assertEquals(authorization, params.get("HTTP_AUTHORIZATION"), "the header itself is passed as it came");
  }

  @Test
  void scriptsModePassesAnEmptyPathInfoWhenThePathIsNotSplit() {
    TenantSite scripts = new TenantSite(TenantParser.parse(new JsonObject().put("id", "scripts")
      .put("domains", new JsonArray().add("scripts.test"))
      .put("docroot", docroot.toString())
      .put("routing", new JsonObject().put("mode", "scripts"))));
    fake.header("Host", "scripts.test");
    FcgiParams params = CgiParams.build(fake.request(), scripts, script("/a.php", null, "/a.php"), "scripts.test", null);
    assertEquals("", params.get("PATH_INFO"), "nginx: fastcgi_param PATH_INFO $fastcgi_path_info, empty when not split");
    assertEquals(params.names().indexOf("SCRIPT_FILENAME") + 1, params.names().indexOf("PATH_INFO"));
    params = CgiParams.build(fake.request(), scripts, script("/a.php", "/x", "/a.php/x"), "scripts.test", null);
    assertEquals("/x", params.get("PATH_INFO"));
  }
}
