package io.tenantgateway.gateway;

import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.testing.RawHttp;
import io.tenantgateway.gateway.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11: Debian's packaged phpMyAdmin ({@code apt-get install phpmyadmin}, which bin/test does)
 * served in place from {@code /usr/share/phpmyadmin} by a namespaced pool, its libraries and
 * configuration reachable only through {@code read_only_paths}, MariaDB through its bound socket.
 * Its page assets are symlinks into {@code /usr/share/javascript}: served because that is one of
 * the tenant's read-only paths. A user logs in and sees the server's databases.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PhpMyAdminGatewayTest {

  private static final Path PHPMYADMIN = Path.of("/usr/share/phpmyadmin");
  private static final Path MARIADB_SOCKET = Path.of("/run/mysqld/mysqld.sock");

  private final String user = "tg_pma_" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
  private final String password = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
  private TestDatabase db;
  private Gateway gateway;
  private Path work;

  @BeforeAll
  void start() throws Exception {
    assertTrue(Files.isRegularFile(PHPMYADMIN.resolve("index.php")),
      "Debian's phpMyAdmin is missing: bin/test installs it (apt-get install phpmyadmin dbconfig-no-thanks)");
    assertTrue(Files.exists(MARIADB_SOCKET), "the local MariaDB's socket " + MARIADB_SOCKET + " is missing: "
      + "bin/test starts MariaDB (service mariadb start)");
    db = TestDatabase.create();
    sql("CREATE USER '" + user + "'@'localhost' IDENTIFIED BY '" + password + "'");
    sql("GRANT ALL ON `" + db.name() + "`.* TO '" + user + "'@'localhost'");
    work = Files.createTempDirectory("gw-pma");
    Path tenants = work.resolve("tenants.yaml");
    Files.writeString(tenants, "tenants:\n"
      + "  - id: pma\n"
      + "    domains: [pma.test]\n"
      + "    docroot: " + PHPMYADMIN + "\n"
      + "    read_only_paths: [/usr/share/php, /etc/phpmyadmin, /var/lib/phpmyadmin, /usr/share/javascript]\n"
      + "    isolation: { unix_sockets: [" + MARIADB_SOCKET + "] }\n");
    gateway = Gateway.start(GatewayConfig.load(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_REGISTRY_FILE", tenants.toString(),
      "GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf",
      "GATEWAY_POOL_ISOLATION", "namespaces",
      "GATEWAY_RUN_DIR", work.resolve("run").toString()))).await(30, TimeUnit.SECONDS);
  }

  @AfterAll
  void stop() throws Exception {
    if (gateway != null) {
      gateway.stop().await(30, TimeUnit.SECONDS);
    }
    if (db != null) {
      sql("DROP USER IF EXISTS '" + user + "'@'localhost'");
      db.close();
    }
  }

  @Test
  void assetsLinkedIntoSharedJavascriptAreServed() throws Exception {
    for (String asset : List.of("/js/vendor/jquery/jquery.min.js", "/themes/pmahomme/jquery/jquery-ui.css")) {
      Path link = PHPMYADMIN.resolve(asset.substring(1));
      assertTrue(Files.isSymbolicLink(link), asset + " is a link in Debian's package");
      RawHttp.Response r = RawHttp.get(gateway.httpPort(), "pma.test", asset);
      assertEquals(200, r.status(), asset + ": " + r.text());
      assertArrayEquals(Files.readAllBytes(link.toRealPath()), r.body(), asset);
    }
    RawHttp.Response css = RawHttp.get(gateway.httpPort(), "pma.test", "/themes/pmahomme/css/theme.css");
    assertEquals(200, css.status(), "a plain file of the package");
  }

  @Test
  void aUserLogsInAndSeesTheDatabases() throws Exception {
    Map<String, String> cookies = new LinkedHashMap<>();
    RawHttp.Response login = request("GET", "/", cookies, null);
    assertEquals(200, login.status(), login.text());
    assertTrue(login.text().contains("pma_username"), "the login form: " + login.text());
    String token = match(login.text(), "name=\"token\" value=\"([0-9a-f]+)\"");
    String form = "pma_username=" + encode(user) + "&pma_password=" + encode(password) + "&server=1&token="
      + token + "&route=%2F";
    RawHttp.Response posted = request("POST", "/index.php?route=/", cookies, form);
    assertEquals(302, posted.status(), "a successful login redirects: " + posted.text());
    RawHttp.Response home = request("GET", "/index.php?route=/&server=1", cookies, null);
    assertEquals(200, home.status(), home.text());
    assertTrue(home.text().contains(db.name()), "the user's database is listed: " + home.text());
    assertTrue(home.text().contains("information_schema"), home.text());
  }

  private RawHttp.Response request(String method, String target, Map<String, String> cookies, String form)
      throws Exception {
    StringBuilder head = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: pma.test\r\n");
    if (!cookies.isEmpty()) {
      List<String> pairs = new ArrayList<>();
      cookies.forEach((k, v) -> pairs.add(k + "=" + v));
      head.append("Cookie: ").append(String.join("; ", pairs)).append("\r\n");
    }
    byte[] body = form == null ? new byte[0] : form.getBytes(StandardCharsets.US_ASCII);
    if (form != null) {
      head.append("Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ").append(body.length)
        .append("\r\n");
    }
    head.append("\r\n");
    try (RawHttp http = new RawHttp(gateway.httpPort())) {
      http.send(head.toString());
      http.send(body);
      RawHttp.Response r = http.read(false);
      for (String setCookie : r.headers("Set-Cookie")) {
        String pair = setCookie.split(";", 2)[0];
        int eq = pair.indexOf('=');
        String value = pair.substring(eq + 1);
        if (value.equals("deleted")) {
          cookies.remove(pair.substring(0, eq));
        } else {
          cookies.put(pair.substring(0, eq), value);
        }
      }
      return r;
    }
  }

  private static String match(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertTrue(m.find(), regex + " in " + text);
    return m.group(1);
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  private void sql(String statement) throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute(statement);
    }
  }
}
