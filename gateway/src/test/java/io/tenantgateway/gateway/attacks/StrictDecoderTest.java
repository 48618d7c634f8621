package io.tenantgateway.gateway.attacks;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.tenantgateway.gateway.proxy.Http1Guard;
import io.vertx.core.http.HttpServerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Http1Guard.StrictDecoder} on its own (Netty's embedded channel), fed every input split at
 * every byte: refused heads give exactly one failed request and nothing after it; accepted input
 * decodes exactly as unsplit, including bodies whose bytes look like a folded line.
 */
class StrictDecoderTest {

  /** What the decoder emitted, flattened: "REQ uri [failed: why]", "H name=value", "BODY text", "END". */
  private static List<String> decode(String input, int... splits) {
    return decode(false, input, splits);
  }

  /**
   * @param stopAtFirstRequest as the guard does when a closing answer is written: here as soon as
   *     the first request head is delivered
   */
  private static List<String> decode(boolean stopAtFirstRequest, String input, int... splits) {
    Http1Guard.StrictDecoder decoder = new Http1Guard.StrictDecoder(new HttpServerOptions(), 0);
    EmbeddedChannel channel = new EmbeddedChannel(decoder, new io.netty.channel.ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
        if (stopAtFirstRequest && msg instanceof HttpRequest) {
          decoder.stopAfterCurrentMessage();
        }
        ctx.fireChannelRead(msg);
      }
    });
    byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
    int from = 0;
    for (int split : splits) {
      channel.writeInbound(Unpooled.wrappedBuffer(bytes, from, split - from));
      from = split;
    }
    channel.writeInbound(Unpooled.wrappedBuffer(bytes, from, bytes.length - from));
    List<String> events = new ArrayList<>();
    Object message;
    StringBuilder body = new StringBuilder();
    while ((message = channel.readInbound()) != null) {
      if (message instanceof HttpRequest) {
        HttpRequest request = (HttpRequest) message;
        if (request.decoderResult().isFailure()) {
          events.add("REQ failed: " + request.decoderResult().cause().getMessage());
        } else {
          events.add("REQ " + request.uri());
          request.headers().forEach(h -> events.add("H " + h.getKey() + "=" + h.getValue()));
        }
      }
      if (message instanceof HttpContent) {
        ByteBuf content = ((HttpContent) message).content();
        body.append(content.toString(StandardCharsets.ISO_8859_1));
        if (message instanceof LastHttpContent && !(message instanceof HttpRequest)) {
          if (body.length() > 0) {
            events.add("BODY " + body);
          }
          body.setLength(0);
          events.add("END");
        }
      }
      ReferenceCountUtil.release(message);
    }
    channel.finishAndReleaseAll();
    return events;
  }

  private static void assertSameAtEverySplit(String input, List<String> expected) {
    assertEquals(expected, decode(input), "unsplit");
    for (int split = 1; split < input.length(); split++) {
      assertEquals(expected, decode(input, split), "split at " + split);
    }
    for (int a = 1; a < input.length(); a += 7) {
      for (int b = a + 1; b < input.length(); b += 5) {
        assertEquals(expected, decode(input, a, b), "split at " + a + " and " + b);
      }
    }
  }

  private static void assertRefusedAtEverySplit(String input, String why) {
    List<String> unsplit = decode(input);
    assertEquals(1, unsplit.size(), "exactly one (failed) request, nothing after it: " + unsplit);
    assertTrue(unsplit.get(0).startsWith("REQ failed: ") && unsplit.get(0).contains(why), unsplit.toString());
    for (int split = 1; split < input.length(); split++) {
      List<String> events = decode(input, split);
      assertEquals(1, events.size(), "split at " + split + ": " + events);
      assertTrue(events.get(0).startsWith("REQ failed: ") && events.get(0).contains(why),
        "split at " + split + ": " + events);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n\ttwo\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nX-A:\r\n two\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n three\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n",
  })
  void obsFoldIsRefused(String input) {
    assertRefusedAtEverySplit(input, "obs-fold");
  }

  @Test
  void foldedContentLengthIsRefused() {
    // Netty refuses " 4" after unfolding before the scan runs: one failed request either way
    assertRefusedAtEverySplit("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n 4\r\n\r\nabcdGET /x HTTP/1.1\r\n\r\n",
      "");
  }

  @Test
  void whitespaceBeforeTheFirstHeaderIsRefused() {
    // Netty refuses this one itself (no colon in the request line's continuation); either way one failed request
    List<String> events = decode("GET / HTTP/1.1\r\n X-A: one\r\nHost: a\r\n\r\n");
    assertEquals(1, events.size(), events.toString());
    assertTrue(events.get(0).contains("failed"));
  }

  @Test
  void emptyHeaderNameIsRefused() {
    assertRefusedAtEverySplit("GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", "empty name");
  }

  @ParameterizedTest
  @ValueSource(strings = {" GET / HTTP/1.1\r\nHost: a\r\n\r\n", "\tGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "\u0000GET / HTTP/1.1\r\nHost: a\r\n\r\n", "\r\n \r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"})
  void strayBytesBeforeTheRequestLineAreRefused(String input) {
    assertRefusedAtEverySplit(input, "before the request line");
  }

  @Test
  void foldInTheSecondRequestIsRefusedAfterTheFirstIsDelivered() {
    String input = "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
      + "GET /2 HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n"
      + "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n";
    List<String> expected = List.of("REQ /1", "H Host=a", "H Content-Length=3", "BODY abc", "END",
      "REQ failed: obs-fold: a header line starts with whitespace");
    assertEquals(expected, decode(input));
    for (int split = 1; split < input.length(); split++) {
      assertEquals(expected, decode(input, split), "split at " + split);
    }
  }

  @Test
  void bodiesThatLookLikeFoldsAreBodies() {
    String input = "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\n\r\n two\r\n\t"
      + "POST /2 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n\r\n x\r\n\t\r\n0\r\n\r\n"
      + "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n";
    assertSameAtEverySplit(input, List.of(
      "REQ /1", "H Host=a", "H Content-Length=9", "BODY \r\n two\r\n\t", "END",
      "REQ /2", "H Host=a", "H Transfer-Encoding=chunked", "BODY \r\n x\r\n\t", "END",
      "REQ /3", "H Host=a", "END"));
  }

  @Test
  void ordinaryPipelinedRequestsDecodeAsWithoutTheGuard() {
    String input = "\r\nGET /a?x=1 HTTP/1.1\r\nHost: a\r\nX-A:  spaced value \t\r\nCookie: c=1\r\n\r\n"
      + "\r\n"
      + "GET /b HTTP/1.0\r\n\r\n";
    assertSameAtEverySplit(input, List.of(
      "REQ /a?x=1", "H Host=a", "H X-A=spaced value", "H Cookie=c=1", "END",
      "REQ /b", "END"));
  }

  @Test
  void foldedTrailersAreNotHeadsAndAreDropped() {
    // trailers are never passed on by the gateway; the decoder's own handling of them is kept
    String input = "POST /1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n"
      + "X-T: a\r\n b\r\n\r\n"
      + "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
    assertSameAtEverySplit(input, List.of(
      "REQ /1", "H Host=a", "H Transfer-Encoding=chunked", "BODY x", "END",
      "REQ /2", "H Host=a", "END"));
  }

  @Test
  void afterAClosingAnswerTheCurrentBodyEndsAndNothingElseIsDecoded() {
    String input = "POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
      + "GET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n";
    List<String> expected = List.of("REQ /1", "H Host=a", "H Content-Length=5", "BODY hello", "END");
    assertEquals(expected, decode(true, input));
    for (int split = 1; split < input.length(); split++) {
      assertEquals(expected, decode(true, input, split), "split at " + split);
    }
  }

  @Test
  void nettyOwnRefusalsStayTheirs() {
    List<String> events = decode("GET / HTTP/1.1\r\nHost: a\r\nX-A : v\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n");
    assertEquals(1, events.size(), events.toString());
    assertTrue(events.get(0).startsWith("REQ failed: a header name"), events.toString());
  }
}
