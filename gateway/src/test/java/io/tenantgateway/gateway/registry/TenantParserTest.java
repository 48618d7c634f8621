package io.tenantgateway.gateway.registry;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TenantParser}: defaults, and every rule with the field it names.
 */
class TenantParserTest {

  @TempDir
  Path docroot;

  private JsonObject json;

  @BeforeEach
  void minimal() {
    json = new JsonObject()
      .put("id", "blog")
      .put("domains", new JsonArray().add("blog.example.test"))
      .put("docroot", docroot.toString());
  }

  private static InvalidTenantException invalid(JsonObject json, String field, String message) {
    InvalidTenantException e = assertThrows(InvalidTenantException.class, () -> TenantParser.parse(json));
    assertEquals(field, e.field(), e.getMessage());
    assertEquals(message, e.getMessage());
    return e;
  }

  private InvalidTenantException invalid(String field, String message) {
    return invalid(json, field, message);
  }

  private InvalidTenantException invalidField(String field) {
    InvalidTenantException e = assertThrows(InvalidTenantException.class, () -> TenantParser.parse(json));
    assertEquals(field, e.field(), e.getMessage());
    assertEquals("blog", e.tenantId());
    assertTrue(e.getMessage().startsWith("tenant 'blog', field '" + field + "': "), e.getMessage());
    return e;
  }

  // ---- valid tenants

  @Test
  void minimalTenantGetsTheDefaults() {
    Tenant t = TenantParser.parse(json);
    assertEquals("blog", t.id());
    assertEquals(List.of("blog.example.test"), t.domains());
    assertEquals(docroot.toString(), t.docroot());
    assertEquals(new Tenant.Routing(Tenant.Mode.FRONT_CONTROLLER, "index.php"), t.routing());
    assertEquals(new Tenant.Php(5, 60, 60, Map.of(), Map.of()), t.php());
    assertEquals(new Tenant.Limits(256, 100, 64, 64, 32), t.limits());
    assertEquals(Tenant.Isolation.DEFAULT, t.isolation());
    assertNull(t.backend());
    assertTrue(t.enabled());
  }

  @Test
  void emptyGroupsGetTheDefaults() {
    json.put("routing", new JsonObject()).put("php", new JsonObject()).put("limits", new JsonObject());
    assertEquals(TenantParser.parse(minimalCopy()), TenantParser.parse(json));
  }

  @Test
  void nullGroupsGetTheDefaults() {
    json.putNull("routing").putNull("php").putNull("limits").putNull("backend");
    assertEquals(TenantParser.parse(minimalCopy()), TenantParser.parse(json));
  }

  private JsonObject minimalCopy() {
    return new JsonObject().put("id", "blog").put("domains", new JsonArray().add("blog.example.test"))
      .put("docroot", docroot.toString());
  }

  @Test
  void fullTenant() {
    json = new JsonObject()
      .put("id", "blog")
      .put("domains", new JsonArray().add("Blog.Example.Test.").add("*.blog.example.test"))
      .put("docroot", docroot.toString())
      .put("routing", new JsonObject().put("mode", "scripts").put("index", "app.php"))
      .put("php", new JsonObject().put("max_children", 12).put("idle_timeout_s", 300).put("request_timeout_s", 30)
        .put("ini", new JsonObject().put("memory_limit", "128M").put("opcache.enable", 1)
          .put("display_errors", false))
        .put("env", new JsonObject().put("APP_ENV", "prod").put("_X1", "a=b; c")))
      .put("limits", new JsonObject().put("memory_mb", 512).put("cpu_percent", 250).put("pids", 128)
        .put("max_body_mb", 0).put("max_concurrent", 100))
      .put("backend", "tcp:10.0.0.5:9000")
      .put("enabled", false);
    Tenant t = TenantParser.parse(json);
    assertEquals(List.of("blog.example.test", "*.blog.example.test"), t.domains());
    assertEquals(new Tenant.Routing(Tenant.Mode.SCRIPTS, "app.php"), t.routing());
    assertEquals(new Tenant.Php(12, 300, 30,
      Map.of("memory_limit", "128M", "opcache.enable", "1", "display_errors", "false"),
      Map.of("APP_ENV", "prod", "_X1", "a=b; c")), t.php());
    assertEquals(new Tenant.Limits(512, 250, 128, 0, 100), t.limits());
    assertEquals("tcp:10.0.0.5:9000", t.backend());
    assertFalse(t.enabled());
  }

