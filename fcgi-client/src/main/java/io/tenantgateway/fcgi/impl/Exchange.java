package io.tenantgateway.fcgi.impl;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.tenantgateway.fcgi.FcgiClosedException;
import io.tenantgateway.fcgi.FcgiException;
import io.tenantgateway.fcgi.FcgiProtocolException;
import io.tenantgateway.fcgi.FcgiRejectedException;
import io.tenantgateway.fcgi.FcgiRequest;
import io.tenantgateway.fcgi.FcgiResponse;
import io.tenantgateway.fcgi.FcgiTimeoutException;
import io.tenantgateway.fcgi.ProtocolStatus;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;

import java.util.ArrayDeque;

/**
 * One request and its response, from the admission queue to END_REQUEST. Confined to the context
 * that sent the request: its connection's records are dispatched here, and the response stream is
 * read from here.
 *
 * <p>A request is never sent twice unless php-fpm provably never took it: only when writing its
 * first records to a reused connection failed (the peer had closed it), for an idempotent method,
 * with nothing of the body read yet, is it sent once more on a fresh connection. A connection that
 * closes after the request was written fails the request (502): the worker may have run the script.
 *
 * <p>Body chunks arrive as retained slices of the connection's read buffers. Each is released
 * exactly once: after its copy was handed to a {@link #handler}, after {@link #sendBody}'s target
 * wrote it, or when the exchange ends without delivering it.
 */
final class Exchange implements FcgiResponse {

  /** Where the response stands. */
  private enum Phase {
    /** Waiting for a connection from the pool. */
    ACQUIRING,
    /** The request went out on a connection; no STDOUT yet. */
    SENT,
    /** STDOUT started; the CGI header block is not complete yet. */
    HEADERS,
    /** The header block is complete; the response is announced once the current socket read is decoded. */
    PARSED,
    /** As PARSED, and END_REQUEST came in the same read: announced complete. */
    PARSED_ENDED,
    /** The caller has the response and reads its body. */
    STREAMING,
    /** END_REQUEST came after the announcement; body chunks may still wait for the caller's demand. */
    ENDED,
    /** Over: the end was delivered, the body taken whole, or the exchange failed or was aborted. */
    DONE
  }

  /** How far the request body (STDIN) got. */
  private enum Upload {
    /** Nothing sent yet. */
    PENDING,
    /** Sent whole with the request head, terminator included (no body, or one in memory). */
    WHOLE,
    /** A streamed body with its handlers set; nothing of it read yet. */
    STREAM_OPEN,
    /** Part of a streamed body was read; its terminator is not sent yet. */
    STREAMING,
    /** The streamed body and its terminator went out. */
    STREAM_DONE
  }

  private final ContextInternal context;
  private final EndpointPool<FcgiConnection> pool;
  private final FcgiRequest request;
  private final Promise<FcgiResponse> responsePromise;
  private final CgiResponseParser parser;
  private final long requestTimeout;
  private final long idleTimeout;
  /** Body chunks not delivered yet, each holding one reference. */
  private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();

  private Phase phase = Phase.ACQUIRING;
  private Upload upload = Upload.PENDING;
  private Future<FcgiConnection> acquisition;
  private FcgiConnection connection;
  private boolean retried;
  /** The write of BEGIN_REQUEST and PARAMS to the current connection; failed = never reached php-fpm. */
  private Future<Void> headWrite;
  /** The caller asked for the body as a stream: {@link #completeBody} no longer applies. */
  private boolean streamed;
  private boolean draining;
  private final TimeoutSweeper sweeper;
  private final long requestDeadline;
  private volatile long lastActivity;
  private volatile boolean idleWatched;

  private long demand;
  private Handler<Buffer> dataHandler;
  /** Where {@link #sendBody} writes the chunks, or null when they go to the data handler as copies. */
  private WriteStream<Buffer> sink;
  /** Why the exchange failed or was aborted, for a {@link #sendBody} that comes after. */
  private FcgiException failure;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;

