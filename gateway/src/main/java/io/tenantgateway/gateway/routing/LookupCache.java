package io.tenantgateway.gateway.routing;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The docroot lookups of one tenant that found a file or a directory with no symlink on the way,
 * kept for {@link #VALIDITY_NANOS}, as nginx's {@code open_file_cache} keeps them: a hot script is
 * then mapped without a syscall. A path that was missing or held a link is never kept, so a new
 * file is seen at once; a removed or replaced one is seen within the validity. Only routing reads
 * it: the static file server and PHP open their files themselves, where the boundary holds.
 *
 * <p>Bounded: once {@link #MAX_ENTRIES} paths are kept, the cache starts again empty, so a client
 * walking every file of a large docroot costs no more than lookups without a cache. Thread-safe.
 */
final class LookupCache {

  /** How long a lookup is reused: 1 s. */
  static final long VALIDITY_NANOS = 1_000_000_000L;
  /** The most paths kept per tenant. */
  static final int MAX_ENTRIES = 1024;

  private record Kept(DocrootLookup.Entry entry, long expires) {
  }

  private final ConcurrentHashMap<String, Kept> kept = new ConcurrentHashMap<>();
  private final LongSupplier clock;

  /** @param clock nanoseconds, as {@link System#nanoTime} */
  LookupCache(LongSupplier clock) {
    this.clock = clock;
  }

  /**
   * @param path a normalised request path
   * @return its lookup while still valid, or null
   */
  DocrootLookup.Entry get(String path) {
    Kept k = kept.get(path);
    if (k == null) {
      return null;
    }
    if (clock.getAsLong() - k.expires() >= 0) {
      kept.remove(path, k);
      return null;
    }
    return k.entry();
  }

  /**
   * Keeps a lookup that found a file or directory inside the docroot with no link on the way.
   *
   * @param path a normalised request path
   * @param entry what {@link DocrootLookup} found for it
   */
  void put(String path, DocrootLookup.Entry entry) {
    if (kept.size() >= MAX_ENTRIES) {
      kept.clear();
    }
    kept.put(path, new Kept(entry, clock.getAsLong() + VALIDITY_NANOS));
  }

  /** @return how many paths are kept */
  int size() {
    return kept.size();
  }
}