  @Test
  void toJsonParsesBackToTheSameTenant() {
    json.put("routing", new JsonObject().put("mode", "scripts"))
      .put("php", new JsonObject().put("ini", new JsonObject().put("memory_limit", "64M")))
      .put("backend", "unix:/run/php/legacy.sock");
    Tenant t = TenantParser.parse(json);
    assertEquals(t, TenantParser.parse(t.toJson()));
    assertEquals("scripts", t.toJson().getJsonObject("routing").getString("mode"));
    assertEquals("unix:/run/php/legacy.sock", t.toJson().getString("backend"));
    assertFalse(TenantParser.parse(minimalCopy()).toJson().containsKey("backend"));
  }

  @Test
  void designDocumentExampleParses() {
    JsonObject example = new JsonObject("""
      {
        "id": "blog",
        "domains": ["blog.example.test", "*.blog.example.test"],
        "docroot": "/srv/tenants/blog/public",
        "root": "/srv/tenants/blog",
        "read_only_paths": ["/usr/share/php"],
        "routing": { "mode": "front-controller", "index": "index.php" },
        "php": { "max_children": 5, "idle_timeout_s": 60, "request_timeout_s": 60,
                 "ini": { "memory_limit": "128M" }, "env": { "APP_ENV": "prod" } },
        "limits": { "memory_mb": 256, "cpu_percent": 50, "pids": 64,
                    "max_body_mb": 64, "max_concurrent": 32 },
        "isolation": { "mode": "namespaces", "network": "none", "unix_sockets": ["/run/mysqld/mysqld.sock"] },
        "enabled": true
      }""").put("docroot", docroot.toString()).put("root", docroot.getParent().toString());
    Tenant t = TenantParser.parse(example);
    assertEquals(example, t.toJson());
  }

  @Test
  void parseDoesNotChangeItsInput() {
    JsonObject before = json.copy();
    TenantParser.parse(json);
    assertEquals(before, json);
  }

  // ---- id

  @ParameterizedTest
  @ValueSource(strings = {"a", "0", "a-", "blog-2", "abcdefghijklmnopqrstuvwxyz012345"})
  void validIds(String id) {
    assertEquals(id, TenantParser.parse(json.put("id", id)).id());
  }

  @ParameterizedTest
  @ValueSource(strings = {"Blog", "BLOG", "-blog", "blog_1", "blog.1", "blog 1", "blög", "blog\n",
    "abcdefghijklmnopqrstuvwxyz0123456"})
  void invalidIds(String id) {
    InvalidTenantException e = invalid(json.put("id", id), "id",
      "tenant, field 'id': '" + id + "' does not match [a-z0-9][a-z0-9-]{0,31}");
    assertNull(e.tenantId(), "a bad id is not reported as the tenant's name");
  }

  @Test
  void missingId() {
    json.remove("id");
    invalid("id", "tenant, field 'id': required, expected a non-empty string");
    invalid(json.put("id", ""), "id", "tenant, field 'id': required, expected a non-empty string");
    invalid(json.put("id", 12), "id", "tenant, field 'id': required, expected a non-empty string");
  }

  // ---- unknown fields

  @ParameterizedTest
  @CsvSource({
    "'', name",
    "'', Domains",
    "'', max_children",
    "routing., path",
    "routing., Mode",
    "php., max_childs",
    "php., memory_limit",
    "limits., memory",
    "limits., max_body",
    "isolation., net",
  })
  void unknownFieldsAreNamedWithTheirPath(String group, String key) {
    if (group.isEmpty()) {
      json.put(key, 1);
    } else {
      json.put(group.substring(0, group.length() - 1), new JsonObject().put(key, 1));
    }
    invalid(group + key, "tenant 'blog', field '" + group + key + "': unknown field");
  }