  Exchange(ContextInternal context, EndpointPool<FcgiConnection> pool, FcgiRequest request, TimeoutSweeper sweeper,
           int maxHeaderBytes, long requestTimeout, long idleTimeout) {
    this.sweeper = sweeper;
    this.requestDeadline = requestTimeout > 0 ? System.nanoTime() + requestTimeout * 1_000_000 : Long.MAX_VALUE;
    this.context = context;
    this.pool = pool;
    this.request = request;
    this.responsePromise = context.promise();
    this.parser = new CgiResponseParser(maxHeaderBytes);
    this.requestTimeout = requestTimeout;
    this.idleTimeout = idleTimeout;
  }

  Future<FcgiResponse> begin() {
    if (requestTimeout > 0 || idleTimeout > 0) {
      sweeper.track(this);
    }
    request.onAbort(() -> dispatch(() -> abortQuietly(new FcgiClosedException("request aborted by the caller"))));
    acquire();
    return responsePromise.future();
  }

  /**
   * Runs an action on this exchange's context: at once, as that context, when already on its event
   * loop; otherwise queued to it.
   */
  void dispatch(Runnable action) {
    if (context.inThread()) {
      context.emit(v -> action.run());
    } else {
      context.runOnContext(v -> action.run());
    }
  }

  private void acquire() {
    if (phase == Phase.DONE) {
      return;
    }
    Future<FcgiConnection> attempt = pool.acquire(context);
    acquisition = attempt;
    attempt.onComplete(ar -> {
      acquisition = null;
      if (phase == Phase.DONE) {
        if (ar.succeeded()) {
          pool.release(ar.result(), true);
        }
      } else if (ar.failed()) {
        fail(ar.cause());
      } else {
        start(ar.result());
      }
    });
  }

  private void start(FcgiConnection conn) {
    connection = conn;
    phase = Phase.SENT;
    conn.attach(this);
    Buffer inline = request.bodyBuffer();
    int content = request.params().encodedLength() + (inline == null ? 0 : inline.length());
    ReadStream<Buffer> body = request.body();
    ByteBuf head = conn.allocate(64 + content
      + FcgiConstants.HEADER_LENGTH * (content / FcgiConstants.MAX_CONTENT_LENGTH + 2));
    try {
      Buffer out = BufferInternal.buffer(head);
      RecordEncoder.beginRequest(out, FcgiConstants.REQUEST_ID, true);
      RecordEncoder.params(out, FcgiConstants.REQUEST_ID, request.params());
      if (body == null) {
        if (inline != null) {
          RecordEncoder.stream(out, RecordType.STDIN, FcgiConstants.REQUEST_ID, inline);
        }
        RecordEncoder.endOfStream(out, RecordType.STDIN, FcgiConstants.REQUEST_ID);
        upload = Upload.WHOLE;
      }
    } catch (RuntimeException e) {
      head.release();
      throw e;
    }
    headWrite = conn.writeOwned(head);
    touch();
    idleWatched = idleTimeout > 0;
    if (body != null) {
      if (upload == Upload.PENDING) {
        upload = Upload.STREAM_OPEN;
        body.handler(this::bodyChunk);
        body.endHandler(v -> bodyEnd());
        body.exceptionHandler(t -> fail(new FcgiClosedException("request body failed: " + t.getMessage())));
      }
      body.resume();
    }
  }

  private void bodyChunk(Buffer chunk) {
    upload = Upload.STREAMING;
    FcgiConnection conn = connection;
    if (conn == null || phase == Phase.DONE) {
      return;
    }
    Buffer records = Buffer.buffer(chunk.length() + 16);
    RecordEncoder.stream(records, RecordType.STDIN, FcgiConstants.REQUEST_ID, chunk);
    conn.socket().write(records);
    // chunks keep flowing only while the backend reads STDIN (a full write queue pauses the body),
    // so a slow upload is not backend silence
    touch();
    if (conn.socket().writeQueueFull()) {
      ReadStream<Buffer> body = request.body();
      body.pause();
      conn.socket().drainHandler(v -> dispatch(() -> {
        if (phase != Phase.DONE) {
          body.resume();
        }
      }));
      // the socket may live on another event loop and have drained between the check and the
      // handler: its drain event is then gone, and the body would stay paused for ever
      if (!conn.socket().writeQueueFull()) {
        body.resume();
      }
    }
  }

