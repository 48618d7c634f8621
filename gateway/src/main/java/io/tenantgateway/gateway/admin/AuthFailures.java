package io.tenantgateway.gateway.admin;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Failed admin authentications per client address, against brute-forcing the admin token. A window
 * of {@code admin.auth_window_s} opens at an address's first failure; its {@code admin.max_auth_failures}-th
 * failure within that window blocks the address for a whole window from then on: every authentication
 * attempt from it (bearer API and dashboard login, right token or wrong) is refused with 429 without
 * the token being compared. Afterwards the address starts again from nothing, so no address can
 * try more than that many wrong tokens per window.
 *
 * <ul>
 *   <li>A success does not reset the count: an address that mixes right and wrong tokens is limited
 *   all the same.</li>
 *   <li>Only wrong tokens count ({@link BearerAuth} calls {@link #failed} when a token was presented);
 *   a request without one guesses nothing.</li>
 *   <li>Memory stays bounded: an address is forgotten once its window and its block are over (at
 *   most two windows after its first failure), and the table holds at most {@code maxAddresses}.
 *   When it is full, the address with the oldest window is dropped, so that it may try again sooner:
 *   a flood of failures from many addresses must not lock the operator out.</li>
 *   <li>Blocking is logged once, at WARN, with the address; tokens are never logged.</li>
 * </ul>
 * Thread-safe: every method holds this object's lock for a few map operations (amortised), never for
 * I/O, so it may be called from any event loop.
 */
final class AuthFailures {

  private static final Logger LOG = LoggerFactory.getLogger(AuthFailures.class);

  /** The most addresses remembered at once. */
  static final int MAX_ADDRESSES = 10_000;
  /** The clock of a running gateway: monotonic milliseconds. */
  static final LongSupplier MONOTONIC_MS = () -> TimeUnit.NANOSECONDS.toMillis(System.nanoTime());

  private final int maxFailures;
  private final long windowMs;
  private final int maxAddresses;
  private final LongSupplier clockMs;
  /** By the start of each address's window, oldest first. */
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();

  private static final class Entry {
    final long windowEnd;
    int failures;
    long blockedUntil;

    Entry(long windowEnd) {
      this.windowEnd = windowEnd;
    }

    boolean over(long now) {
      return now >= windowEnd && now >= blockedUntil;
    }
  }

  /**
   * @param maxFailures failures within a window that block an address, at least 1
   * @param windowMs the window, and how long a block lasts, ms, at least 1
   * @param maxAddresses the most addresses remembered, at least 1
   * @param clockMs a monotonic clock in ms
   */
  AuthFailures(int maxFailures, long windowMs, int maxAddresses, LongSupplier clockMs) {
    if (maxFailures < 1 || windowMs < 1 || maxAddresses < 1) {
      throw new IllegalArgumentException("maxFailures, windowMs and maxAddresses must be positive");
    }
    this.maxFailures = maxFailures;
    this.windowMs = windowMs;
    this.maxAddresses = maxAddresses;
    this.clockMs = clockMs;
  }

  /**
   * @param address a client address
   * @return whole seconds, rounded up, until the address may authenticate again; 0 when it may now
   */
  synchronized long retryAfterSeconds(String address) {
    long now = clockMs.getAsLong();
    Entry entry = current(address, now);
    if (entry == null || now >= entry.blockedUntil) {
      return 0;
    }
    return (entry.blockedUntil - now + 999) / 1000;
  }

  /**
   * Counts a wrong token from the address; not counted while the address is blocked.
   *
   * @param address a client address
   * @return true when this failure blocked the address
   */
  synchronized boolean failed(String address) {
    long now = clockMs.getAsLong();
    Entry entry = current(address, now);
    if (entry == null) {
      if (entries.size() >= maxAddresses) {
        Iterator<Entry> oldest = entries.values().iterator();
        oldest.next();
        oldest.remove();
      }
      entry = new Entry(now + windowMs);
      entries.put(address, entry);
    } else if (now < entry.blockedUntil) {
      return false;
    }
    if (++entry.failures < maxFailures) {
      return false;
    }
    entry.blockedUntil = now + windowMs;
    LOG.warn("admin API: {} failed authentications from {} within {} s: its authentication attempts are "
      + "refused (429) for {} s", entry.failures, address, (windowMs + 999) / 1000, (windowMs + 999) / 1000);
    return true;
  }

  /** @return the addresses remembered */
  synchronized int size() {
    return entries.size();
  }

  /** Forgets the addresses whose window and block are over, from the oldest while there are any; then the address's. */
  private Entry current(String address, long now) {
    Iterator<Entry> oldest = entries.values().iterator();
    while (oldest.hasNext() && oldest.next().over(now)) {
      oldest.remove();
    }
    Entry entry = entries.get(address);
    if (entry != null && entry.over(now)) {
      entries.remove(address);
      return null;
    }
    return entry;
  }
}