  @ParameterizedTest
  @ValueSource(strings = {"routing", "php", "limits", "isolation"})
  void groupsMustBeObjects(String group) {
    invalid(json.put(group, "x"), group, "tenant 'blog', field '" + group + "': expected an object");
    invalid(json.put(group, new JsonArray()), group, "tenant 'blog', field '" + group + "': expected an object");
  }

  // ---- the application tree

  @Test
  void theRootDefaultsToTheDocrootAndMustContainIt() {
    assertEquals(docroot.toString(), TenantParser.parse(json).root());
    json.put("root", docroot.getParent().toString()).put("read_only_paths", new JsonArray().add("/usr/share/php"));
    Tenant t = TenantParser.parse(json);
    assertEquals(docroot.getParent().toString(), t.root());
    assertEquals(List.of("/usr/share/php"), t.readOnlyPaths());
    assertEquals(t, TenantParser.parse(t.toJson()));
    json.put("root", docroot.resolve("inner").toString());
    invalidField("root");
    json.put("root", "relative/app");
    invalidField("root");
  }

  @ParameterizedTest
  @ValueSource(strings = {"open_basedir", "upload_tmp_dir", "session.save_path", "sys_temp_dir", "log_errors"})
  void iniKeysTheGatewaySetsAreRefusedNotSilentlyDropped(String key) {
    json.put("php", new JsonObject().put("ini", new JsonObject().put(key, "/anything")));
    InvalidTenantException e = invalidField("php.ini." + key);
    assertTrue(e.getMessage().contains("not settable here: the gateway sets it"), e.getMessage());
  }

  // ---- isolation

  @Test
  void isolationWithItsOwnNetworkAndSockets() {
    json.put("isolation", new JsonObject().put("mode", "namespaces").put("network", "none")
      .put("unix_sockets", new JsonArray().add("/run/mysqld//mysqld.sock").add("/run/redis/redis.sock")));
    Tenant t = TenantParser.parse(json);
    assertEquals(new Tenant.Isolation("namespaces", true, List.of("/run/mysqld/mysqld.sock", "/run/redis/redis.sock")),
      t.isolation());
    assertEquals(t, TenantParser.parse(t.toJson()));
  }

