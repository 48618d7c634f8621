package io.tenantgateway.gateway.registry;

import io.tenantgateway.gateway.config.ConfigException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link YamlTenantFile} and {@link FileTenantStore#loadAll}: a whole tenants file, its cross-tenant rules
 * and its error messages.
 */
class YamlTenantFileTest {

  @TempDir
  Path dir;

  private Path file;
  private String docroot;

  @BeforeEach
  void setUp() throws IOException {
    file = dir.resolve("tenants.yaml");
    docroot = Files.createDirectory(dir.resolve("public")).toString();
  }

  private List<Tenant> read(String yaml) throws IOException {
    Files.writeString(file, yaml);
    return YamlTenantFile.read(file);
  }

  private String fails(String yaml) throws IOException {
    Files.writeString(file, yaml);
    ConfigException e = assertThrows(ConfigException.class, () -> YamlTenantFile.read(file));
    assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
    return e.getMessage();
  }

  private String twoTenants() {
    return """
      # two tenants
      tenants:
        - id: blog
          domains: ["blog.example.test", "*.blog.example.test"]
          docroot: %1$s
          routing: { mode: scripts, index: app.php }
          php:
            max_children: 3
            ini: { memory_limit: 128M, display_errors: "0" }
            env: { APP_ENV: prod }
          limits: { max_body_mb: 8 }
        - id: shop
          domains:
            - Shop.Example.Test.
            - bücher.example
          docroot: %1$s
          backend: "unix:/run/php/shop.sock"
          enabled: false
      """.formatted(docroot);
  }

  @Test
  void validFileWithTwoTenants() throws IOException {
    List<Tenant> tenants = read(twoTenants());
    assertEquals(2, tenants.size());
    Tenant blog = tenants.get(0);
    assertEquals("blog", blog.id());
    assertEquals(List.of("blog.example.test", "*.blog.example.test"), blog.domains());
    assertEquals(docroot, blog.docroot());
    assertEquals(new Tenant.Routing(Tenant.Mode.SCRIPTS, "app.php"), blog.routing());
    assertEquals(new Tenant.Php(3, 60, 60, Map.of("memory_limit", "128M", "display_errors", "0"),
      Map.of("APP_ENV", "prod")), blog.php());
    assertEquals(new Tenant.Limits(256, 100, 64, 8, 32), blog.limits());
    assertTrue(blog.enabled());
    Tenant shop = tenants.get(1);
    assertEquals("shop", shop.id());
    assertEquals(List.of("shop.example.test", "xn--bcher-kva.example"), shop.domains());
    assertEquals("unix:/run/php/shop.sock", shop.backend());
    assertFalse(shop.enabled());
  }

  @Test
  void sameTenantAsTheJsonForm() throws IOException {
    Tenant fromYaml = read(twoTenants()).get(0);
    assertEquals(fromYaml, TenantParser.parse(fromYaml.toJson()));
  }

  @Test
  void invalidTenantNamesFileIndexTenantAndField() throws IOException {
    String message = fails("""
      tenants:
        - id: blog
          domains: [blog.test]
          docroot: %1$s
        - id: shop
          domains: [shop.test]
          docroot: %1$s
          php: { max_childs: 4 }
      """.formatted(docroot));
    assertEquals(file + ": tenants[1]: tenant 'shop', field 'php.max_childs': unknown field", message);
  }

  @Test
  void invalidNumberIsReported() throws IOException {
    String message = fails("""
      tenants:
        - id: blog
          domains: [blog.test]
          docroot: %s
          limits: { pids: 2 }
      """.formatted(docroot));
    assertEquals(file + ": tenants[0]: tenant 'blog', field 'limits.pids': expected a whole number from 4 to 1048576",
      message);
  }

  @Test
  void invalidIdIsReportedWithoutATenantName() throws IOException {
    String message = fails("""
      tenants:
        - id: Blog
          domains: [blog.test]
          docroot: %s
      """.formatted(docroot));
    assertEquals(file + ": tenants[0]: tenant, field 'id': 'Blog' does not match [a-z0-9][a-z0-9-]{0,31}", message);
  }

  @Test
  void duplicateId() throws IOException {
    String message = fails("""
      tenants:
        - { id: blog, domains: [a.test], docroot: %1$s }
        - { id: shop, domains: [b.test], docroot: %1$s }
        - { id: blog, domains: [c.test], docroot: %1$s }
      """.formatted(docroot));
    assertEquals(file + ": tenants[2]: tenant 'blog', field 'id': defined twice", message);
  }

  @Test
  void domainClaimedByTwoTenants() throws IOException {
    String message = fails("""
      tenants:
        - { id: blog, domains: [a.test, shared.test], docroot: %1$s }
        - { id: shop, domains: [b.test, Shared.Test.], docroot: %1$s }
      """.formatted(docroot));
    assertEquals(file + ": tenants[1]: tenant 'shop', field 'domains[1]': 'shared.test' already belongs to tenant "
      + "'blog'", message);
  }

  @Test
  void wildcardClaimedByTwoTenants() throws IOException {
    String message = fails("""
      tenants:
        - { id: blog, domains: ["*.a.test"], docroot: %1$s }
        - { id: shop, domains: ["*.A.test"], docroot: %1$s }
      """.formatted(docroot));
    assertTrue(message.contains("'*.a.test' already belongs to tenant 'blog'"), message);
    assertTrue(message.contains("tenant 'shop'"), message);
  }

  @Test
  void idnAndPunycodeAreTheSameDomain() throws IOException {
    String message = fails("""
      tenants:
        - { id: blog, domains: [bücher.example], docroot: %1$s }
        - { id: shop, domains: [xn--bcher-kva.example], docroot: %1$s }
      """.formatted(docroot));
    assertTrue(message.contains("'xn--bcher-kva.example' already belongs to tenant 'blog'"), message);
  }

  @Test
  void wildcardAndBareDomainMayBelongToDifferentTenants() throws IOException {
    List<Tenant> tenants = read("""
      tenants:
        - { id: blog, domains: [a.test], docroot: %1$s }
        - { id: shop, domains: ["*.a.test"], docroot: %1$s }
      """.formatted(docroot));
    assertEquals(2, tenants.size());
  }

  @Test
  void unknownTopLevelKey() throws IOException {
    String message = fails("""
      tenant:
        - { id: blog, domains: [a.test], docroot: %s }
      """.formatted(docroot));
    assertEquals(file + ": unknown top-level field 'tenant' (expected 'tenants')", message);
  }

  @Test
  void emptyFilesHaveNoTenants() throws IOException {
    assertEquals(List.of(), read(""));
    assertEquals(List.of(), read("\n\n"));
    assertEquals(List.of(), read("# nothing yet\n"));
    assertEquals(List.of(), read("---\n"));
    assertEquals(List.of(), read("tenants:\n"));
    assertEquals(List.of(), read("tenants: []\n"));
  }

  @Test
  void tenantsMustBeAListOfObjects() throws IOException {
    assertEquals(file + ": 'tenants' must be a list", fails("tenants: {id: blog}\n"));
    assertEquals(file + ": 'tenants' must be a list", fails("tenants: blog\n"));
    assertEquals(file + ": tenants[0] must be an object", fails("tenants: [blog]\n"));
    assertEquals(file + ": tenants[1] must be an object",
      fails("tenants:\n  - { id: blog, domains: [a.test], docroot: %s }\n  - []\n".formatted(docroot)));
  }

  @Test
  void topLevelMustBeAMapping() throws IOException {
    assertEquals(file + ": the top level must be a mapping", fails("- id: blog\n"));
    assertEquals(file + ": the top level must be a mapping", fails("just text\n"));
  }

  @Test
  void brokenYamlNamesTheFile() throws IOException {
    for (String broken : new String[] {"tenants: [\n", "tenants:\n  - id: blog\n   domains: x\n", "a: b: c\n",
      "tenants: {id: blog\n", "\ttenants: []\n"}) {
      String message = fails(broken);
      assertTrue(message.startsWith(file + ": cannot read: "), message);
    }
  }

  @Test
  void duplicateKeysAreRefused() throws IOException {
    String message = fails("""
      tenants:
        - id: blog
          domains: [a.test]
          docroot: %1$s
          php: { max_children: 2 }
          php: { max_children: 50 }
      """.formatted(docroot));
    assertTrue(message.startsWith(file + ": cannot read: "), message);
    assertTrue(message.contains("Duplicate field 'php'"), message);
  }

  @Test
  void missingFileNamesTheFile() {
    Path missing = dir.resolve("missing.yaml");
    ConfigException e = assertThrows(ConfigException.class, () -> YamlTenantFile.read(missing));
    assertTrue(e.getMessage().startsWith(missing + ": cannot read: "), e.getMessage());
  }

  @Test
  void readYamlObject() throws IOException {
    Files.writeString(file, "a: 1\nb: { c: [x, 2] }\nd: \"\"\n");
    JsonObject json = YamlTenantFile.readYamlObject(file);
    assertEquals(new JsonObject("{\"a\": 1, \"b\": {\"c\": [\"x\", 2]}, \"d\": \"\"}"), json);
    assertNotNull(json.getJsonObject("b"), "nested mappings are JSON objects");
    Files.writeString(file, "");
    assertEquals(new JsonObject(), YamlTenantFile.readYamlObject(file));
  }

  @Test
  void committedTenantsFileLoads() {
    Path committed = Path.of("../conf/tenants.yaml");
    assertTrue(Files.isRegularFile(committed), "run from the gateway module: " + committed.toAbsolutePath());
    assertEquals(List.of(), YamlTenantFile.read(committed));
  }

  @Test
  void storeReadsTheTenantsWithVersionsThatSurviveARereading() throws IOException {
    Files.writeString(file, twoTenants());
    FileTenantStore store = new FileTenantStore(file);
    assertEquals(file, store.file());
    List<StoredTenant> first = store.loadAll();
    assertEquals(List.of("blog", "shop"), first.stream().map(StoredTenant::id).toList());
    assertEquals(first, new FileTenantStore(file).loadAll(), "versions are a function of the definitions");
    assertThrows(UnsupportedOperationException.class, () -> first.clear());
  }

  @Test
  void registryRefusesAnInvalidFile() throws IOException {
    Files.writeString(file, "tenants:\n  - { id: blog, domains: [], docroot: %s }\n".formatted(docroot));
    ConfigException e = assertThrows(ConfigException.class, () -> new FileTenantStore(file).loadAll());
    assertEquals(file + ": tenants[0]: tenant 'blog', field 'domains': expected a non-empty list of domain names",
      e.getMessage());
  }
}
