package io.tenantgateway.gateway.attacks;

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
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Request headers that try to become something else than an {@code HTTP_*} parameter, and response
 * headers meant for nginx: end to end through a gateway and php-fpm, PHP's {@code $_SERVER} dumped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HeaderTricksTest {

  private AttackSite site;
  private int port;

  @BeforeAll
  void start() throws Exception {
    site = AttackSite.start("headers");
    port = site.gateway(Map.of(), "");
  }

  @AfterAll
  void stop() throws Exception {
    if (site != null) {
      site.close();
    }
  }

  private JsonObject dump(String headers) throws IOException {
    try (RawHttp http = new RawHttp(port)) {
      http.send("GET /dump.php HTTP/1.1\r\nHost: site.test\r\n" + headers + "\r\n");
      RawHttp.Response r = http.read(false);
      assertEquals(200, r.status(), r.text());
      return new JsonObject(r.text());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"Proxy", "proxy", "PROXY", "pRoXy"})
  void proxyNeverBecomesHttpProxy(String name) throws IOException {
    JsonObject server = dump(name + ": http://evil.test:3128\r\n").getJsonObject("server");
    assertNull(server.getString("HTTP_PROXY"), "httpoxy");
    assertFalse(server.encode().contains("evil.test"), server.encode());
  }

  @ParameterizedTest
  @ValueSource(strings = {"X_Forwarded_For", "X.Forwarded.For", "X-Forwarded_For", "Content_Length", "Content_Type",
    "Script_Filename", "SCRIPT_FILENAME", "PHP_VALUE", "Php_Value", "PHP_ADMIN_VALUE", "Document_Root", "Path_Info",
    "Remote_Addr", "Redirect_Status"})
  void namesWithUnderscoreOrDotAreDropped(String name) throws IOException {
    JsonObject baseline = dump("").getJsonObject("server");
    JsonObject server = dump(name + ": injected-value\r\n").getJsonObject("server");
    assertFalse(server.encode().contains("injected-value"), name + " reached PHP: " + server.encode());
    assertSameFixedParameters(baseline, server);
  }

  @Test
  void nothingButHttpParametersComeFromHeaders() throws IOException {
    JsonObject baseline = dump("").getJsonObject("server");
    JsonObject dump = dump("PHP_VALUE: auto_append_file=/etc/passwd\r\n"
      + "PHP-VALUE: display_errors=On\r\n"
      + "Php_Value: auto_append_file=/etc/hostname\r\n"
      + "PHP_ADMIN_VALUE: open_basedir=/\r\n"
      + "PHP-ADMIN-VALUE: open_basedir=/\r\n"
      + "SCRIPT_FILENAME: /etc/passwd\r\n"
      + "Script-Filename: /etc/passwd\r\n"
      + "Content_Length: 99\r\n"
      + "Content-Type: text/evil\r\n"
      + "Document-Root: /\r\n"
      + "Remote-Addr: 6.6.6.6\r\n"
      + "Https: on\r\n"
      + "Http-Host: evil.test\r\n");
    JsonObject server = dump.getJsonObject("server");
    assertNull(server.getString("PHP_VALUE"));
    assertNull(server.getString("PHP_ADMIN_VALUE"));
    assertEquals("", dump.getString("ini_auto_append"), "no header sets an ini value");
    assertEquals(site.docroot.resolve("dump.php").toString(), server.getString("SCRIPT_FILENAME"));
    assertEquals("", server.getString("CONTENT_LENGTH"));
    assertEquals("text/evil", server.getString("CONTENT_TYPE"), "as nginx: $content_type is the header");
    assertEquals("127.0.0.1", server.getString("REMOTE_ADDR"));
    assertNull(server.getString("HTTPS"));
    assertEquals("site.test", server.getString("HTTP_HOST"));
    assertEquals("evil.test", server.getString("HTTP_HTTP_HOST"));
    assertEquals("display_errors=On", server.getString("HTTP_PHP_VALUE"), "dashes: an HTTP_ parameter only");
    assertEquals("/etc/passwd", server.getString("HTTP_SCRIPT_FILENAME"));
    Set<String> added = new HashSet<>(server.fieldNames());
    added.removeAll(baseline.fieldNames());
    for (String name : added) {
      assertTrue(name.startsWith("HTTP_"), name + " came from a header");
    }
    assertSameFixedParameters(baseline, server);
  }

  /** Every parameter that is not an HTTP_ header and not per-request time is the same as without the trick. */
  private static void assertSameFixedParameters(JsonObject baseline, JsonObject server) {
    for (String name : baseline.fieldNames()) {
      if (name.startsWith("HTTP_") || name.startsWith("REQUEST_TIME") || name.equals("REMOTE_PORT")
        || name.equals("CONTENT_TYPE")) {
        continue;
      }
      assertEquals(baseline.getString(name), server.getString(name), name);
    }
  }

  @Test
  void xAccelResponseHeadersAreStripped() throws IOException {
    RawHttp.Response r = RawHttp.get(port, "site.test", "/headers.php?h[]=X-Accel-Redirect:%20/outside/secret.txt"
      + "&h[]=X-Accel-Buffering:%20no&h[]=X-Accel-Expires:%200&h[]=x-accel-limit-rate:%201&h[]=X-Kept:%20yes");
    assertEquals(200, r.status());
    assertEquals("body\n", r.text(), "no internal redirect");
    assertNull(r.header("X-Accel-Redirect"));
    assertNull(r.header("X-Accel-Buffering"));
    assertNull(r.header("X-Accel-Expires"));
    assertNull(r.header("X-Accel-Limit-Rate"));
    assertEquals("yes", r.header("X-Kept"));
  }

  @Test
  void hopByHopResponseHeadersFromPhpAreDropped() throws IOException {
    RawHttp.Response r = RawHttp.get(port, "site.test", "/headers.php?h[]=Connection:%20close"
      + "&h[]=Transfer-Encoding:%20chunked&h[]=Keep-Alive:%20timeout=1&h[]=Upgrade:%20h2c");
    assertEquals(200, r.status());
    assertEquals("body\n", r.text());
    assertNull(r.header("Connection"));
    assertNull(r.header("Keep-Alive"));
    assertNull(r.header("Upgrade"));
  }
}