  @Test
  void noNetworkNeedsNamespaces() {
    json.put("isolation", new JsonObject().put("mode", "users-only").put("network", "none"));
    invalid("isolation.network", "tenant 'blog', field 'isolation.network': none needs isolation.mode namespaces");
    json.put("isolation", new JsonObject().put("network", "none"));
    assertTrue(TenantParser.parse(json).isolation().privateNetwork(), "the gateway's default decides at the start");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "mode|chroot|expected namespaces or users-only, got 'chroot'",
    "network|bridge|expected host or none, got 'bridge'",
  })
  void unknownIsolationValues(String field, String value, String message) {
    json.put("isolation", new JsonObject().put(field, value));
    invalid("isolation." + field, "tenant 'blog', field 'isolation." + field + "': " + message);
  }

  @ParameterizedTest
  @ValueSource(strings = {"run/mysqld.sock", "/run/a:b.sock", "/run/a;b", "/run/a\nb", "/run/$x"})
  void unixSocketsMustBePlainAbsolutePaths(String socket) {
    json.put("isolation", new JsonObject().put("unix_sockets", new JsonArray().add("/ok.sock").add(socket)));
    invalidField("isolation.unix_sockets[1]");
  }

  @Test
  void unixSocketsAreAShortListWithoutRepeats() {
    json.put("isolation", new JsonObject().put("unix_sockets", "/run/mysqld/mysqld.sock"));
    invalidField("isolation.unix_sockets");
    JsonArray many = new JsonArray();
    for (int i = 0; i < 17; i++) {
      many.add("/run/s" + i + ".sock");
    }
    json.put("isolation", new JsonObject().put("unix_sockets", many));
    invalidField("isolation.unix_sockets");
    json.put("isolation", new JsonObject().put("unix_sockets", new JsonArray().add("/a.sock").add("/a.sock")));
    invalidField("isolation.unix_sockets[1]");
  }

  // ---- domains

  @Test
  void domainsMustBeANonEmptyList() {
    String message = "tenant 'blog', field 'domains': expected a non-empty list of domain names";
    invalid(json.put("domains", new JsonArray()), "domains", message);
    invalid(json.put("domains", "blog.example.test"), "domains", message);
    json.remove("domains");
    invalid("domains", message);
  }

  @Test
  void domainMustBeAString() {
    invalid(json.put("domains", new JsonArray().add("a.test").add(5)), "domains[1]",
      "tenant 'blog', field 'domains[1]': expected a string");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ".", "bad domain", "a..b", "-a.test", "a-.test", "a.test:80", "a_b.test", "*", "*.",
    "a.*.test", "*.*.test", "**.test", "*a.test", "http://a.test", "a.test/x", "[::1]", "a@b.test", "a\nb.test",
    "a.test..", ".a.test"})
  void invalidDomains(String domain) {
    json.put("domains", new JsonArray().add("ok.test").add(domain));
    invalid("domains[1]", "tenant 'blog', field 'domains[1]': '" + domain + "' is not a valid domain name");
  }

  @Test
  void labelAndNameLengths() {
    String label63 = "a".repeat(63);
    assertEquals(label63 + ".test", TenantParser.normalizeDomain(label63 + ".test"));
    assertThrows(IllegalArgumentException.class, () -> TenantParser.normalizeDomain("a" + label63 + ".test"));
    String name253 = label63 + "." + label63 + "." + label63 + "." + "b".repeat(61);
    assertEquals(253, name253.length());
    assertEquals(name253, TenantParser.normalizeDomain(name253));
    assertThrows(IllegalArgumentException.class, () -> TenantParser.normalizeDomain(name253 + "b"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "blog.example.test, blog.example.test",
    "Blog.EXAMPLE.test, blog.example.test",
    "blog.example.test., blog.example.test",
    "*.Blog.Example.Test., *.blog.example.test",
    "localhost, localhost",
    "127.0.0.1, 127.0.0.1",
    "xn--bcher-kva.example, xn--bcher-kva.example",
    "bücher.example, xn--bcher-kva.example",
    "BÜCHER.example, xn--bcher-kva.example",
    "*.bücher.example, *.xn--bcher-kva.example",
    "例え.テスト, xn--r8jz45g.xn--zckzah",
  })
  void domainsAreNormalised(String domain, String expected) {
    assertEquals(expected, TenantParser.normalizeDomain(domain));
    assertEquals(List.of(expected), TenantParser.parse(json.put("domains", new JsonArray().add(domain))).domains());
  }

  @Test
  void domainListedTwice() {
    json.put("domains", new JsonArray().add("a.test").add("b.test").add("A.Test."));
    invalid("domains[2]", "tenant 'blog', field 'domains[2]': 'a.test' is listed twice");
    json.put("domains", new JsonArray().add("bücher.example").add("xn--bcher-kva.example"));
    invalid("domains[1]", "tenant 'blog', field 'domains[1]': 'xn--bcher-kva.example' is listed twice");
  }

  @Test
  void wildcardAndBareDomainAreDifferent() {
    json.put("domains", new JsonArray().add("a.test").add("*.a.test"));
    assertEquals(List.of("a.test", "*.a.test"), TenantParser.parse(json).domains());
  }

  // ---- docroot

  @Test
  void docrootMustBeAbsolute() {
    invalid(json.put("docroot", "public"), "docroot",
      "tenant 'blog', field 'docroot': 'public' is not an absolute path");
    invalid(json.put("docroot", "./public"), "docroot",
      "tenant 'blog', field 'docroot': './public' is not an absolute path");
    invalid(json.put("docroot", "~/public"), "docroot",
      "tenant 'blog', field 'docroot': '~/public' is not an absolute path");
  }

  @Test
  void docrootWithCharactersThatWouldChangeThePoolConfigurationIsRefused() {
    for (String bad : List.of("/srv/a\nlisten = /tmp/x", "/srv/a:/etc", "/srv/a;x", "/srv/a\"b", "/srv/a\rb",
      "/srv/a\u0000b", "/srv/$HOME", "/srv/a\\b")) {
      InvalidTenantException e = assertThrows(InvalidTenantException.class,
        () -> TenantParser.parse(json.copy().put("docroot", bad), false), bad);
      assertEquals("docroot", e.field(), bad);
      assertTrue(e.getMessage().contains("must not contain"), e.getMessage());
    }
  }

  @Test
  void docrootMustBeAnExistingDirectory() throws IOException {
    String missing = docroot.resolve("missing").toString();
    invalid(json.put("docroot", missing), "docroot",
      "tenant 'blog', field 'docroot': '" + missing + "' is not an existing directory");
    String file = Files.writeString(docroot.resolve("file"), "x").toString();
    invalid(json.put("docroot", file), "docroot",
      "tenant 'blog', field 'docroot': '" + file + "' is not an existing directory");
  }

  @Test
  void docrootIsRequired() {
    json.remove("docroot");
    invalid("docroot", "tenant 'blog', field 'docroot': required, expected a non-empty string");
    String message = "tenant 'blog', field 'docroot': required, expected a non-empty string";
    invalid(json.put("docroot", ""), "docroot", message);
    invalid(json.put("docroot", 5), "docroot", message);
  }

  @Test
  void docrootWithNulIsInvalid() {
    String bad = docroot + "/a\0b";
    invalid(json.put("docroot", bad), "docroot", "tenant 'blog', field 'docroot': must not contain control characters,"
      + " ':', ';', '\"', '\\' or '$' (they would change the pool configuration or open_basedir); found U+0000 at "
      + bad.indexOf('\0'));
  }

  @Test
  void docrootIsNormalised() throws IOException {
    Files.createDirectory(docroot.resolve("sub"));
    assertEquals(docroot.toString(), TenantParser.parse(json.put("docroot", docroot + "/./sub/..")).docroot());
    assertEquals(docroot.toString(), TenantParser.parse(json.put("docroot", docroot + "/")).docroot());
  }

  // ---- routing

  @ParameterizedTest
  @ValueSource(strings = {"php", "FRONT-CONTROLLER", "front_controller", "script", ""})
  void badRoutingMode(String mode) {
    json.put("routing", new JsonObject().put("mode", mode));
    invalid("routing.mode", "tenant 'blog', field 'routing.mode': expected front-controller or scripts, got '"
      + mode + "'");
  }

  @Test
  void routingModeMustBeAString() {
    json.put("routing", new JsonObject().put("mode", 1));
    invalid("routing.mode", "tenant 'blog', field 'routing.mode': expected a string");
  }

  @ParameterizedTest
  @ValueSource(strings = {"../x.php", "index.html", "sub/index.php", "/index.php", "index.PHP", "index.php.txt",
    ".php", "index php.php", "index.php\n", "", "index.phtml"})
  void badRoutingIndex(String index) {
    json.put("routing", new JsonObject().put("index", index));
    invalid("routing.index", "tenant 'blog', field 'routing.index': expected a .php file name without a path");
  }

  @Test
  void routingIndexMustBeAString() {
    json.put("routing", new JsonObject().put("index", true));
    invalid("routing.index", "tenant 'blog', field 'routing.index': expected a string");
  }

  @ParameterizedTest
  @ValueSource(strings = {"index.php", "app.php", "front_controller-2.php", "app.v2.php"})
  void goodRoutingIndex(String index) {
    json.put("routing", new JsonObject().put("index", index));
    assertEquals(index, TenantParser.parse(json).routing().index());
  }

  // ---- numbers

  @ParameterizedTest(name = "{0}.{1}: {2}..{3}")
  @CsvSource({
    "php, max_children, 1, 1024",
    "php, idle_timeout_s, 1, 86400",
    "php, request_timeout_s, 1, 86400",
    "limits, memory_mb, 16, 1048576",
    "limits, cpu_percent, 1, 100000",
    "limits, pids, 4, 1048576",
    "limits, max_body_mb, 0, 1048576",
    "limits, max_concurrent, 1, 1000000",
  })
  void numberRanges(String group, String field, int min, int max) {
    String path = group + "." + field;
    String message = "tenant 'blog', field '" + path + "': expected a whole number from " + min + " to " + max;
    for (Object bad : new Object[] {min - 1, max + 1, (long) Integer.MAX_VALUE + 1, Long.MIN_VALUE, "5", 5.0, 5.5,
      true, new JsonArray().add(5)}) {
      json.put(group, new JsonObject().put(field, bad));
      invalid(path, message);
    }
    json.put(group, new JsonObject().put(field, min));
    TenantParser.parse(json);
    json.put(group, new JsonObject().put(field, (long) max));
    TenantParser.parse(json);
  }

  @Test
  void numbersLandInTheirFields() {
    json.put("php", new JsonObject().put("max_children", 2).put("idle_timeout_s", 3).put("request_timeout_s", 4))
      .put("limits", new JsonObject().put("memory_mb", 17).put("cpu_percent", 6).put("pids", 7)
        .put("max_body_mb", 8).put("max_concurrent", 9));
    Tenant t = TenantParser.parse(json);
    assertEquals(new Tenant.Php(2, 3, 4, Map.of(), Map.of()), t.php());
    assertEquals(new Tenant.Limits(17, 6, 7, 8, 9), t.limits());
  }

  // ---- backend

  @ParameterizedTest
  @ValueSource(strings = {"http://x", "unix:relative", "unix:", "unix:run/php.sock", "tcp:host", "tcp:host:0",
    "tcp:host:65536", "tcp:host:-1", "tcp:host:x", "tcp::9000", "tcp:", "", "/run/php.sock", "UNIX:/run/php.sock",
    "10.0.0.5:9000"})
  void badBackends(String backend) {
    invalid(json.put("backend", backend), "backend",
      "tenant 'blog', field 'backend': expected unix:/absolute/path or tcp:host:port, got '" + backend + "'");
  }

  @Test
  void backendMustBeAString() {
    invalid(json.put("backend", 9000), "backend", "tenant 'blog', field 'backend': expected a string");
  }

  @ParameterizedTest
  @ValueSource(strings = {"unix:/run/php/legacy.sock", "tcp:10.0.0.5:9000", "tcp:localhost:1", "tcp:[::1]:65535"})
  void goodBackends(String backend) {
    assertEquals(backend, TenantParser.parse(json.put("backend", backend)).backend());
  }

  // ---- enabled

  @Test
  void enabledMustBeABoolean() {
    for (Object bad : new Object[] {"true", "yes", 1, 0, new JsonObject()}) {
      invalid(json.put("enabled", bad), "enabled", "tenant 'blog', field 'enabled': expected true or false");
    }
    assertTrue(TenantParser.parse(json.put("enabled", true)).enabled());
    assertFalse(TenantParser.parse(json.put("enabled", false)).enabled());
  }

  // ---- ini and env

  @ParameterizedTest
  @CsvSource({"ini, memory_limit", "env, APP_ENV"})
  void valuesWithLineBreaksOrNulAreRefused(String map, String key) {
    for (String bad : new String[] {"128M\nextension=evil.so", "a\rb", "a\r\nb", "\n", "a\0b"}) {
      json.put("php", new JsonObject().put(map, new JsonObject().put(key, bad)));
      invalid("php." + map + "." + key,
        "tenant 'blog', field 'php." + map + "." + key + "': must not contain line breaks or NUL");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"a b", "a[b]", "a=b", "a;b", "", "a\nb", "memory-limit", "ä"})
  void badIniNames(String key) {
    json.put("php", new JsonObject().put("ini", new JsonObject().put(key, "1")));
    invalid("php.ini." + key, "tenant 'blog', field 'php.ini." + key + "': invalid name");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1X", "A-B", "A.B", "A B", "", "A=B", "Ä"})
  void badEnvNames(String key) {
    json.put("php", new JsonObject().put("env", new JsonObject().put(key, "1")));
    invalid("php.env." + key, "tenant 'blog', field 'php.env." + key + "': invalid name");
  }

  @Test
  void iniAndEnvValuesMustBeScalars() {
    json.put("php", new JsonObject().put("ini", new JsonObject().put("a", new JsonObject())));
    invalid("php.ini.a", "tenant 'blog', field 'php.ini.a': expected a string, number or boolean");
    json.put("php", new JsonObject().put("env", new JsonObject().put("A", new JsonArray())));
    invalid("php.env.A", "tenant 'blog', field 'php.env.A': expected a string, number or boolean");
    json.put("php", new JsonObject().put("env", new JsonObject().putNull("A")));
    invalid("php.env.A", "tenant 'blog', field 'php.env.A': expected a string, number or boolean");
  }

  @Test
  void iniAndEnvMustBeObjects() {
    json.put("php", new JsonObject().put("ini", "memory_limit=1G"));
    invalid("php.ini", "tenant 'blog', field 'php.ini': expected an object");
    json.put("php", new JsonObject().put("env", new JsonArray().add("A=1")));
    invalid("php.env", "tenant 'blog', field 'php.env': expected an object");
  }

  @Test
  void iniAndEnvScalarsBecomeText() {
    json.put("php", new JsonObject()
      .put("ini", new JsonObject().put("max_execution_time", 30).put("display_errors", true).put("x.y", 1.5))
      .put("env", new JsonObject().put("EMPTY", "").put("SPACES", " a b ")));
    Tenant.Php php = TenantParser.parse(json).php();
    assertEquals(Map.of("max_execution_time", "30", "display_errors", "true", "x.y", "1.5"), php.ini());
    assertEquals(Map.of("EMPTY", "", "SPACES", " a b "), php.env());
  }

  // ---- misc

  @Test
  void firstBadFieldIsReported() {
    json.put("id", "Bad").put("docroot", "relative");
    invalid("id", "tenant, field 'id': 'Bad' does not match [a-z0-9][a-z0-9-]{0,31}");
  }

  @Test
  void resultIsImmutable() {
    json.put("php", new JsonObject().put("ini", new JsonObject().put("a", "1")));
    Tenant t = TenantParser.parse(json);
    assertImmutable(() -> t.domains().add("x.test"));
    assertImmutable(() -> t.php().ini().put("b", "2"));
    assertImmutable(() -> t.php().env().put("B", "2"));
  }

  private static void assertImmutable(Executable change) {
    assertThrows(UnsupportedOperationException.class, change);
  }

  @Test
  void invalidTenantExceptionMessage() {
    InvalidTenantException named = new InvalidTenantException("blog", "php.max_children", "too big");
    assertEquals("tenant 'blog', field 'php.max_children': too big", named.getMessage());
    assertEquals("blog", named.tenantId());
    assertEquals("php.max_children", named.field());
    InvalidTenantException anonymous = new InvalidTenantException(null, "id", "missing");
    assertEquals("tenant, field 'id': missing", anonymous.getMessage());
  }

  @Test
  void normalizeDomainRejectsWithTheGivenText() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
      () -> TenantParser.normalizeDomain("Bad_Name.test"));
    assertEquals("'Bad_Name.test' is not a valid domain name", e.getMessage());
  }

  @Test
  void parsedDocrootsOfDifferentSpellingsAreEqual() {
    assertEquals(TenantParser.parse(json).docroot(), TenantParser.parse(json.put("docroot", docroot + "//")).docroot());
  }

  @Test
  void invalidFieldHelperChecksTheTenantId() {
    json.put("limits", new JsonObject().put("pids", 1));
    invalidField("limits.pids");
  }
}