  private void bodyEnd() {
    upload = Upload.STREAMING;
    FcgiConnection conn = connection;
    if (conn == null || phase == Phase.DONE) {
      return;
    }
    Buffer end = Buffer.buffer(FcgiConstants.HEADER_LENGTH);
    RecordEncoder.endOfStream(end, RecordType.STDIN, FcgiConstants.REQUEST_ID);
    conn.socket().write(end);
    upload = Upload.STREAM_DONE;
  }

  /** @return true once the whole of STDIN, terminator included, went out */
  private boolean stdinDone() {
    return upload == Upload.WHOLE || upload == Upload.STREAM_DONE;
  }

  /** @return true once the caller has the response */
  private boolean announced() {
    return phase == Phase.STREAMING || phase == Phase.ENDED;
  }

  /** @return true when no record of this request is expected any more */
  private boolean settled() {
    return phase == Phase.PARSED_ENDED || phase == Phase.ENDED || phase == Phase.DONE;
  }

  /** @param data a chunk of STDOUT holding one reference, which passes to this exchange */
  void stdout(ByteBuf data) {
    if (phase == Phase.DONE) {
      data.release();
      return;
    }
    touch();
    if (phase == Phase.SENT) {
      phase = Phase.HEADERS;
    }
    if (phase == Phase.HEADERS) {
      Buffer rest;
      try {
        rest = parser.feed(BufferInternal.buffer(data));
      } catch (FcgiProtocolException e) {
        data.release();
        fail(e);
        return;
      }
      if (rest == null) {
        data.release();
        return;
      }
      phase = Phase.PARSED;
      if (rest.length() == 0) {
        data.release();
        return;
      }
      data = data.slice(data.readableBytes() - rest.length(), rest.length());
    }
    if (!announced()) {
      pending.add(data);
      return;
    }
    if (pending.isEmpty() && demand > 0 && !draining) {
      deliver(data);
    } else {
      pending.add(data);
      if (connection != null) {
        connection.pauseReading();
      }
    }
  }

  /**
   * The connection finished decoding one socket read. The response is announced only now, so that
   * a response whose body and END_REQUEST came in the same read is seen complete.
   */
  void readComplete() {
    if (phase == Phase.PARSED || phase == Phase.PARSED_ENDED) {
      phase = phase == Phase.PARSED ? Phase.STREAMING : Phase.ENDED;
      responsePromise.complete(this);
    }
  }

  void stderr(Buffer data) {
    if (phase == Phase.DONE) {
      return;
    }
    touch();
    request.stderrHandler().handle(data);
  }

  void endRequest(ProtocolStatus status) {
    if (phase == Phase.DONE) {
      return;
    }
    if (status != ProtocolStatus.REQUEST_COMPLETE) {
      fail(new FcgiRejectedException(status));
      return;
    }
    if (phase != Phase.PARSED && phase != Phase.STREAMING) {
      fail(new FcgiProtocolException("response ended inside the header block"));
      return;
    }
    phase = phase == Phase.PARSED ? Phase.PARSED_ENDED : Phase.ENDED;
    cancelTimers();
    FcgiConnection conn = connection;
    connection = null;
    conn.detach(true);
    pool.release(conn, stdinDone());
    stopBody();
    drain();
  }

  void connectionClosed() {
    if (settled()) {
      return;
    }
    FcgiConnection conn = connection;
    Future<Void> written = headWrite;
    if (conn != null && written != null && !written.isComplete()) {
      // the close may be reported before the write's own outcome, which decides
      written.onComplete(ar -> dispatch(() -> closed(conn, ar.failed())));
      return;
    }
    closed(conn, written != null && written.failed());
  }

