package io.tenantgateway.fcgi.impl;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.tenantgateway.fcgi.FcgiClosedException;
import io.tenantgateway.fcgi.FcgiProtocolException;
import io.tenantgateway.fcgi.ProtocolStatus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One socket to an application, carrying one request at a time. It decodes the records on its own
 * event loop and hands them to the {@link Exchange} attached to it, on that exchange's context.
 * Input that breaks the protocol, or arrives while no exchange is attached, closes the socket.
 *
 * <p>It reads the socket's own buffers, not Vert.x's heap copies of them: STDOUT goes to the
 * exchange as retained slices of the memory the kernel's bytes were read into, and the exchange
 * releases each (docs/ARCHITECTURE.md, "Response bodies without copies").
 */
final class FcgiConnection implements PooledConnection, RecordHandler {

  /** The most STDOUT bytes in flight to an exchange on another event loop before reading stops. */
  static final int MAX_HANDED_OVER = 256 * 1024;

  private final ContextInternal context;
  private final NetSocketInternal socket;
  private final long createdAt = System.currentTimeMillis();
  private final RecordDecoder decoder = new RecordDecoder(this);
  private final Consumer<FcgiConnection> closeCallback;
  private volatile Exchange exchange;
  private Exchange readBy;
  private volatile boolean open = true;
  /** Reading paused for a response whose caller is behind; written by the exchange holding the connection. */
  private volatile boolean readingPaused;
  /** The socket itself paused; read and written on the socket's event loop only. */
  private boolean socketPaused;
  /** STDOUT bytes handed to an exchange on another event loop that it has not taken in yet. */
  private final AtomicInteger handedOver = new AtomicInteger();
  private int requestsServed;

  FcgiConnection(ContextInternal context, NetSocket socket, Consumer<FcgiConnection> closeCallback) {
    this.context = context;
    this.socket = (NetSocketInternal) socket;
    this.closeCallback = closeCallback;
    this.socket.messageHandler(this::received);
    socket.closeHandler(v -> closedBySocket());
    socket.exceptionHandler(t -> close());
  }

  @Override
  public Context context() {
    return context;
  }

