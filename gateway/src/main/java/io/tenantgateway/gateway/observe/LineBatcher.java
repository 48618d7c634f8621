package io.tenantgateway.gateway.observe;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import org.slf4j.Logger;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Hands access log lines to the logger in batches, one batch per event loop: handing every line to
 * Logback's asynchronous appender on its own cost a queue lock and a thread wake-up per request,
 * about a quarter of the gateway's CPU per request. A batch goes out when it holds 16 KB or after at
 * most 100 ms, from its own event loop; lines written outside an event loop go out at once. Each line
 * is written straight into its batch, and every line ends in a newline: the appender writes batches
 * as they are ({@link MessageEncoder}).
 */
final class LineBatcher {

  private static final int MAX_CHARS = 16 * 1024;
  private static final long FLUSH_MS = 100;

  private final Logger logger;
  private final List<Batch> batches = new CopyOnWriteArrayList<>();
  private final ThreadLocal<Batch> own = new ThreadLocal<>();

  private static final class Batch {
    private final StringBuilder text = new StringBuilder(MAX_CHARS + 1024);
  }

  LineBatcher(Logger logger) {
    this.logger = logger;
  }

  /**
   * @param line writes one line, without its newline
   */
  void add(Consumer<StringBuilder> line) {
    Batch batch = own.get();
    if (batch == null) {
      Context context = Vertx.currentContext();
      if (context == null || !context.isEventLoopContext()) {
        StringBuilder alone = new StringBuilder(512);
        line.accept(alone);
        logger.info(alone.append('\n').toString());
        return;
      }
      batch = new Batch();
      own.set(batch);
      batches.add(batch);
      Batch timed = batch;
      context.owner().setPeriodic(FLUSH_MS, id -> flush(timed));
    }
    synchronized (batch) {
      line.accept(batch.text);
      batch.text.append('\n');
      if (batch.text.length() >= MAX_CHARS) {
        emit(batch);
      }
    }
  }

  /** Hands every pending line to the logger (at shutdown). */
  void flushAll() {
    batches.forEach(this::flush);
  }

  private void flush(Batch batch) {
    synchronized (batch) {
      if (batch.text.length() > 0) {
        emit(batch);
      }
    }
  }

  private void emit(Batch batch) {
    logger.info(batch.text.toString());
    batch.text.setLength(0);
  }
}
