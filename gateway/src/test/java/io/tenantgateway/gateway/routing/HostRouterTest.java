package io.tenantgateway.gateway.routing;

import io.tenantgateway.gateway.registry.Tenant;
import io.tenantgateway.gateway.registry.TenantParser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link HostRouter}: exact names, wildcards, normalisation; and the values {@link TenantSite} derives.
 */
class HostRouterTest {

  @TempDir
  Path docroot;

  private HostRouter router;

  @BeforeEach
  void router() {
    router = new HostRouter(List.of(
      Sites.tenant("plain", docroot, "a.test", "www.a.test"),
      Sites.tenant("wild", docroot, "*.w.test"),
      Sites.tenant("deep", docroot, "*.deep.w.test"),
      Sites.tenant("exact", docroot, "x.w.test", "x.deep.w.test"),
      Sites.tenant("idn", docroot, "bücher.example"),
      Sites.tenant("tld", docroot, "*.other")));
  }

  private String route(String host) {
    TenantSite site = router.route(host);
    return site == null ? null : site.id();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "a.test, plain",
    "www.a.test, plain",
    "A.TEST, plain",
    "Www.A.Test, plain",
    "a.test., plain",
    "A.Test., plain",
    "xn--bcher-kva.example, idn",
    "XN--BCHER-KVA.EXAMPLE, idn",
  })
  void exactNames(String host, String tenant) {
    assertEquals(tenant, route(host));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "foo.w.test, wild",
    "FOO.W.TEST, wild",
    "foo.w.test., wild",
    "a.b.c.d.w.test, wild",
    "deep.w.test, wild",
    "foo.deep.w.test, deep",
    "a.b.deep.w.test, deep",
    "x.w.test, exact",
    "x.deep.w.test, exact",
    "y.x.w.test, wild",
    "y.x.deep.w.test, deep",
    "foo.other, tld",
  })
  void wildcards(String host, String tenant) {
    assertEquals(tenant, route(host));
  }

  @Test
  void wildcardDoesNotMatchTheBareDomain() {
    assertNull(route("w.test"));
    assertNull(route("other"));
  }

  @Test
  void longestWildcardWins() {
    assertEquals("deep", route("q.deep.w.test"));
    assertEquals("wild", route("q.deeper.w.test"));
    assertEquals("wild", route("qdeep.w.test"), "a wildcard matches whole labels only");
  }

  @Test
  void exactBeatsWildcard() {
    assertEquals("exact", route("x.w.test"));
    assertEquals("exact", route("x.deep.w.test"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"b.test", "a.test.evil", "evila.test", "test", "w.test.", "a.test..", ".", "",
    "bücher.example"})
  void unknownHostsAreNull(String host) {
    assertNull(route(host));
  }

  @Test
  void nullHostIsNull() {
    assertNull(router.route(null));
  }

  @Test
  void suffixOfAnExactNameDoesNotMatch() {
    assertNull(route("foo.a.test"), "an exact domain does not cover its subdomains");
  }

  @Test
  void emptyRegistryRoutesNothing() {
    assertNull(new HostRouter(List.of()).route("a.test"));
  }

  @Test
  void disabledTenantsAreRoutedToo() {
    Tenant disabled = TenantParser.parse(new JsonObject().put("id", "off")
      .put("domains", new JsonArray().add("off.test")).put("docroot", docroot.toString()).put("enabled", false));
    TenantSite site = new HostRouter(List.of(disabled)).route("off.test");
    assertEquals("off", site.id());
    assertEquals(false, site.tenant().enabled());
  }

  @Test
  void allDomainsOfATenantShareOneSite() {
    assertSame(router.route("a.test"), router.route("www.a.test"));
  }

  @Test
  void normalize() {
    assertEquals("a.test", HostRouter.normalize("A.Test."));
    assertEquals("a.test", HostRouter.normalize("a.test"));
    assertNull(HostRouter.normalize("."));
    assertNull(HostRouter.normalize(""));
    assertNull(HostRouter.normalize(null));
  }

  @Test
  void serverNameIsTheFirstExactDomain() {
    assertEquals("a.test", router.route("www.a.test").serverName("www.a.test"));
    assertEquals("x.w.test", router.route("x.deep.w.test").serverName("x.deep.w.test"));
    assertEquals("foo.w.test", router.route("foo.w.test").serverName("foo.w.test"),
      "a tenant with only wildcards gets the request host");
    TenantSite mixed = new TenantSite(Sites.tenant("mixed", docroot, "*.m.test", "m.test"));
    assertEquals("m.test", mixed.serverName("z.m.test"));
  }

  @Test
  void siteDocroots() throws IOException {
    Path real = Files.createDirectory(docroot.resolve("real"));
    Path link = Files.createSymbolicLink(docroot.resolve("link"), real);
    TenantSite site = new TenantSite(Sites.tenant("linked", link, "l.test"));
    assertEquals(link, site.docroot());
    assertEquals(real.toRealPath(), site.realDocroot());
  }

  @Test
  void siteEndpoint() {
    assertNull(router.route("a.test").endpoint(), "no backend: the provisioner runs the pool");
    Tenant legacy = TenantParser.parse(new JsonObject().put("id", "legacy")
      .put("domains", new JsonArray().add("l.test")).put("docroot", docroot.toString())
      .put("backend", "unix:/run/php/legacy.sock").put("php", new JsonObject().put("max_children", 7)));
    TenantSite site = new TenantSite(legacy);
    assertEquals("unix:/run/php/legacy.sock", site.endpoint().key());
    assertEquals(7, site.endpoint().maxConnections());
  }

  @Test
  void siteWithAVanishedDocrootStillRoutesSoOtherTenantsKeepServing() throws IOException {
    Path gone = Files.createDirectory(docroot.resolve("gone"));
    Tenant tenant = Sites.tenant("gone", gone, "g.test");
    Files.delete(gone);
    TenantSite site = new TenantSite(tenant);
    assertEquals(gone, site.realDocroot());
    assertEquals(new RequestMapper().map(site, "/x.css"), new Mapping.Refused(404));
  }
}
