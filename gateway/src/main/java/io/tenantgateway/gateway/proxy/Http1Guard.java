package io.tenantgateway.gateway.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Per-connection HTTP/1 hardening that Vert.x's options cannot express, installed on every
 * connection of the gateway's listener ({@code HttpServer#connectionHandler}) before a byte is read:
 *
 * <ul>
 *   <li><b>Obs-fold and stray bytes refused.</b> Netty's decoder (Vert.x 5.0 / Netty 4.2) accepts a
 *   header line that starts with SP or HTAB and appends it to the previous value with one space; the
 *   message it hands on no longer shows it, and neither {@link HttpServerOptions} nor Netty's
 *   {@code HttpDecoderConfig} has an option against it. Vert.x's decoder is therefore replaced by
 *   {@link StrictDecoder}, the same decoder plus a scan of exactly the bytes it consumed while
 *   reading a request head (it knows message boundaries from what it emits: a request starts a
 *   body, a last content ends it). Refused with 400 and the connection closed: a folded header line
 *   (or whitespace before the first header), a header line with an empty name, and anything but
 *   CR/LF before a request line.</li>
 *   <li><b>Nothing after a closing answer.</b> Once a response with {@code Connection: close} is
 *   written (every refusal of the gateway is one), no further request is decoded on the connection,
 *   and a request that Vert.x had already decoded and queued behind it (pipelining) is answered by
 *   nothing but the close ({@link #closing(HttpServerRequest)}, checked first by
 *   {@link RequestChecks}).</li>
 *   <li><b>Close-delimited answers close.</b> An HTTP/1.0 answer without Content-Length (a streamed
 *   script response) can only end with the connection; Vert.x keeps a keep-alive HTTP/1.0
 *   connection open anyway, so the next response would be read as the rest of this body. Such an
 *   answer is sent with {@code Connection: close} and the connection closed after it.</li>
 *   <li><b>Flush before close.</b> Vert.x closes a connection at once when the body of a request
 *   turns out to be malformed (e.g. a bad chunk size), after the request's exception handler has
 *   written its error page but before that write was flushed; the page is now flushed first.</li>
 *   <li><b>A deadline for the request head.</b> From the connection's start, and from the first byte
 *   of each later request, the request line and headers must be complete within
 *   {@code http.header_timeout_s}; else the connection is closed, as nginx's
 *   {@code client_header_timeout} does. A client dripping its head (slowloris) holds a socket for
 *   that long, never a worker; the idle timeout alone would let it drip for ever.</li>
 *   <li>The listener's {@link TrustedProxies} is attached to the connection, so that
 *   {@link TrustedProxies#client(HttpServerRequest)} needs nothing but the request.</li>
 * </ul>
 *
 * <p>This uses Vert.x internals: {@code io.vertx.core.net.impl.ConnectionBase#channel()}, the
 * pipeline names {@code httpDecoder} and {@code httpEncoder}, and the public
 * {@code VertxHttpRequestDecoder} class. If a Vert.x upgrade moves them, {@link #install} refuses
 * the connection (logged as an error) rather than serve without the checks, and the tests in
 * {@code attacks/} fail.
 */
public final class Http1Guard {

  private static final Logger LOG = LoggerFactory.getLogger(Http1Guard.class);
  private static final AttributeKey<State> STATE = AttributeKey.valueOf(Http1Guard.class.getName());
  private static final String DECODER = "httpDecoder";
  private static final String ENCODER = "httpEncoder";
  private static final String OUTBOUND = "tenantGatewayGuard";

  private Http1Guard() {
  }

  /** What the guard keeps per connection. */
  private static final class State {

    final TrustedProxies trusted;
    final StrictDecoder decoder;
    /** The connection's peer as a client ({@link TrustedProxies#peer}), taken at its first request. */
    TrustedProxies.Client peer;

    State(TrustedProxies trusted, StrictDecoder decoder) {
      this.trusted = trusted;
      this.decoder = decoder;
    }
  }

  /**
   * Installs the guard on a new HTTP/1 connection; use as the listener's connection handler. The
   * listener must have h2c disabled, so that the HTTP/1 pipeline exists before the first read.
   *
   * @param connection the new connection
   * @param options the listener's options (the decoder's limits)
   * @param trusted the listener's trusted proxies
   * @param headerTimeoutMillis longest time for a request head
   */
  public static void install(HttpConnection connection, HttpServerOptions options, TrustedProxies trusted,
                             long headerTimeoutMillis) {
    Channel channel = connection instanceof ConnectionBase ? ((ConnectionBase) connection).channel() : null;
    ChannelPipeline pipeline = channel == null ? null : channel.pipeline();
    ChannelHandler current = pipeline == null ? null : pipeline.get(DECODER);
    if (!(current instanceof VertxHttpRequestDecoder) || pipeline.get(ENCODER) == null) {
      LOG.error("cannot install the HTTP/1 guard on {} (Vert.x internals changed?): connection refused",
        connection.getClass().getName());
      connection.close();
      return;
    }
    StrictDecoder decoder = new StrictDecoder(options, headerTimeoutMillis);
    pipeline.replace(DECODER, DECODER, decoder);
    decoder.headStarted(channel);
    pipeline.addAfter(ENCODER, OUTBOUND, new Outbound(decoder));
    channel.attr(STATE).set(new State(trusted, decoder));
  }

  /**
   * @param request a request
   * @return true when its connection has already sent a closing answer: the request must not be
   *     processed, only the connection closed
   */
  public static boolean closing(HttpServerRequest request) {
    State state = state(request);
    return state != null && state.decoder.closing;
  }

  /**
   * @param request a request
   * @return its effective client under the trusted proxies of the listener that received it; the
   *     peer's addresses are formatted once per connection
   */
  static TrustedProxies.Client effectiveClient(HttpServerRequest request) {
    State state = state(request);
    if (state == null) {
      return TrustedProxies.NONE.resolve(request);
    }
    if (state.peer == null) {
      state.peer = TrustedProxies.peer(request);
    }
    return state.trusted.resolve(request, state.peer);
  }

  private static State state(HttpServerRequest request) {
    HttpConnection connection = request.connection();
    return connection instanceof ConnectionBase ? ((ConnectionBase) connection).channel().attr(STATE).get() : null;
  }

  /**
   * Marks the connection closing on a {@code Connection: close} answer; makes an HTTP/1.0 answer
   * whose body ends only with the connection (no Content-Length: a streamed script response) close
   * it, which Vert.x would otherwise keep alive for a keep-alive request, so that the next response
   * would be read as part of this body; flushes before closing.
   */
  private static final class Outbound extends ChannelOutboundHandlerAdapter {

    private final StrictDecoder decoder;
    private boolean closeAfterResponse;

    Outbound(StrictDecoder decoder) {
      this.decoder = decoder;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
      if (msg instanceof HttpResponse && ((HttpResponse) msg).status().code() >= 200) {
        HttpResponse response = (HttpResponse) msg;
        int status = response.status().code();
        if (response.protocolVersion() == HttpVersion.HTTP_1_0 && status != 204 && status != 304
          && !response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)
          && !HttpUtil.isTransferEncodingChunked(response)) {
          response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
          closeAfterResponse = true;
        }
        if (response.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)) {
          decoder.stopAfterCurrentMessage();
        }
      }
      if (msg instanceof LastHttpContent && closeAfterResponse) {
        closeAfterResponse = false;
        ChannelPromise closing = promise.unvoid();
        closing.addListener(ChannelFutureListener.CLOSE);
        super.write(ctx, msg, closing);
        return;
      }
      super.write(ctx, msg, promise);
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
      ctx.flush();
      super.close(ctx, promise);
    }
  }

  /**
   * Vert.x's request decoder plus a scan of each request head for what Netty accepts but the
   * gateway refuses. See {@link HeadScanner} for the rules.
   */
  public static final class StrictDecoder extends VertxHttpRequestDecoder {

    private final HeadScanner scanner = new HeadScanner();
    /** True between messages and while a head is read; false while a body is read. */
    private boolean inHead = true;
    /** A refused head or a failure: every further byte is dropped. */
    private boolean discarding;
    /** A closing answer was written: no new request is started. */
    volatile boolean closing;
    private final long headerTimeoutMillis;
    /** Closes the connection when the head being read is not complete in time; null between requests. */
    private io.netty.util.concurrent.ScheduledFuture<?> headDeadline;

    /**
     * @param options the listener's options (line, header and chunk limits)
     * @param headerTimeoutMillis longest time for a request head, from its first byte
     */
    public StrictDecoder(HttpServerOptions options, long headerTimeoutMillis) {
      super(options);
      this.headerTimeoutMillis = headerTimeoutMillis;
    }

    /** Starts the head's deadline, unless one runs (on the channel's event loop). */
    void headStarted(Channel channel) {
      if (headDeadline == null && headerTimeoutMillis > 0) {
        headDeadline = channel.eventLoop().schedule(() -> {
          LOG.debug("request head from {} not complete within {} ms: connection closed", channel.remoteAddress(),
            headerTimeoutMillis);
          discarding = true;
          channel.close();
        }, headerTimeoutMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
      }
    }

    private void headComplete() {
      if (headDeadline != null) {
        headDeadline.cancel(false);
        headDeadline = null;
      }
    }

    @Override
    public void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
      headComplete();
      super.handlerRemoved0(ctx);
    }

    /**
     * The connection is closing: the message being read (its body) is still decoded, but no
     * further request is started; every byte after it is dropped.
     */
    public void stopAfterCurrentMessage() {
      closing = true;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
      if (discarding || closing && inHead) {
        in.skipBytes(in.readableBytes());
        return;
      }
      int from = in.readerIndex();
      int outFrom = out.size();
      boolean scan = inHead;
      if (inHead && in.isReadable()) {
        headStarted(ctx.channel());
      }
      super.decode(ctx, in, out);
      boolean failed = false;
      for (int i = outFrom; i < out.size(); i++) {
        Object message = out.get(i);
        if (message instanceof HttpObject && ((HttpObject) message).decoderResult().isFailure()) {
          failed = true;
        }
      }
      if (scan && !failed) {
        String problem = scanner.scan(in, from, in.readerIndex());
        if (problem != null) {
          for (int i = out.size() - 1; i >= outFrom; i--) {
            ReferenceCountUtil.release(out.remove(i));
          }
          HttpMessage invalid = createInvalidMessage();
          invalid.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(problem)));
          out.add(invalid);
          failed = true;
        }
      }
      if (failed) {
        discarding = true;
        in.skipBytes(in.readableBytes());
        return;
      }
      for (int i = outFrom; i < out.size(); i++) {
        Object message = out.get(i);
        if (message instanceof HttpMessage) {
          inHead = false;
          headComplete();
        }
        if (message instanceof LastHttpContent) {
          inHead = true;
          scanner.reset();
        }
      }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
      if (discarding || closing && inHead) {
        in.skipBytes(in.readableBytes());
        return;
      }
      super.decodeLast(ctx, in, out);
    }
  }

  /**
   * Scans the bytes of one request head as the decoder consumes them, in any number of pieces:
   * <ul>
   *   <li>before the request line only CR and LF may come (RFC 9112 §2.2: empty lines are
   *   ignored; nginx likewise refuses anything else);</li>
   *   <li>after the request line, a line starting with SP or HTAB is obs-fold (RFC 9112 §5.2), or
   *   whitespace before the first header (§2.2): refused, never unfolded;</li>
   *   <li>a header line starting with {@code :} has an empty field name: refused.</li>
   * </ul>
   * Everything else (CTL, NUL, bare CR or LF, space before the colon, sizes) Netty's decoder refuses
   * itself.
   */
  static final class HeadScanner {

    private static final int BEFORE_REQUEST_LINE = 0;
    private static final int REQUEST_LINE = 1;
    private static final int LINE_START = 2;
    private static final int IN_LINE = 3;
    private static final int DONE = 4;

    private int state = BEFORE_REQUEST_LINE;

    void reset() {
      state = BEFORE_REQUEST_LINE;
    }

    /**
     * @param buffer the decoder's input
     * @param from first consumed index
     * @param to end of the consumed bytes
     * @return why the head is refused, or null
     */
    String scan(ByteBuf buffer, int from, int to) {
      for (int i = from; i < to && state != DONE; i++) {
        byte b = buffer.getByte(i);
        switch (state) {
          case BEFORE_REQUEST_LINE:
            if (b == '\r' || b == '\n') {
              break;
            }
            if (b <= ' ' || b >= 0x7F) {
              return "unexpected byte 0x" + Integer.toHexString(b & 0xFF) + " before the request line";
            }
            state = REQUEST_LINE;
            break;
          case REQUEST_LINE:
          case IN_LINE:
            if (b == '\n') {
              state = LINE_START;
            }
            break;
          case LINE_START:
            if (b == ' ' || b == '\t') {
              return "obs-fold: a header line starts with whitespace";
            }
            if (b == ':') {
              return "header line with an empty name";
            }
            if (b == '\n') {
              state = DONE;
            } else if (b != '\r') {
              state = IN_LINE;
            }
            break;
          default:
            break;
        }
      }
      return null;
    }
  }
}
