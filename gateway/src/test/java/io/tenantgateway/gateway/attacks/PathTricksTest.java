package io.tenantgateway.gateway.attacks;

import io.tenantgateway.gateway.testing.RawHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Paths that try to run what is not a real {@code .php} file of the docroot, or to read outside it:
 * CVE-2019-11043's newline in PATH_INFO, NUL, encoded dots and slashes, double encoding,
 * backslashes, symlinks out of the docroot, {@code cgi.fix_pathinfo}-style {@code upload.jpg/x.php},
 * look-alike extensions. Extends {@code GatewayPhpFpmTest#forbiddenPathsAreNeverServed} and
 * {@code #controlCharactersInThePathAre400}, which are not repeated here. After every request, every
 * script that ran must be a regular {@code .php} file whose real path is inside the docroot.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PathTricksTest {

  private static final String PHP_SOURCE = "<?php echo \"%s\\n\";\n";

  private AttackSite site;
  private int port;

  @BeforeAll
  void start() throws Exception {
    site = AttackSite.start("paths");
    Path docroot = site.docroot;
    Files.writeString(docroot.resolve("upload.jpg"), PHP_SOURCE.formatted("JPG-RAN"));
    Files.writeString(docroot.resolve("a.php.txt"), PHP_SOURCE.formatted("TXT-RAN"));
    Files.writeString(docroot.resolve("case.pHp"), PHP_SOURCE.formatted("CASE-RAN"));
    Files.writeString(docroot.resolve("upper.PHP5"), PHP_SOURCE.formatted("PHP5-RAN"));
    Files.writeString(docroot.resolve("trail.php."), PHP_SOURCE.formatted("DOT-RAN"));
    Files.writeString(docroot.resolve("space.php "), PHP_SOURCE.formatted("SPACE-RAN"));
    Files.writeString(docroot.resolve("uni\uff0e\uff50\uff48\uff50"), PHP_SOURCE.formatted("FULLWIDTH-RAN"));
    Files.writeString(docroot.resolve("data.php::$DATA"), PHP_SOURCE.formatted("DATA-RAN"));
    Files.createSymbolicLink(docroot.resolve("link-file.php"), site.outside.resolve("secret.php"));
    Files.createSymbolicLink(docroot.resolve("link-file.txt"), site.outside.resolve("secret.txt"));
    Files.createSymbolicLink(docroot.resolve("link-dir"), site.outside);
    Files.createSymbolicLink(docroot.resolve("alias.php"), docroot.resolve("hit.php"));
    Files.createDirectories(docroot.resolve("sub"));
    Files.writeString(docroot.resolve("sub/index.php"), PHP_SOURCE.formatted("SUB-INDEX"));
    port = site.gateway(Map.of(), "");
  }

  @AfterAll
  void stop() throws Exception {
    if (site != null) {
      site.close();
    }
  }

  /** Every script that ran, ever, was a regular .php file inside the docroot. */
  @AfterEach
  void onlyRealPhpFilesOfTheDocrootRan() throws IOException {
    Path realDocroot = site.docroot.toRealPath();
    for (String hit : site.hits()) {
      String file = hit.substring(hit.indexOf(' ', hit.indexOf(' ') + 1) + 1);
      Path path = Path.of(file);
      assertTrue(file.endsWith(".php"), "ran a file not named .php: " + hit);
      assertTrue(Files.isRegularFile(path), "ran something that is not a file: " + hit);
      assertTrue(path.toRealPath().startsWith(realDocroot), "ran a file outside the docroot: " + hit);
    }
  }

  private static void assertNothingLeaked(RawHttp.Response r, String target) {
    String text = r.text();
    for (String secret : new String[] {"OUTSIDE-RAN", "OUTSIDE-SECRET", "JPG-RAN\n", "TXT-RAN\n", "CASE-RAN",
      "PHP5-RAN", "DOT-RAN", "SPACE-RAN", "FULLWIDTH-RAN\n", "DATA-RAN", "root:x:0:0"}) {
      assertFalse(text.contains(secret) && !text.contains("<?php"), target + " ran " + secret);
    }
    assertFalse(text.contains("OUTSIDE"), target + " read outside the docroot: " + text);
  }

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource(delimiter = '|', value = {
    // CVE-2019-11043: a newline in the path breaks fastcgi_split_path_info; with a long query
    "scripts.test|/dump.php/PHP%0Ais_the_shittiest_lang.php?QQQQ|400",
    "site.test|/index.php/PHP%0Ais_the_shittiest_lang.php?QQQQ|400",
    "scripts.test|/dump.php/%0a|400",
    "scripts.test|/dump.php/a%0db|400",
    "scripts.test|/dump.php/a%0d%0aX-Injected:%201|400",
    // NUL
    "scripts.test|/dump.php%00.jpg|400",
    "site.test|/a.php%00.jpg|400",
    "site.test|/upload.jpg%00.php|400",
    "scripts.test|/dump.php/x%00y|400",
    // encoded dots and slashes
    "site.test|/sub/%2e%2e/%2e%2e/outside/secret.php|400",
    "site.test|/%2e%2e%2foutside%2fsecret.txt|400",
    "scripts.test|/dump.php/%2e%2e/%2e%2e/outside/secret.php|400",
    "scripts.test|/sub/%2E%2E/%2E%2E/outside/secret.php|400",
    "site.test|/./sub/./../../outside/secret.txt|400",
    "scripts.test|/%2e%2e/outside/secret.php/x|400",
    // double encoding: decoded once, the rest is a literal name
    "scripts.test|/%252e%252e/%252e%252e/outside/secret.php|404",
    "scripts.test|/%252e%252e%252foutside%252fsecret.php|404",
    "scripts.test|/%252e%252e/outside/secret.txt|404",
    // backslashes
    "site.test|/sub\\..\\..\\outside\\secret.php|400",
    "scripts.test|/dump.php\\..\\..\\outside\\secret.php|400",
    "site.test|/sub%5c..%5c..%5coutside%5csecret.txt|400",
    // symlinks out of the docroot, to a file and to a directory
    "site.test|/link-file.php|404",
    "scripts.test|/link-file.php|404",
    "scripts.test|/link-file.php/x|404",
    "site.test|/link-file.txt|404",
    "site.test|/link-dir/secret.php|404",
    "scripts.test|/link-dir/secret.php|404",
    "scripts.test|/link-dir/secret.php/x|404",
    "site.test|/link-dir/secret.txt|404",
    "site.test|/link-dir/|404",
    "site.test|/link-dir|404",
    // not a .php file, however named
    "site.test|/upload.jpg/x.php|404",
    "scripts.test|/upload.jpg/x.php|404",
    "scripts.test|/upload.jpg/x.php/y|404",
    "site.test|/case.pHp|404",
    "scripts.test|/case.pHp|404",
    "site.test|/upper.PHP5|404",
    "site.test|/trail.php.|404",
    "site.test|/space.php%20|404",
    "scripts.test|/trail.php.|404",
    "scripts.test|/hit.php.|404",
    "scripts.test|/hit.php%20|404",
    "scripts.test|/hit.php::$DATA|404",
    "scripts.test|/HIT.PHP|404",
    "scripts.test|/hit.PHP|404",
    "scripts.test|/hit%EF%BC%8E%EF%BD%90%EF%BD%88%EF%BD%90|404",
    "scripts.test|/hit.p%C4%A7p|404",
  })
  void neverRunsOrReadsWhatItMustNot(String host, String target, int status) throws IOException {
    if (target.contains("QQQQ")) {
      target = target.replace("QQQQ", "Q".repeat(1700));
    }
    RawHttp.Response r = RawHttp.get(port, host, target);
    assertEquals(status, r.status(), host + target + ": " + r.text());
    assertNothingLeaked(r, target);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "/a.php.txt|TXT-RAN",
    "/upload.jpg|JPG-RAN",
    "/uni%EF%BC%8E%EF%BD%90%EF%BD%88%EF%BD%90|FULLWIDTH-RAN",
    "/data.php::$DATA|DATA-RAN",
  })
  void lookAlikesAreStaticFilesNeverScripts(String target, String marker) throws IOException {
    RawHttp.Response r = RawHttp.get(port, "site.test", target);
    assertEquals(200, r.status());
    assertTrue(r.text().startsWith("<?php"), "served as the file it is, not run: " + r.text());
    assertFalse(r.header("Content-Type").contains("html"), r.header("Content-Type"));
    site.assertNotExecuted(port, target);
  }

  @Test
  void frontControllerLookAlikesRunTheIndexNotTheFile() throws IOException {
    for (String target : new String[] {"/hit.php.", "/hit.php%20", "/hit.php::$DATA", "/HIT.PHP",
      "/hit%EF%BC%8E%EF%BD%90%EF%BD%88%EF%BD%90", "/%252e%252e/outside/secret.txt"}) {
      RawHttp.Response r = RawHttp.get(port, "site.test", target);
      assertEquals(200, r.status(), target);
      assertTrue(r.text().startsWith("front "), target + ": the front controller, as try_files: " + r.text());
    }
  }

  @Test
  void aMissingScriptWithPathInfoIs404InFrontControllerModeToo() throws IOException {
    RawHttp.Response r = RawHttp.get(port, "site.test", "/%252e%252e/outside/secret.php/x");
    assertEquals(404, r.status(), "as nginx's try_files $fastcgi_script_name =404: " + r.text());
    site.assertNotExecuted(port, "secret.php");
  }

  @Test
  void aSymlinkInsideTheDocrootToARealScriptRuns() throws IOException {
    RawHttp.Response r = RawHttp.get(port, "site.test", "/alias.php?ok=alias");
    assertEquals(200, r.status());
    assertEquals("hit\n", r.text());
  }

  @Test
  void pathInfoWithEncodedSlashReachesOnlyTheRealScript() throws IOException {
    RawHttp.Response r = RawHttp.get(port, "scripts.test", "/dump.php%2Fx%2F..%2F..%2F..%2Fetc%2Fpasswd");
    assertTrue(r.status() == 400 || r.status() == 200, r.status() + " " + r.text());
    assertFalse(r.text().contains("root:x:0:0"));
  }
}