  @Override
  public long createdAt() {
    return createdAt;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  /**
   * Closes the socket at once. {@link NetSocket#close()} (and a close through the channel pipeline)
   * waits until every queued write is flushed, so a backend that stopped reading STDIN would keep
   * the socket, and its pool slot, forever. Closing from Vert.x's own handler context skips that
   * wait, as Vert.x does for its idle timeout.
   */
  @Override
  public void close() {
    socket.channelHandlerContext().close();
  }

  /** @return how many requests this connection carried before the current one */
  int requestsServed() {
    return requestsServed;
  }

  NetSocket socket() {
    return socket;
  }

  /**
   * @param capacity the expected size
   * @return a buffer from the socket's (pooled, direct) allocator, for {@link #writeOwned}
   */
  ByteBuf allocate(int capacity) {
    return socket.channelHandlerContext().alloc().directBuffer(capacity);
  }

  /**
   * Writes a buffer the socket then owns: the transport writes it as it is and releases it once
   * written or failed (a heap buffer would be copied into direct memory first). On the socket's
   * event loop it is flushed at once, even inside a read of this socket, where Vert.x would hold
   * it until the read completes: a request handed this connection by the END_REQUEST just read
   * then reaches its worker before the finished response is written to its client.
   *
   * @param data a buffer holding one reference, which passes to the socket
   * @return the write's outcome
   */
  Future<Void> writeOwned(ByteBuf data) {
    Future<Void> written = socket.writeMessage(data);
    ChannelHandlerContext handler = socket.channelHandlerContext();
    if (handler.executor().inEventLoop()) {
      handler.flush();
    }
    return written;
  }

  void attach(Exchange x) {
    exchange = x;
  }

  void detach(boolean completed) {
    exchange = null;
    if (completed) {
      requestsServed++;
    }
    resumeReading();
  }

  /**
   * Stops reading for a response whose caller is behind. The socket's own flow control is confined
   * to its event loop: from another loop the pause is a task there.
   */
  void pauseReading() {
    if (!readingPaused) {
      readingPaused = true;
      onSocketLoop(this::flowControl);
    }
  }

  /** Resumes reading if it was paused; a resume of a socket that reads costs a task on its event loop. */
  void resumeReading() {
    if (readingPaused) {
      readingPaused = false;
      onSocketLoop(this::flowControl);
    }
  }

  /**
   * On the socket's event loop: pauses the socket while its exchange asks for it, or while more than
   * {@link #MAX_HANDED_OVER} bytes wait in the queue to an exchange on another loop (which learns only
   * later that its caller is behind), and resumes it otherwise.
   */
  private void flowControl() {
    boolean wanted = readingPaused || handedOver.get() > MAX_HANDED_OVER;
    if (wanted != socketPaused) {
      socketPaused = wanted;
      if (wanted) {
        socket.pause();
      } else {
        socket.resume();
      }
    }
  }

  /** The exchange took in a chunk; below the bound again, the socket may read on. */
  private void taken(int size) {
    int left = handedOver.addAndGet(-size);
    if (left <= MAX_HANDED_OVER && left + size > MAX_HANDED_OVER) {
      onSocketLoop(this::flowControl);
    }
  }

  /** Runs an action on the socket's event loop. */
  private void onSocketLoop(Runnable action) {
    EventExecutor loop = socket.channelHandlerContext().executor();
    if (loop.inEventLoop()) {
      action.run();
    } else {
      loop.execute(action);
    }
  }

  private void received(Object message) {
    if (!(message instanceof ByteBuf)) {
      ReferenceCountUtil.release(message);
      return;
    }
    ByteBuf data = (ByteBuf) message;
    try {
      decoder.handle(data);
    } catch (FcgiProtocolException e) {
      readBy = null;
      Exchange x = exchange;
      if (x != null) {
        x.dispatch(() -> x.fail(e));
      }
      close();
      return;
    } finally {
      data.release();
    }
    Exchange x = readBy;
    if (x != null) {
      readBy = null;
      x.dispatch(x::readComplete);
    }
    flowControl();
  }

  private void closedBySocket() {
    open = false;
    Exchange x = exchange;
    if (x != null) {
      x.dispatch(x::connectionClosed);
    }
    closeCallback.accept(this);
  }

  private Exchange current(String what) {
    Exchange x = exchange;
    if (x == null) {
      throw new FcgiProtocolException(what + " while no request is in flight");
    }
    return x;
  }

  @Override
  public void stdout(ByteBuf data) {
    Exchange x = current("STDOUT");
    readBy = x;
    ByteBuf owned = data.retainedSlice();
    int size = owned.readableBytes();
    handedOver.addAndGet(size);
    x.dispatch(() -> {
      taken(size);
      x.stdout(owned);
    });
  }

  @Override
  public void stderr(ByteBuf data) {
    Exchange x = current("STDERR");
    Buffer copy = Buffer.buffer(ByteBufUtil.getBytes(data));
    x.dispatch(() -> x.stderr(copy));
  }

  @Override
  public void endRequest(long appStatus, ProtocolStatus status) {
    Exchange x = current("END_REQUEST");
    exchange = null;
    readBy = x;
    x.dispatch(() -> x.endRequest(status));
  }

  @Override
  public void getValuesResult(List<Map.Entry<String, String>> values) {
    // GET_VALUES is not sent on request connections; an unsolicited result is harmless
  }

  @Override
  public void unknownType(int type) {
    throw new FcgiProtocolException("application did not know record type " + type);
  }

  FcgiClosedException closedError() {
    return new FcgiClosedException("backend closed the connection before ending the request");
  }
}
