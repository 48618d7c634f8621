package io.tenantgateway.gateway.routing;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * {@link LookupCache}: how long a lookup is kept, for which tenant, and its bound.
 */
class LookupCacheTest {

  private static final DocrootLookup.Entry FILE = new DocrootLookup.Entry(DocrootLookup.Kind.FILE,
    DocrootLookup.Place.DOCROOT);

  private final AtomicLong now = new AtomicLong(-5);
  private final LookupCache cache = new LookupCache(now::get);
  private final TenantSite site = Sites.site(Path.of("/tmp"), "scripts", "index.php");
  private final TenantSite other = Sites.site(Path.of("/tmp"), "scripts", "index.php");

  @Test
  void aLookupIsKeptUntilItsValidityEnds() {
    cache.put(site, "/a.php", FILE);
    now.addAndGet(LookupCache.VALIDITY_NANOS - 1);
    assertEquals(FILE, cache.get(site, "/a.php"));
    now.incrementAndGet();
    assertNull(cache.get(site, "/a.php"));
    assertEquals(0, cache.size(), "an expired lookup is dropped");
  }

  @Test
  void aLookupIsKeptForItsTenantOnly() {
    cache.put(site, "/a.php", FILE);
    assertNull(cache.get(other, "/a.php"));
    assertNull(cache.get(site, "/b.php"));
  }

  @Test
  void aFullCacheStartsAgainEmpty() {
    for (int i = 0; i < LookupCache.MAX_ENTRIES; i++) {
      cache.put(i % 2 == 0 ? site : other, "/f" + i, FILE);
    }
    assertEquals(LookupCache.MAX_ENTRIES, cache.size());
    cache.put(site, "/one-more", FILE);
    assertEquals(1, cache.size());
    assertEquals(FILE, cache.get(site, "/one-more"));
    assertNull(cache.get(site, "/f0"));
  }
}
