package io.tenantgateway.provisioner.impl;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.CountDownLatch;

/**
 * Reads what a pool's master writes to its stdout and stderr (php-fpm's log, and through
 * {@code catch_workers_output} its workers' output and PHP's errors) from the pipe the gateway
 * gave it, and logs each line under {@code tenant.fpm}, tagged with the tenant. No path is
 * involved: the pipe is the gateway's own descriptor, which the tenant cannot swap. Every byte
 * below 0x20, DEL, C1 and the Unicode line, paragraph and bidirectional controls are escaped, so a
 * tenant cannot forge or disguise a gateway log line; lines are capped in length and in rate
 * ({@link LineBudget}: {@value #LINES_PER_SECOND} a second, bursts of {@value #LINE_BURST}; what is
 * dropped is counted in the log). The last lines are kept to explain a failed start.
 */
final class PoolOutput implements Runnable {

  private static final Logger LOG = LoggerFactory.getLogger("tenant.fpm");
  /** Longer lines are cut here, the rest of the line dropped. */
  static final int MAX_LINE = 4096;
  private static final int KEPT_LINES = 8;
  /** Lines a second a pool may log, sustained. */
  static final int LINES_PER_SECOND = 100;
  /** Lines a pool may log at once. */
  static final int LINE_BURST = 500;

  private final String tenant;
  private final InputStream in;
  private final ArrayDeque<String> last = new ArrayDeque<>();
  private final CountDownLatch ended = new CountDownLatch(1);
  private final LineBudget budget = new LineBudget(LINES_PER_SECOND, LINE_BURST, System.nanoTime());
  private final CountDownLatch begun = new CountDownLatch(1);
  private volatile boolean abandoned;

  private PoolOutput(String tenant, InputStream in) {
    this.tenant = tenant;
    this.in = in;
  }

  /**
   * Starts a daemon thread that waits for {@link #begin}, then reads the stream until it ends. A
   * staged pool gets its reader while it is built, so that its start creates no thread: a thread's
   * start waited 3-4 ms for a CPU on the event loop while php-fpm booted (perf trace).
   *
   * @param tenant the tenant id
   * @param in the master's merged stdout and stderr
   * @return the reader, waiting
   */
  static PoolOutput waiting(String tenant, InputStream in) {
    PoolOutput output = new PoolOutput(tenant, in);
    Thread thread = new Thread(null, output, "pool-output-" + tenant, 64 * 1024);
    thread.setDaemon(true);
    thread.start();
    return output;
  }

  /** Lets the reader read the stream, from where the caller left it; nothing else may read it then. */
  void begin() {
    begun.countDown();
  }

  /** Ends the reader without a read (the pool never ran). */
  void abandon() {
    abandoned = true;
    begun.countDown();
  }

  @Override
  public void run() {
    try {
      begun.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abandoned = true;
    }
    if (abandoned) {
      ended.countDown();
      return;
    }
    byte[] buffer = new byte[8192];
    byte[] line = new byte[MAX_LINE];
    int length = 0;
    try (in) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        for (int i = 0; i < n; i++) {
          if (buffer[i] == '\n') {
            line(line, length);
            length = 0;
          } else if (length < MAX_LINE) {
            line[length++] = buffer[i];
          }
        }
      }
    } catch (IOException e) {
      LOG.debug("tenant={} output closed: {}", tenant, e.getMessage());
    }
    if (length > 0) {
      line(line, length);
    }
    reportSuppressed();
    ended.countDown();
  }

  /**
   * Waits until everything the pool wrote has been read (its last process closed the pipe), so
   * that the message of a failed start holds the pool's last words.
   *
   * @param millis longest wait
   * @return the last lines read
   */
  String lastLinesAfterEnd(long millis) {
    try {
      ended.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return lastLines();
  }

  private void line(byte[] bytes, int length) {
    String text = escape(new String(bytes, 0, length, StandardCharsets.UTF_8)).strip();
    if (text.isEmpty()) {
      return;
    }
    synchronized (last) {
      if (last.size() == KEPT_LINES) {
        last.pollFirst();
      }
      last.addLast(text);
    }
    if (!budget.take(System.nanoTime())) {
      return;
    }
    reportSuppressed();
    if (text.contains("] ERROR: ") || text.contains("] ALERT: ") || text.contains("PHP Fatal error")) {
      LOG.error("tenant={} {}", tenant, text);
    } else if (text.contains("] WARNING: ") || text.contains("PHP Warning")) {
      LOG.warn("tenant={} {}", tenant, text);
    } else {
      LOG.info("tenant={} {}", tenant, text);
    }
  }

  private void reportSuppressed() {
    long dropped = budget.drainSuppressed();
    if (dropped > 0) {
      LOG.warn("tenant={} {} lines of pool output not logged (over {} lines/s)", tenant, dropped, LINES_PER_SECOND);
    }
  }

  /**
   * @param text a line from a tenant
   * @return the line with every control character as {@code \xNN}
   */
  static String escape(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean control = c < 0x20 && c != '\t' || c == 0x7f || c >= 0x80 && c < 0xa0 || c == '\u2028' || c == '\u2029'
        || c >= '\u202a' && c <= '\u202e' || c >= '\u2066' && c <= '\u2069' || c == '\u200e' || c == '\u200f';
      if (control && out == null) {
        out = new StringBuilder(text.length() + 16).append(text, 0, i);
      }
      if (out != null) {
        if (control) {
          out.append(c > 0xff ? String.format("\\u%04x", (int) c) : String.format("\\x%02x", (int) c));
        } else {
          out.append(c);
        }
      }
    }
    return out == null ? text : out.toString();
  }

  /** @return the last lines read, joined with {@code " | "} */
  String lastLines() {
    synchronized (last) {
      return String.join(" | ", last);
    }
  }
}
