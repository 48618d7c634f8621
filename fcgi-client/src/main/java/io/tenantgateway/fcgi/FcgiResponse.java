package io.tenantgateway.fcgi;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;

/**
 * The response of an application: status and headers parsed from the CGI header block, and the
 * rest of STDOUT as a stream with back-pressure. The stream starts paused: call {@link #resume()}
 * or pipe it. It ends when the application sends END_REQUEST, or fails with an
 * {@link FcgiException} if the connection breaks or a timeout passes first.
 *
 * <p>Chunks given to a {@link #handler} are the caller's own copies. {@link #sendBody} writes the
 * body without copying it.
 */
public interface FcgiResponse extends ReadStream<Buffer> {

  /** @return the HTTP status */
  int status();

  /** @return the reason phrase the application gave with Status, or null */
  String statusMessage();

  /** @return the response headers (Status removed), case-insensitive, repeats kept */
  MultiMap headers();

  /**
   * Takes the whole body at once when the application already ended the request and nothing of the
   * body was read yet (common for small responses: body and END_REQUEST arrive together). The
   * stream is then consumed: no handler is called.
   *
   * @return the whole body, or null when the response is still streaming or was partly read
   */
  Buffer completeBody();

  /**
   * Writes the rest of the body to a stream without copying it: each chunk is the memory the
   * application's bytes were read into, handed back once the target has written it (so the target
   * must complete each write's future, as Vert.x's sockets and HTTP responses do). Honours the
   * target's back-pressure. Takes the place of {@link #handler}, {@link #endHandler} and
   * {@link #exceptionHandler}.
   *
   * @param target where the body goes
   * @return completes with the target's end after the last chunk; fails with the response's
   *     failure or a failed write, the target then left unended
   */
  Future<Void> sendBody(WriteStream<Buffer> target);

  /**
   * Reads the whole body into memory; for small responses only (tests).
   *
   * @return the body, or the failure that cut it short
   */
  default Future<Buffer> body() {
    return body(Integer.MAX_VALUE);
  }

  /**
   * Reads the whole body into memory, up to a bound (probes: the application may be hostile).
   *
   * @param maxBytes the most bytes taken; a longer body aborts the response
   * @return the body, or an {@link FcgiProtocolException} when it is longer, or the failure that cut it short
   */
  default Future<Buffer> body(int maxBytes) {
    Buffer whole = completeBody();
    if (whole != null) {
      return whole.length() <= maxBytes ? Future.succeededFuture(whole) : Future.failedFuture(tooLong(maxBytes));
    }
    Promise<Buffer> promise = Promise.promise();
    Buffer body = Buffer.buffer();
    handler(chunk -> {
      if (body.length() + chunk.length() > maxBytes) {
        abort();
        promise.tryFail(tooLong(maxBytes));
      } else {
        body.appendBuffer(chunk);
      }
    });
    exceptionHandler(promise::tryFail);
    endHandler(v -> promise.tryComplete(body));
    resume();
    return promise.future();
  }

  private static FcgiProtocolException tooLong(int maxBytes) {
    return new FcgiProtocolException("response body longer than " + maxBytes + " bytes");
  }

  /**
   * Stops reading the response; the connection is closed instead of reused.
   */
  void abort();

  @Override
  FcgiResponse exceptionHandler(Handler<Throwable> handler);

  @Override
  FcgiResponse handler(Handler<Buffer> handler);

  @Override
  FcgiResponse pause();

  @Override
  FcgiResponse resume();

  @Override
  FcgiResponse fetch(long amount);

  @Override
  FcgiResponse endHandler(Handler<Void> endHandler);
}
