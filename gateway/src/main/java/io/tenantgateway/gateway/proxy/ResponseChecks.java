package io.tenantgateway.gateway.proxy;

import io.tenantgateway.fcgi.FcgiResponse;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.streams.WriteStream;

import java.util.Map;

/**
 * What a backend's answer must be before it goes on the client's connection, beyond what the CGI
 * header parser already refuses (CR, LF, NUL, obs-fold, bad names, conflicting Content-Length):
 *
 * <ul>
 *   <li>a final status (200..599): a CGI response is one response, and a 1xx from a script would be
 *   followed on the wire by the script's body, read by the client as a second response;</li>
 *   <li>no control character (other than HTAB) or DEL in a header value or the reason phrase;</li>
 *   <li>a streamed body exactly as long as the script's {@code Content-Length}: bytes beyond it are
 *   dropped (as nginx does), and a body that ends short closes the connection instead of leaving
 *   the client waiting or reading the next response as body.</li>
 * </ul>
 * A refused head is answered with 502 by {@link ProxyFailure}.
 */
public final class ResponseChecks {

  private ResponseChecks() {
  }

  /**
   * @param upstream a backend's response head
   * @return null when it may be passed on, else why not
   */
  public static String problem(FcgiResponse upstream) {
    if (upstream.status() < 200 || upstream.status() > 599) {
      return "status " + upstream.status() + " is not a final status";
    }
    if (upstream.statusMessage() != null && hasControl(upstream.statusMessage())) {
      return "control character in the reason phrase";
    }
    for (Map.Entry<String, String> header : upstream.headers()) {
      if (hasControl(header.getValue()) || hasControl(header.getKey())) {
        return "control character in response header " + printable(header.getKey());
      }
    }
    return null;
  }

  /**
   * @param response the client's response, its head set from the backend's
   * @return the response itself when it has no Content-Length (chunked or close-delimited), else a
   *     stream that passes exactly Content-Length bytes and fails its end when fewer came
   */
  public static WriteStream<Buffer> exactLength(HttpServerResponse response) {
    String declared = response.headers().get("Content-Length");
    if (declared == null || response.isChunked()) {
      return response;
    }
    return new ExactLength(response, Long.parseLong(declared));
  }

  private static boolean hasControl(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 && c != '\t' || c == 0x7F) {
        return true;
      }
    }
    return false;
  }

  private static String printable(String text) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length() && i < 64; i++) {
      char c = text.charAt(i);
      out.append(c < 0x20 || c == 0x7F ? '?' : c);
    }
    return out.toString();
  }

  /** Passes at most {@code length} bytes; its end fails when fewer were written. */
  private static final class ExactLength implements WriteStream<Buffer> {

    private final HttpServerResponse response;
    private final long length;
    private long written;

    ExactLength(HttpServerResponse response, long length) {
      this.response = response;
      this.length = length;
    }

    @Override
    public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
      response.exceptionHandler(handler);
      return this;
    }

    @Override
    public Future<Void> write(Buffer data) {
      long room = length - written;
      if (room <= 0) {
        return Future.succeededFuture();
      }
      Buffer part = data.length() > room ? data.slice(0, (int) room) : data;
      written += part.length();
      return response.write(part);
    }

    @Override
    public Future<Void> end() {
      if (written < length) {
        return Future.failedFuture(new GatewayException(502, "backend sent " + written + " of its Content-Length "
          + length + " bytes"));
      }
      return response.end();
    }

    @Override
    public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
      response.setWriteQueueMaxSize(maxSize);
      return this;
    }

    @Override
    public boolean writeQueueFull() {
      return response.writeQueueFull();
    }

    @Override
    public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
      response.drainHandler(handler);
      return this;
    }
  }
}
