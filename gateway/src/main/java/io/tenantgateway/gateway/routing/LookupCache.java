package io.tenantgateway.gateway.routing;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Docroot lookups that found a file or a directory with no symlink on the way, kept for
 * {@link #VALIDITY_NANOS}, as nginx's {@code open_file_cache} keeps them: a hot script is then
 * mapped without a syscall. A path that was missing or held a link is never kept, so a new file is
 * seen at once; a removed or replaced one is seen within the validity. Only routing reads it: the
 * static file server and PHP open their files themselves, where the boundary holds.
 *
 * <p>One cache for all tenants, bounded: once {@link #MAX_ENTRIES} lookups are kept it starts again
 * empty, so a client walking every file of many docroots costs no more memory than this and no more
 * syscalls than lookups without a cache. A tenant replaced in the registry is a new
 * {@link TenantSite}, whose lookups start afresh. Thread-safe.
 */
final class LookupCache {

  /** How long a lookup is reused: 1 s. */
  static final long VALIDITY_NANOS = 1_000_000_000L;
  /** The most lookups kept, all tenants together (about 150 bytes each). */
  static final int MAX_ENTRIES = 4096;

  private record Key(TenantSite site, String path) {
  }

  private record Kept(DocrootLookup.Entry entry, long expires) {
  }

  private final ConcurrentHashMap<Key, Kept> kept = new ConcurrentHashMap<>();
  private final LongSupplier clock;

  /** A cache on {@link System#nanoTime}. */
  LookupCache() {
    this(System::nanoTime);
  }

  /** @param clock nanoseconds, as {@link System#nanoTime} */
  LookupCache(LongSupplier clock) {
    this.clock = clock;
  }

  /**
   * @param site the tenant
   * @param path a normalised request path
   * @return its lookup while still valid, or null
   */
  DocrootLookup.Entry get(TenantSite site, String path) {
    Key key = new Key(site, path);
    Kept k = kept.get(key);
    if (k == null) {
      return null;
    }
    if (clock.getAsLong() - k.expires() >= 0) {
      kept.remove(key, k);
      return null;
    }
    return k.entry();
  }

  /**
   * Keeps a lookup that found a file or directory inside the docroot with no link on the way.
   *
   * @param site the tenant
   * @param path a normalised request path
   * @param entry what {@link DocrootLookup} found for it
   */
  void put(TenantSite site, String path, DocrootLookup.Entry entry) {
    if (kept.size() >= MAX_ENTRIES) {
      kept.clear();
    }
    kept.put(new Key(site, path), new Kept(entry, clock.getAsLong() + VALIDITY_NANOS));
  }

  /** @return how many lookups are kept */
  int size() {
    return kept.size();
  }
}
