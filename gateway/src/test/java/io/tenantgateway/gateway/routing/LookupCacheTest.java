package io.tenantgateway.gateway.routing;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * {@link LookupCache}: how long a lookup is kept, and its bound.
 */
class LookupCacheTest {

  private static final DocrootLookup.Entry FILE = new DocrootLookup.Entry(DocrootLookup.Kind.FILE,
    DocrootLookup.Place.DOCROOT);

  private final AtomicLong now = new AtomicLong(-5);
  private final LookupCache cache = new LookupCache(now::get);

  @Test
  void aLookupIsKeptUntilItsValidityEnds() {
    cache.put("/a.php", FILE);
    now.addAndGet(LookupCache.VALIDITY_NANOS - 1);
    assertEquals(FILE, cache.get("/a.php"));
    now.incrementAndGet();
    assertNull(cache.get("/a.php"));
    assertEquals(0, cache.size(), "an expired lookup is dropped");
  }

  @Test
  void anUnknownPathIsNotKept() {
    assertNull(cache.get("/never.php"));
  }

  @Test
  void aFullCacheStartsAgainEmpty() {
    for (int i = 0; i < LookupCache.MAX_ENTRIES; i++) {
      cache.put("/f" + i, FILE);
    }
    assertEquals(LookupCache.MAX_ENTRIES, cache.size());
    cache.put("/one-more", FILE);
    assertEquals(1, cache.size());
    assertEquals(FILE, cache.get("/one-more"));
    assertNull(cache.get("/f0"));
  }
}
