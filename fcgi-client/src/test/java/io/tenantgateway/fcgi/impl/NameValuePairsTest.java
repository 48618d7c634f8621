package io.tenantgateway.fcgi.impl;

import io.tenantgateway.fcgi.FcgiProtocolException;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class NameValuePairsTest {

  private static byte[] filled(int length, char c) {
    byte[] bytes = new byte[length];
    Arrays.fill(bytes, (byte) c);
    return bytes;
  }

  private static byte[] bytes(int... values) {
    byte[] result = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      result[i] = (byte) values[i];
    }
    return result;
  }

  @Test
  void shortPairGoldenBytes() {
    Buffer out = Buffer.buffer();
    NameValuePairs.append(out, "HTTPS".getBytes(StandardCharsets.US_ASCII), "on".getBytes(StandardCharsets.US_ASCII));
    assertArrayEquals(bytes(
      5,                            // nameLength, one byte
      2,                            // valueLength, one byte
      'H', 'T', 'T', 'P', 'S',      // name
      'o', 'n'                      // value
    ), out.getBytes());
    assertEquals(9, NameValuePairs.encodedLength(5, 2));
  }

  @Test
  void emptyNameAndValue() {
    Buffer out = Buffer.buffer();
    NameValuePairs.append(out, new byte[0], new byte[0]);
    assertArrayEquals(bytes(0, 0), out.getBytes());
    List<Map.Entry<String, String>> pairs = NameValuePairs.decode(out);
    assertEquals(1, pairs.size());
    assertEquals("", pairs.get(0).getKey());
    assertEquals("", pairs.get(0).getValue());
  }

  @Test
  void length127UsesOneByte() {
    Buffer out = Buffer.buffer();
    NameValuePairs.append(out, filled(127, 'n'), filled(127, 'v'));
    assertEquals(0x7F, out.getUnsignedByte(0));
    assertEquals(0x7F, out.getUnsignedByte(1));
    assertEquals(2 + 127 + 127, out.length());
    assertEquals(out.length(), NameValuePairs.encodedLength(127, 127));
    roundTrip(out, 127, 127);
  }

  @Test
  void length128UsesFourBytes() {
    Buffer out = Buffer.buffer();
    NameValuePairs.append(out, filled(128, 'n'), filled(128, 'v'));
    assertArrayEquals(bytes(0x80, 0x00, 0x00, 0x80, 0x80, 0x00, 0x00, 0x80), out.getBytes(0, 8));
    assertEquals(8 + 128 + 128, out.length());
    assertEquals(out.length(), NameValuePairs.encodedLength(128, 128));
    roundTrip(out, 128, 128);
  }

  @Test
  void mixedLengths127And128() {
    Buffer out = Buffer.buffer();
    NameValuePairs.append(out, filled(127, 'n'), filled(128, 'v'));
    assertArrayEquals(bytes(0x7F, 0x80, 0x00, 0x00, 0x80), out.getBytes(0, 5));
    assertEquals(out.length(), NameValuePairs.encodedLength(127, 128));
    roundTrip(out, 127, 128);
  }

  @Test
  void length8000() {
    Buffer out = Buffer.buffer();
    NameValuePairs.append(out, filled(8000, 'n'), filled(8000, 'v'));
    // 8000 = 0x1F40, high bit of the first byte set
    assertArrayEquals(bytes(0x80, 0x00, 0x1F, 0x40, 0x80, 0x00, 0x1F, 0x40), out.getBytes(0, 8));
    assertEquals(out.length(), NameValuePairs.encodedLength(8000, 8000));
    roundTrip(out, 8000, 8000);
  }

  @Test
  void bytesAbove127SurviveAsLatin1() {
    byte[] value = new byte[256];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) i;
    }
    Buffer out = Buffer.buffer();
    NameValuePairs.append(out, "X".getBytes(StandardCharsets.US_ASCII), value);
    Map.Entry<String, String> pair = NameValuePairs.decode(out).get(0);
    assertArrayEquals(value, pair.getValue().getBytes(StandardCharsets.ISO_8859_1));
  }

  @Test
  void manyPairsInOrder() {
    Buffer out = Buffer.buffer();
    for (int i = 0; i < 100; i++) {
      NameValuePairs.append(out, ("N" + i).getBytes(StandardCharsets.US_ASCII),
        ("value-" + i).repeat(i).getBytes(StandardCharsets.US_ASCII));
    }
    List<Map.Entry<String, String>> pairs = NameValuePairs.decode(out);
    assertEquals(100, pairs.size());
    for (int i = 0; i < 100; i++) {
      assertEquals("N" + i, pairs.get(i).getKey());
      assertEquals(("value-" + i).repeat(i), pairs.get(i).getValue());
    }
    assertEquals(pairs, WireRecords.pairs(out));
  }

  @Test
  void fourByteFormOfASmallLengthIsAccepted() {
    // The specification only says the high bit selects the four-byte form; a small length in
    // that form is legal and must consume four bytes.
    Buffer block = Buffer.buffer(bytes(
      0x80, 0x00, 0x00, 0x03,       // nameLength 3, four-byte form
      0x02,                         // valueLength 2
      'A', 'B', 'C',
      'x', 'y'
    ));
    List<Map.Entry<String, String>> pairs = NameValuePairs.decode(block);
    assertEquals(1, pairs.size());
    assertEquals("ABC", pairs.get(0).getKey());
    assertEquals("xy", pairs.get(0).getValue());
  }

  @Test
  void truncatedFourByteLength() {
    assertThrows(FcgiProtocolException.class, () -> NameValuePairs.decode(Buffer.buffer(bytes(0x80, 0x00, 0x01))));
  }

  @Test
  void missingValueLength() {
    assertThrows(FcgiProtocolException.class, () -> NameValuePairs.decode(Buffer.buffer(bytes(0x01))));
  }

  @Test
  void pairRunsPastBlock() {
    assertThrows(FcgiProtocolException.class,
      () -> NameValuePairs.decode(Buffer.buffer(bytes(0x03, 0x01, 'A', 'B', 'C'))));
  }

  @Test
  void hugeLengthRunsPastBlock() {
    assertThrows(FcgiProtocolException.class,
      () -> NameValuePairs.decode(Buffer.buffer(bytes(0xFF, 0xFF, 0xFF, 0xFF, 0x00, 'A'))));
  }

  private static void roundTrip(Buffer encoded, int nameLength, int valueLength) {
    List<Map.Entry<String, String>> pairs = NameValuePairs.decode(encoded);
    assertEquals(1, pairs.size());
    assertEquals("n".repeat(nameLength), pairs.get(0).getKey());
    assertEquals("v".repeat(valueLength), pairs.get(0).getValue());
    assertEquals(pairs, WireRecords.pairs(encoded));
  }
}
