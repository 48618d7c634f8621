package io.tenantgateway.fcgi.impl;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.tenantgateway.fcgi.FcgiProtocolException;
import io.tenantgateway.fcgi.ProtocolStatus;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecordDecoderTest {

  /** Records what the decoder reports. */
  static final class Recorder implements RecordHandler {
    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    final List<String> events = new ArrayList<>();
    int callbacks;

    @Override
    public void stdout(ByteBuf data) {
      assertTrue(data.readableBytes() > 0, "stream chunks are never empty");
      callbacks++;
      stdout.writeBytes(ByteBufUtil.getBytes(data));
    }

    @Override
    public void stderr(ByteBuf data) {
      assertTrue(data.readableBytes() > 0, "stream chunks are never empty");
      callbacks++;
      stderr.writeBytes(ByteBufUtil.getBytes(data));
    }

    @Override
    public void endRequest(long appStatus, ProtocolStatus status) {
      callbacks++;
      events.add("end " + appStatus + " " + status + " after stdout=" + stdout.size() + " stderr=" + stderr.size());
    }

    @Override
    public void getValuesResult(List<Map.Entry<String, String>> values) {
      callbacks++;
      events.add("values " + values);
    }

    @Override
    public void unknownType(int type) {
      callbacks++;
      events.add("unknown " + type);
    }
  }

  private static byte[] bytes(int... values) {
    byte[] result = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      result[i] = (byte) values[i];
    }
    return result;
  }

  private static Buffer stream() {
    Buffer values = Buffer.buffer(bytes(14, 1)).appendString("FCGI_MAX_CONNS").appendString("8");
    return Buffer.buffer()
      .appendBuffer(WireRecords.record(10, 0, values, 3))                                   // GET_VALUES_RESULT
      .appendBuffer(WireRecords.record(6, 1, Buffer.buffer("Status: 200 OK\r\nContent-Type: text/plain\r\n\r\n"), 5))
      .appendBuffer(WireRecords.record(7, 1, Buffer.buffer("PHP Notice: x"), 0))            // STDERR, no padding
      .appendBuffer(WireRecords.record(6, 1, Buffer.buffer("hello "), 2))
      .appendBuffer(WireRecords.record(7, 1, Buffer.buffer(" in y.php"), 255))              // maximal padding
      .appendBuffer(WireRecords.record(6, 1, Buffer.buffer("world"), 7))
      .appendBuffer(WireRecords.record(7, 1, Buffer.buffer(), 0))                           // STDERR end
      .appendBuffer(WireRecords.record(6, 1, Buffer.buffer(), 4))                           // STDOUT end, padded
      .appendBuffer(WireRecords.record(3, 1, Buffer.buffer(bytes(0x01, 0x02, 0x03, 0x04, 0, 0, 0, 0)), 6));
  }

  private static Recorder expected() {
    Recorder r = new Recorder();
    new RecordDecoder(r).handle(stream());
    return r;
  }

  @Test
  void readsOnlyTheReadableBytesOfASocketBufferAndLeavesItAsItWas() {
    byte[] wire = stream().getBytes();
    ByteBuf socketRead = Unpooled.directBuffer(wire.length + 20);
    socketRead.writeBytes(new byte[] {9, 9, 9, 9, 9, 9, 9});
    socketRead.writeBytes(wire);
    socketRead.writeBytes(new byte[] {8, 8, 8});
    socketRead.readerIndex(7);
    socketRead.writerIndex(7 + wire.length);
    Recorder r = new Recorder();
    new RecordDecoder(r).handle(socketRead);
    assertEquals(expected().events, r.events);
    assertEquals(expected().stdout.toString(), r.stdout.toString());
    assertEquals(7, socketRead.readerIndex());
    assertEquals(7 + wire.length, socketRead.writerIndex());
    assertEquals(1, socketRead.refCnt(), "the decoder neither retains nor releases");
    socketRead.release();
  }

  @Test
  void wholeStream() {
    Recorder r = new Recorder();
    RecordDecoder decoder = new RecordDecoder(r);
    decoder.handle(stream());
    assertTrue(decoder.atRecordBoundary());
    assertEquals("Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nhello world", r.stdout.toString());
    assertEquals("PHP Notice: x in y.php", r.stderr.toString());
    assertEquals(List.of(
      "values [FCGI_MAX_CONNS=8]",
      "end 16909060 REQUEST_COMPLETE after stdout=55 stderr=22"), r.events);
  }

  @Test
  void splitAtEveryPosition() {
    Recorder reference = expected();
    Buffer all = stream();
    for (int cut = 0; cut <= all.length(); cut++) {
      Recorder r = new Recorder();
      RecordDecoder decoder = new RecordDecoder(r);
      decoder.handle(all.getBuffer(0, cut));
      decoder.handle(all.getBuffer(cut, all.length()));
      assertArrayEquals(reference.stdout.toByteArray(), r.stdout.toByteArray(), "cut at " + cut);
      assertArrayEquals(reference.stderr.toByteArray(), r.stderr.toByteArray(), "cut at " + cut);
      assertEquals(reference.events, r.events, "cut at " + cut);
      assertTrue(decoder.atRecordBoundary());
    }
  }

  @Test
  void oneByteAtATime() {
    Recorder reference = expected();
    Buffer all = stream();
    Recorder r = new Recorder();
    RecordDecoder decoder = new RecordDecoder(r);
    for (int i = 0; i < all.length(); i++) {
      decoder.handle(all.getBuffer(i, i + 1));
    }
    assertArrayEquals(reference.stdout.toByteArray(), r.stdout.toByteArray());
    assertArrayEquals(reference.stderr.toByteArray(), r.stderr.toByteArray());
    assertEquals(reference.events, r.events);
    assertTrue(decoder.atRecordBoundary());
  }

  @Test
  void largeStdoutRecordsStreamAsTheyArrive() {
    byte[] body = new byte[200_000];
    new java.util.Random(1).nextBytes(body);
    Buffer all = WireRecords.stdout(Buffer.buffer(body)).appendBuffer(WireRecords.end(0));
    Recorder r = new Recorder();
    RecordDecoder decoder = new RecordDecoder(r);
    for (int pos = 0; pos < all.length(); pos += 4096) {
      decoder.handle(all.getBuffer(pos, Math.min(all.length(), pos + 4096)));
    }
    assertArrayEquals(body, r.stdout.toByteArray());
    assertEquals(1, r.events.size());
  }

  @Test
  void incompleteHeaderProducesNothingYet() {
    Recorder r = new Recorder();
    RecordDecoder decoder = new RecordDecoder(r);
    decoder.handle(Buffer.buffer(bytes(
      1,                 // version
      6,                 // STDOUT
      0, 1,              // request id
      0, 5,              // content length
      0                  // padding length; reserved byte missing
    )));
    assertEquals(0, r.callbacks);
    assertFalse(decoder.atRecordBoundary());
    decoder.handle(Buffer.buffer(bytes(0, 'a', 'b')));
    assertEquals("ab", r.stdout.toString());
    assertFalse(decoder.atRecordBoundary());
    decoder.handle(Buffer.buffer(bytes('c', 'd', 'e')));
    assertEquals("abcde", r.stdout.toString());
    assertTrue(decoder.atRecordBoundary());
  }

  @Test
  void incompleteEndRequestProducesNothingYet() {
    Recorder r = new Recorder();
    RecordDecoder decoder = new RecordDecoder(r);
    decoder.handle(Buffer.buffer(bytes(
      1, 3, 0, 1, 0, 8, 0, 0,   // END_REQUEST header
      0, 0, 0, 0, 0, 0, 0       // 7 of 8 body bytes
    )));
    assertEquals(0, r.callbacks);
    decoder.handle(Buffer.buffer(bytes(0)));
    assertEquals(List.of("end 0 REQUEST_COMPLETE after stdout=0 stderr=0"), r.events);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3})
  void endRequestReportsEachRejection(int status) {
    Recorder r = new Recorder();
    new RecordDecoder(r).handle(Buffer.buffer(bytes(
      1, 3, 0, 1, 0, 8, 0, 0,
      0xFF, 0xFF, 0xFF, 0xFF,   // app status 2^32-1
      status,                   // protocol status
      0, 0, 0)));
    assertEquals(List.of("end 4294967295 " + ProtocolStatus.from(status) + " after stdout=0 stderr=0"), r.events);
  }

  @Test
  void unknownTypeRecord() {
    Recorder r = new Recorder();
    new RecordDecoder(r).handle(Buffer.buffer(bytes(
      1, 11, 0, 0, 0, 8, 0, 0,  // UNKNOWN_TYPE, id 0
      42, 0, 0, 0, 0, 0, 0, 0)));
    assertEquals(List.of("unknown 42"), r.events);
  }

  // ---- malformations: each must throw FcgiProtocolException and report nothing ----

  private static void assertRejected(byte[] input) {
    Recorder r = new Recorder();
    RecordDecoder decoder = new RecordDecoder(r);
    assertThrows(FcgiProtocolException.class, () -> decoder.handle(Buffer.buffer(input)));
    assertEquals(0, r.callbacks, "nothing reported for a malformed record");
    // and the decoder refuses anything after
    assertThrows(FcgiProtocolException.class, () -> decoder.handle(WireRecords.stdout("x")));
    assertEquals(0, r.callbacks);
  }

  @Test
  void versionZero() {
    assertRejected(bytes(
      0,                 // version 0
      6, 0, 1, 0, 1, 0, 0,
      'x'));
  }

  @Test
  void versionTwo() {
    assertRejected(bytes(
      2,                 // version 2
      6, 0, 1, 0, 1, 0, 0,
      'x'));
  }

  @ParameterizedTest(name = "record type {0}")
  @ValueSource(ints = {
    1,                   // BEGIN_REQUEST
    2,                   // ABORT_REQUEST
    4,                   // PARAMS
    5,                   // STDIN
    8,                   // DATA
    9,                   // GET_VALUES
    0, 12, 255           // no such type
  })
  void typeAClientNeverReceives(int type) {
    assertRejected(bytes(
      1,                 // version
      type,
      0, 1,              // request id 1
      0, 8,              // content length 8
      0, 0,
      0, 1, 0, 0, 0, 0, 0, 0));
  }

  @ParameterizedTest(name = "management type {0} with id 0")
  @ValueSource(ints = {1, 2, 4, 5, 8, 9, 12, 255})
  void typeAClientNeverReceivesWithNullId(int type) {
    assertRejected(bytes(1, type, 0, 0, 0, 0, 0, 0));
  }

  @Test
  void stdoutWithRequestIdZero() {
    assertRejected(bytes(
      1, 6,
      0, 0,              // request id 0: reserved for management records
      0, 1, 0, 0,
      'x'));
  }

  @Test
  void stdoutWithRequestIdTwo() {
    assertRejected(bytes(
      1, 6,
      0, 2,              // request id 2: never sent by this client
      0, 1, 0, 0,
      'x'));
  }

  @Test
  void stderrWithRequestIdTwo() {
    assertRejected(bytes(1, 7, 0, 2, 0, 1, 0, 0, 'x'));
  }

  @Test
  void endRequestWithRequestIdZero() {
    assertRejected(bytes(1, 3, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
  }

  @Test
  void getValuesResultWithNonZeroId() {
    assertRejected(bytes(
      1, 10,
      0, 1,              // request id 1: management records use 0
      0, 0, 0, 0));
  }

  @Test
  void endRequestWithContentLength7() {
    assertRejected(bytes(
      1, 3, 0, 1,
      0, 7,              // content length 7, must be 8
      0, 0,
      0, 0, 0, 0, 0, 0, 0));
  }

  @Test
  void endRequestWithContentLength9() {
    assertRejected(bytes(
      1, 3, 0, 1,
      0, 9,              // content length 9, must be 8
      0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 0));
  }

  @Test
  void unknownTypeWithContentLength0() {
    assertRejected(bytes(1, 11, 0, 0, 0, 0, 0, 0));
  }

  @Test
  void endRequestWithUnknownProtocolStatus() {
    assertRejected(bytes(
      1, 3, 0, 1, 0, 8, 0, 0,
      0, 0, 0, 0,        // app status
      4,                 // protocol status 4: not defined
      0, 0, 0));
  }

  @Test
  void malformedGetValuesResult() {
    assertRejected(bytes(
      1, 10, 0, 0, 0, 3, 0, 0,
      5, 1, 'A'));       // pair cut short
  }

  @Test
  void inputAfterFailureIsRefused() {
    Recorder r = new Recorder();
    RecordDecoder decoder = new RecordDecoder(r);
    decoder.handle(WireRecords.stdout("ok"));
    assertEquals("ok", r.stdout.toString());
    assertThrows(FcgiProtocolException.class, () -> decoder.handle(Buffer.buffer(bytes(2, 6, 0, 1, 0, 0, 0, 0))));
    int before = r.callbacks;
    assertThrows(FcgiProtocolException.class, () -> decoder.handle(WireRecords.stdout("more")));
    assertThrows(FcgiProtocolException.class, () -> decoder.handle(Buffer.buffer(bytes(1))));
    assertEquals(before, r.callbacks);
    assertEquals("ok", r.stdout.toString());
  }

  @Test
  void malformationAfterValidRecordsInOneBuffer() {
    Recorder r = new Recorder();
    RecordDecoder decoder = new RecordDecoder(r);
    Buffer input = WireRecords.stdout("good").appendBytes(bytes(1, 6, 0, 2, 0, 1, 0, 0, 'x'));
    assertThrows(FcgiProtocolException.class, () -> decoder.handle(input));
    assertEquals("good", r.stdout.toString());
  }
}
