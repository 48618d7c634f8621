package io.tenantgateway.fcgi;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

import java.util.ArrayDeque;
import java.util.List;

/**
 * A request body for tests: emits the given chunks on its context, honouring pause and fetch, then
 * ends. It starts paused, as the client expects of a body. With a tick, it emits one chunk per tick,
 * like a slow uploader.
 */
final class ChunkStream implements ReadStream<Buffer> {

  private final Context context;
  private final ArrayDeque<Buffer> chunks;
  private final long tickMillis;
  private long demand;
  private boolean ended;
  private boolean scheduled;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;

  ChunkStream(Context context, List<Buffer> chunks) {
    this(context, chunks, 0);
  }

  ChunkStream(Context context, List<Buffer> chunks, long tickMillis) {
    this.context = context;
    this.chunks = new ArrayDeque<>(chunks);
    this.tickMillis = tickMillis;
  }

  @Override
  public ChunkStream exceptionHandler(Handler<Throwable> handler) {
    return this;
  }

  @Override
  public synchronized ChunkStream handler(Handler<Buffer> handler) {
    this.handler = handler;
    return this;
  }

  @Override
  public synchronized ChunkStream pause() {
    demand = 0;
    return this;
  }

  @Override
  public ChunkStream resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public ChunkStream fetch(long amount) {
    synchronized (this) {
      demand = demand + amount < 0 ? Long.MAX_VALUE : demand + amount;
    }
    schedule(0);
    return this;
  }

  @Override
  public synchronized ChunkStream endHandler(Handler<Void> endHandler) {
    this.endHandler = endHandler;
    return this;
  }

  private void schedule(long delay) {
    synchronized (this) {
      if (scheduled) {
        return;
      }
      scheduled = true;
    }
    if (delay == 0) {
      context.runOnContext(v -> emit());
    } else {
      context.runOnContext(v -> context.owner().setTimer(delay, id -> emit()));
    }
  }

  private void emit() {
    synchronized (this) {
      scheduled = false;
    }
    int budget = tickMillis > 0 ? 1 : Integer.MAX_VALUE;
    while (budget-- > 0) {
      Handler<Buffer> h;
      Buffer chunk;
      synchronized (this) {
        if (demand == 0 || chunks.isEmpty()) {
          break;
        }
        if (demand != Long.MAX_VALUE) {
          demand--;
        }
        chunk = chunks.poll();
        h = handler;
      }
      if (h != null) {
        h.handle(chunk);
      }
    }
    Handler<Void> end = null;
    boolean more;
    synchronized (this) {
      more = !chunks.isEmpty() && demand > 0;
      if (chunks.isEmpty() && !ended && demand > 0) {
        ended = true;
        end = endHandler;
      }
    }
    if (end != null) {
      end.handle(null);
    } else if (more) {
      schedule(tickMillis);
    }
  }
}