  private void closed(FcgiConnection conn, boolean neverWritten) {
    if (settled() || conn != connection) {
      return;
    }
    boolean retry = !retried && conn != null && conn.requestsServed() > 0 && neverWritten && phase == Phase.SENT
      && (upload == Upload.WHOLE || upload == Upload.STREAM_OPEN) && idempotent(request.params().get("REQUEST_METHOD"));
    if (!retry) {
      fail(conn == null ? new FcgiClosedException("connection closed") : conn.closedError());
      return;
    }
    retried = true;
    phase = Phase.ACQUIRING;
    connection = null;
    idleWatched = false;
    if (request.body() != null) {
      request.body().pause();
    }
    acquire();
  }

  /** RFC 9110 9.2.2. */
  private static boolean idempotent(String method) {
    return method != null && switch (method) {
      case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" -> true;
      default -> false;
    };
  }

  void fail(Throwable cause) {
    if (phase == Phase.DONE) {
      return;
    }
    boolean announced = announced();
    finish(false);
    FcgiException error = cause instanceof FcgiException
      ? (FcgiException) cause : new FcgiClosedException("connection failed: " + cause.getMessage());
    failure = error;
    if (!announced) {
      responsePromise.tryFail(error);
    } else {
      Handler<Throwable> handler = exceptionHandler;
      if (handler != null) {
        handler.handle(error);
      }
    }
  }

  private void abortQuietly(FcgiException cause) {
    if (phase == Phase.DONE) {
      return;
    }
    if (!announced()) {
      fail(cause);
      return;
    }
    finish(false);
    failure = cause;
  }

  private void finish(boolean clean) {
    phase = Phase.DONE;
    releasePending();
    cancelTimers();
    if (acquisition != null) {
      pool.cancel(acquisition);
      acquisition = null;
    }
    FcgiConnection conn = connection;
    connection = null;
    if (conn != null) {
      if (!clean && conn.isOpen()) {
        Buffer abort = Buffer.buffer(FcgiConstants.HEADER_LENGTH);
        RecordEncoder.abortRequest(abort, FcgiConstants.REQUEST_ID);
        conn.socket().write(abort);
      }
      conn.detach(clean);
      pool.release(conn, clean);
    }
    stopBody();
  }

  private void stopBody() {
    ReadStream<Buffer> body = request.body();
    if (body != null && upload != Upload.PENDING && upload != Upload.WHOLE) {
      body.handler(null);
      body.exceptionHandler(null);
      body.endHandler(null);
      body.resume();
    }
  }

  private void drain() {
    if (draining) {
      return;
    }
    draining = true;
    try {
      while (demand > 0 && !pending.isEmpty() && phase != Phase.DONE) {
        deliver(pending.poll());
      }
    } finally {
      draining = false;
    }
    if (pending.isEmpty() && phase != Phase.DONE && demand > 0) {
      // a paused response holds its end back too, so that handlers set later still see it
      if (phase == Phase.ENDED) {
        phase = Phase.DONE;
        Handler<Void> handler = endHandler;
        if (handler != null) {
          handler.handle(null);
        }
      } else if (connection != null) {
        connection.resumeReading();
      }
    }
  }

  private void releasePending() {
    ByteBuf chunk;
    while ((chunk = pending.poll()) != null) {
      chunk.release();
    }
  }

  private void deliver(ByteBuf data) {
    if (demand != Long.MAX_VALUE) {
      demand--;
    }
    if (sink != null) {
      write(data);
      return;
    }
    Handler<Buffer> handler = dataHandler;
    Buffer copy = handler == null ? null : Buffer.buffer(ByteBufUtil.getBytes(data));
    data.release();
    if (handler != null) {
      handler.handle(copy);
    }
  }

