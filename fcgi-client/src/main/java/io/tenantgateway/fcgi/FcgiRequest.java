package io.tenantgateway.fcgi;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

/**
 * One request to send: CGI parameters, an optional body streamed into STDIN, a handler for STDERR.
 * A request is sent once; {@link #abort()} cancels it at any point.
 */
public final class FcgiRequest {

  private final FcgiParams params;
  private ReadStream<Buffer> body;
  private Buffer bodyBuffer;
  private Handler<Buffer> stderrHandler = data -> { };
  private long timeout = -1;
  private volatile boolean aborted;
  private volatile Runnable abortAction;

  /**
   * @param params the CGI parameters
   */
  public FcgiRequest(FcgiParams params) {
    this.params = params;
  }

  /** @return the CGI parameters */
  public FcgiParams params() {
    return params;
  }

  /**
   * Sets the body. The stream should be paused; the client resumes it once a connection is ready
   * and reads it with back-pressure.
   *
   * @param body the request body, or null for none
   * @return this
   */
  public FcgiRequest body(ReadStream<Buffer> body) {
    this.body = body;
    return this;
  }

  /**
   * Sets a body already held in memory; it is sent with the request head.
   *
   * @param body the whole request body
   * @return this
   */
  public FcgiRequest body(Buffer body) {
    this.bodyBuffer = body;
    return this;
  }

  /** @return the in-memory body, or null */
  public Buffer bodyBuffer() {
    return bodyBuffer;
  }

  /** @return the body stream, or null */
  public ReadStream<Buffer> body() {
    return body;
  }

  /**
   * @param handler receives STDERR bytes of this request (never part of the response)
   * @return this
   */
  public FcgiRequest stderrHandler(Handler<Buffer> handler) {
    this.stderrHandler = handler;
    return this;
  }

  /** @return the STDERR handler */
  public Handler<Buffer> stderrHandler() {
    return stderrHandler;
  }

  /**
   * @param millis whole-request timeout for this request, overriding the client's; 0 for none
   * @return this
   */
  public FcgiRequest timeout(long millis) {
    this.timeout = millis;
    return this;
  }

  /** @return this request's timeout in ms, or -1 when the client's default applies */
  public long timeout() {
    return timeout;
  }

  /**
   * Cancels the request: a waiting request leaves the queue; a running one is aborted and its
   * connection closed. Safe to call from any thread, any number of times.
   */
  public void abort() {
    aborted = true;
    Runnable action = abortAction;
    if (action != null) {
      action.run();
    }
  }

  /** @return true once {@link #abort()} was called */
  public boolean isAborted() {
    return aborted;
  }

  /**
   * Used by the client: the action {@link #abort()} runs for the current stage of the request.
   *
   * @param action what abort does now
   */
  public void onAbort(Runnable action) {
    this.abortAction = action;
    if (aborted && action != null) {
      action.run();
    }
  }
}
