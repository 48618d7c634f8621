package io.tenantgateway.gateway.admin;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link AuthFailures} on a hand-driven clock: the window, the block that follows the last allowed
 * failure, {@code Retry-After} values, expiry and the cap on addresses.
 */
class AuthFailuresTest {

  private static final long WINDOW_MS = 60_000;

  private final AtomicLong now = new AtomicLong(1_000_000);

  private AuthFailures failures(int max, int maxAddresses) {
    return new AuthFailures(max, WINDOW_MS, maxAddresses, now::get);
  }

  private static void fail(AuthFailures failures, String address, int times) {
    for (int i = 0; i < times; i++) {
      failures.failed(address);
    }
  }

  @Test
  void theNthFailureWithinTheWindowBlocksForAWholeWindow() {
    AuthFailures failures = failures(10, 100);
    for (int i = 1; i < 10; i++) {
      assertFalse(failures.failed("10.0.0.1"), "failure " + i);
      assertEquals(0, failures.retryAfterSeconds("10.0.0.1"), "failure " + i);
      now.addAndGet(1_000);
    }
    assertTrue(failures.failed("10.0.0.1"), "the tenth failure blocks");
    assertEquals(60, failures.retryAfterSeconds("10.0.0.1"), "a whole window from the tenth failure");
    now.addAndGet(59_000);
    assertEquals(1, failures.retryAfterSeconds("10.0.0.1"));
    now.addAndGet(999);
    assertEquals(1, failures.retryAfterSeconds("10.0.0.1"), "rounded up: the address may not try before");
    now.addAndGet(1);
    assertEquals(0, failures.retryAfterSeconds("10.0.0.1"));
  }

  @Test
  void retryAfterRoundsUpToWholeSeconds() {
    AuthFailures failures = failures(1, 100);
    failures.failed("10.0.0.1");
    now.addAndGet(500);
    assertEquals(60, failures.retryAfterSeconds("10.0.0.1"));
    now.addAndGet(58_001);
    assertEquals(2, failures.retryAfterSeconds("10.0.0.1"));
  }

  @Test
  void failuresOlderThanTheWindowAreForgotten() {
    AuthFailures failures = failures(10, 100);
    fail(failures, "10.0.0.1", 9);
    now.addAndGet(WINDOW_MS);
    assertFalse(failures.failed("10.0.0.1"), "a new window began: this is its first failure");
    fail(failures, "10.0.0.1", 8);
    assertEquals(0, failures.retryAfterSeconds("10.0.0.1"));
    assertTrue(failures.failed("10.0.0.1"), "the tenth of the new window");
  }

  @Test
  void afterTheBlockTheCountStartsAgain() {
    AuthFailures failures = failures(3, 100);
    fail(failures, "10.0.0.1", 3);
    assertEquals(60, failures.retryAfterSeconds("10.0.0.1"));
    now.addAndGet(WINDOW_MS);
    assertEquals(0, failures.retryAfterSeconds("10.0.0.1"));
    assertFalse(failures.failed("10.0.0.1"));
    assertFalse(failures.failed("10.0.0.1"));
    assertTrue(failures.failed("10.0.0.1"));
  }

  @Test
  void failuresWhileBlockedNeitherCountNorExtendTheBlock() {
    AuthFailures failures = failures(2, 100);
    fail(failures, "10.0.0.1", 2);
    now.addAndGet(30_000);
    assertFalse(failures.failed("10.0.0.1"), "already blocked");
    assertEquals(30, failures.retryAfterSeconds("10.0.0.1"));
  }

  @Test
  void addressesAreCountedApart() {
    AuthFailures failures = failures(2, 100);
    fail(failures, "10.0.0.1", 2);
    assertEquals(60, failures.retryAfterSeconds("10.0.0.1"));
    assertEquals(0, failures.retryAfterSeconds("10.0.0.2"));
    assertEquals(0, failures.retryAfterSeconds("::1"));
    assertFalse(failures.failed("10.0.0.2"));
  }

  @Test
  void expiredAddressesLeaveTheTable() {
    AuthFailures failures = failures(2, 100);
    fail(failures, "10.0.0.1", 1);
    fail(failures, "10.0.0.2", 2);
    assertEquals(2, failures.size());
    now.addAndGet(WINDOW_MS);
    failures.failed("10.0.0.3");
    assertEquals(1, failures.size(), "both windows and the block ended");
    assertEquals(0, failures.retryAfterSeconds("10.0.0.2"));
  }

  @Test
  void aFullTableDropsItsOldestAddress() {
    AuthFailures failures = failures(2, 3);
    fail(failures, "10.0.0.1", 2);
    now.addAndGet(1_000);
    fail(failures, "10.0.0.2", 2);
    fail(failures, "10.0.0.3", 1);
    assertEquals(3, failures.size());
    assertFalse(failures.failed("10.0.0.4"));
    assertEquals(3, failures.size(), "the cap holds");
    assertEquals(0, failures.retryAfterSeconds("10.0.0.1"), "the oldest was dropped");
    assertEquals(60, failures.retryAfterSeconds("10.0.0.2"), "the others are kept");
    assertTrue(failures.failed("10.0.0.4"), "the new address is counted");
  }

  @Test
  void blockingIsLoggedOnceWithTheAddress() {
    Logger logger = (Logger) LoggerFactory.getLogger(AuthFailures.class);
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    logger.addAppender(events);
    try {
      AuthFailures failures = failures(3, 100);
      fail(failures, "10.0.0.7", 5);
      failures.retryAfterSeconds("10.0.0.7");
    } finally {
      logger.detachAppender(events);
    }
    assertEquals(1, events.list.size(), events.list.toString());
    assertEquals(Level.WARN, events.list.get(0).getLevel());
    String message = events.list.get(0).getFormattedMessage();
    assertTrue(message.contains("10.0.0.7") && message.contains("3 failed") && message.contains("60 s"), message);
  }

  @Test
  void limitsMustBePositive() {
    assertThrows(IllegalArgumentException.class, () -> new AuthFailures(0, WINDOW_MS, 10, now::get));
    assertThrows(IllegalArgumentException.class, () -> new AuthFailures(1, 0, 10, now::get));
    assertThrows(IllegalArgumentException.class, () -> new AuthFailures(1, WINDOW_MS, 0, now::get));
  }
}