  /** Writes a chunk to the {@link #sendBody} target; the chunk is released once written or failed. */
  private void write(ByteBuf data) {
    Future<Void> written;
    try {
      written = sink.write(BufferInternal.buffer(data));
    } catch (RuntimeException e) {
      data.release();
      fail(new FcgiClosedException("response write failed: " + e.getMessage()));
      return;
    }
    written.onComplete(ar -> {
      data.release();
      if (ar.failed()) {
        dispatch(() -> fail(new FcgiClosedException("response write failed: " + ar.cause().getMessage())));
      }
    });
    if (sink.writeQueueFull()) {
      pause();
    }
  }

  private void touch() {
    lastActivity = System.nanoTime();
  }

  /**
   * Cheap test the sweeper runs on its own thread: may a timeout have passed?
   *
   * @param now {@link System#nanoTime()}
   * @return true when {@link #checkTimeouts} should run on the exchange's context
   */
  boolean mayHaveTimedOut(long now) {
    return now >= requestDeadline || (idleWatched && now - lastActivity >= idleTimeout * 1_000_000);
  }

  /**
   * Fails the exchange if its whole-request deadline passed, or if the backend was silent for the
   * idle timeout while the caller was reading (a paused caller is not the backend's silence).
   */
  void checkTimeouts() {
    if (settled()) {
      return;
    }
    long now = System.nanoTime();
    if (now >= requestDeadline) {
      fail(new FcgiTimeoutException(FcgiTimeoutException.Phase.REQUEST, requestTimeout));
      return;
    }
    if (!idleWatched) {
      return;
    }
    if (!pending.isEmpty() || (announced() && demand == 0)) {
      touch();
    } else if (now - lastActivity >= idleTimeout * 1_000_000) {
      fail(new FcgiTimeoutException(FcgiTimeoutException.Phase.IDLE, idleTimeout));
    }
  }

  private void cancelTimers() {
    idleWatched = false;
    sweeper.untrack(this);
  }

  @Override
  public int status() {
    return parser.status();
  }

  @Override
  public String statusMessage() {
    return parser.reason();
  }

  @Override
  public MultiMap headers() {
    return parser.headers();
  }

  @Override
  public Buffer completeBody() {
    if (phase != Phase.ENDED || streamed) {
      return null;
    }
    phase = Phase.DONE;
    int length = 0;
    for (ByteBuf part : pending) {
      length += part.readableBytes();
    }
    byte[] body = new byte[length];
    int at = 0;
    ByteBuf part;
    while ((part = pending.poll()) != null) {
      int size = part.readableBytes();
      part.getBytes(part.readerIndex(), body, at, size);
      part.release();
      at += size;
    }
    return Buffer.buffer(body);
  }

  @Override
  public Future<Void> sendBody(WriteStream<Buffer> target) {
    if (phase == Phase.DONE && failure != null) {
      return context.failedFuture(failure);
    }
    Promise<Void> sent = context.promise();
    sink = target;
    exceptionHandler(sent::tryFail);
    endHandler(v -> target.end().onComplete(sent));
    target.drainHandler(v -> resume());
    resume();
    return sent.future();
  }

  @Override
  public void abort() {
    dispatch(() -> abortQuietly(new FcgiClosedException("response aborted by the caller")));
  }

  @Override
  public FcgiResponse exceptionHandler(Handler<Throwable> handler) {
    exceptionHandler = handler;
    return this;
  }

  @Override
  public FcgiResponse handler(Handler<Buffer> handler) {
    dataHandler = handler;
    return this;
  }

  @Override
  public FcgiResponse pause() {
    demand = 0;
    return this;
  }

  @Override
  public FcgiResponse resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public FcgiResponse fetch(long amount) {
    if (amount > 0) {
      streamed = true;
      if (demand == 0) {
        // the backend's silence is measured from when the caller reads again
        touch();
      }
      demand = demand + amount < 0 ? Long.MAX_VALUE : demand + amount;
      dispatch(this::drain);
    }
    return this;
  }

  @Override
  public FcgiResponse endHandler(Handler<Void> handler) {
    endHandler = handler;
    return this;
  }
}
