package io.tenantgateway.fcgi.impl;

import io.tenantgateway.fcgi.FcgiParams;
import io.tenantgateway.fcgi.impl.WireRecords.Rec;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class RecordEncoderTest {

  private static byte[] bytes(int... values) {
    byte[] result = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      result[i] = (byte) values[i];
    }
    return result;
  }

  @Test
  void beginRequestKeepConn() {
    Buffer out = Buffer.buffer();
    RecordEncoder.beginRequest(out, 1, true);
    assertArrayEquals(bytes(
      1,                 // version
      1,                 // type BEGIN_REQUEST
      0, 1,              // request id 1
      0, 8,              // content length 8
      0,                 // padding length
      0,                 // reserved
      0, 1,              // role RESPONDER
      1,                 // flags: KEEP_CONN
      0, 0, 0, 0, 0      // reserved
    ), out.getBytes());
  }

  @Test
  void beginRequestWithoutKeepConn() {
    Buffer out = Buffer.buffer();
    RecordEncoder.beginRequest(out, 0x1234, false);
    assertArrayEquals(bytes(
      1, 1, 0x12, 0x34, 0, 8, 0, 0,
      0, 1,              // role RESPONDER
      0,                 // flags: none
      0, 0, 0, 0, 0
    ), out.getBytes());
  }

  @Test
  void abortRequest() {
    Buffer out = Buffer.buffer();
    RecordEncoder.abortRequest(out, 1);
    assertArrayEquals(bytes(
      1,                 // version
      2,                 // type ABORT_REQUEST
      0, 1,              // request id
      0, 0,              // no content
      0, 0
    ), out.getBytes());
  }

  @Test
  void getValues() {
    Buffer out = Buffer.buffer();
    RecordEncoder.getValues(out, List.of("FCGI_MAX_CONNS", "FCGI_MPXS_CONNS"));
    Buffer expected = Buffer.buffer(bytes(
      1,                 // version
      9,                 // type GET_VALUES
      0, 0,              // request id 0 (management)
      0, 33,             // content length: 1+1+14 + 1+1+15
      0, 0))
      .appendBytes(bytes(14, 0)).appendString("FCGI_MAX_CONNS")
      .appendBytes(bytes(15, 0)).appendString("FCGI_MPXS_CONNS");
    assertEquals(expected, out);
  }

  @Test
  void emptyParamsIsOnlyTheTerminator() {
    Buffer out = Buffer.buffer();
    RecordEncoder.params(out, 1, new FcgiParams());
    assertArrayEquals(bytes(1, 4, 0, 1, 0, 0, 0, 0), out.getBytes());
  }

  @Test
  void emptyStdinTerminator() {
    Buffer out = Buffer.buffer();
    RecordEncoder.stream(out, RecordType.STDIN, 1, Buffer.buffer());
    assertEquals(0, out.length());
    RecordEncoder.endOfStream(out, RecordType.STDIN, 1);
    assertArrayEquals(bytes(1, 5, 0, 1, 0, 0, 0, 0), out.getBytes());
  }

  @Test
  void oneSmallParam() {
    Buffer out = Buffer.buffer();
    RecordEncoder.params(out, 1, new FcgiParams().add("A", "bc"));
    assertArrayEquals(bytes(
      1, 4, 0, 1, 0, 5, 0, 0,  // PARAMS, 5 bytes
      1, 2, 'A', 'b', 'c',     // the pair
      1, 4, 0, 1, 0, 0, 0, 0   // terminator
    ), out.getBytes());
  }

  @Test
  void headerRejectsOversizedContent() {
    assertThrows(IllegalArgumentException.class, () -> RecordEncoder.header(Buffer.buffer(), RecordType.STDIN, 1, 65536));
    assertThrows(IllegalArgumentException.class, () -> RecordEncoder.header(Buffer.buffer(), RecordType.STDIN, 1, -1));
  }

  @Test
  void paramsRoundTrip() {
    FcgiParams params = new FcgiParams()
      .add("SCRIPT_FILENAME", "/srv/www/index.php")
      .add("QUERY_STRING", "a=1&b=%C3%A9")
      .add("HTTP_X_BYTES", "\u00e9\u00ff\u0080")
      .addUtf8("PATH_INFO", "/caf\u00e9")
      .add("N127", "x".repeat(127))
      .add("N128", "x".repeat(128))
      .add("x".repeat(128), "")
      .add("EMPTY", "");
    Buffer out = Buffer.buffer();
    RecordEncoder.params(out, 1, params);
    List<Rec> records = WireRecords.parseAll(out);
    assertStreamShape(records, RecordType.PARAMS);
    List<Map.Entry<String, String>> decoded = NameValuePairs.decode(concat(records));
    assertEquals(params.size(), decoded.size());
    for (int i = 0; i < params.size(); i++) {
      assertArrayEquals(params.nameBytes(i), latin1(decoded.get(i).getKey()));
      assertArrayEquals(params.valueBytes(i), latin1(decoded.get(i).getValue()));
    }
    assertEquals("/caf\u00c3\u00a9", decoded.get(3).getValue());
  }

  @Test
  void seventyKilobyteValueIsSplitAndReassembled() {
    String big = randomAscii(70 * 1024, 1);
    FcgiParams params = new FcgiParams().add("BEFORE", "1").add("HTTP_COOKIE", big).add("AFTER", "2");
    Buffer out = Buffer.buffer();
    RecordEncoder.params(out, 1, params);
    List<Rec> records = WireRecords.parseAll(out);
    assertStreamShape(records, RecordType.PARAMS);
    assertTrue(records.size() >= 4, "split across records: " + records.size());
    List<Map.Entry<String, String>> decoded = NameValuePairs.decode(concat(records));
    assertEquals(3, decoded.size());
    assertEquals("BEFORE", decoded.get(0).getKey());
    assertEquals("HTTP_COOKIE", decoded.get(1).getKey());
    assertEquals(big, decoded.get(1).getValue());
    assertEquals("AFTER", decoded.get(2).getKey());
    assertEquals("2", decoded.get(2).getValue());
    assertRecordsHoldWholePairs(records);
  }

  @Test
  void manySmallParamsNeverSplitAPair() {
    FcgiParams params = new FcgiParams();
    Random random = new Random(7);
    for (int i = 0; i < 6000; i++) {
      params.add("HTTP_X_HEADER_" + i, randomAscii(random.nextInt(200), i));
    }
    Buffer out = Buffer.buffer();
    RecordEncoder.params(out, 1, params);
    List<Rec> records = WireRecords.parseAll(out);
    assertStreamShape(records, RecordType.PARAMS);
    assertTrue(records.size() > 5, "several PARAMS records: " + records.size());
    int total = 0;
    for (Rec rec : records.subList(0, records.size() - 1)) {
      // php-fpm parses each PARAMS record on its own
      total += WireRecords.pairs(rec.content()).size();
    }
    assertEquals(6000, total);
    List<Map.Entry<String, String>> decoded = NameValuePairs.decode(concat(records));
    for (int i = 0; i < 6000; i++) {
      assertArrayEquals(params.nameBytes(i), latin1(decoded.get(i).getKey()));
      assertArrayEquals(params.valueBytes(i), latin1(decoded.get(i).getValue()));
    }
  }

  @Test
  void mixOfSmallAndHugePairs() {
    FcgiParams params = new FcgiParams();
    for (int i = 0; i < 3000; i++) {
      params.add("A" + i, randomAscii(40, i));
    }
    params.add("HUGE1", randomAscii(65535, 1));        // encoded 4+4+5+65535: too big for one record
    params.add("HUGE2", randomAscii(200_000, 2));
    for (int i = 0; i < 3000; i++) {
      params.add("B" + i, randomAscii(40, i));
    }
    Buffer out = Buffer.buffer();
    RecordEncoder.params(out, 1, params);
    List<Rec> records = WireRecords.parseAll(out);
    assertStreamShape(records, RecordType.PARAMS);
    assertEquals(params.size(), NameValuePairs.decode(concat(records)).size());
    assertRecordsHoldWholePairs(records);
  }

  @Test
  void pairsFillingARecordExactly() {
    // five pairs of 13107 encoded bytes fill a record exactly: 5 * 13107 = 65535
    FcgiParams params = new FcgiParams();
    int valueLength = 13107 - 1 - 4 - 2;               // name length 1 byte, value length 4, name "Nx"
    for (int i = 0; i < 5; i++) {
      params.add("N" + i, randomAscii(valueLength, i));
    }
    params.add("LAST", "1");
    Buffer out = Buffer.buffer();
    RecordEncoder.params(out, 1, params);
    List<Rec> records = WireRecords.parseAll(out);
    assertEquals(3, records.size());
    assertEquals(65535, records.get(0).content().length());
    assertEquals(5, WireRecords.pairs(records.get(0).content()).size());
    assertEquals(1, WireRecords.pairs(records.get(1).content()).size());
    assertEquals(0, records.get(2).content().length());
  }

  @Test
  void singlePairOfExactly65535FitsOneRecord() {
    FcgiParams params = new FcgiParams().add("N", randomAscii(65535 - 1 - 4 - 1, 3));
    Buffer out = Buffer.buffer();
    RecordEncoder.params(out, 1, params);
    List<Rec> records = WireRecords.parseAll(out);
    assertEquals(2, records.size());
    assertEquals(65535, records.get(0).content().length());
    assertEquals(1, WireRecords.pairs(records.get(0).content()).size());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 65535, 65536, 131072})
  void stdinBodies(int size) {
    byte[] body = new byte[size];
    new Random(size).nextBytes(body);
    Buffer out = Buffer.buffer();
    RecordEncoder.stream(out, RecordType.STDIN, 1, Buffer.buffer(body));
    RecordEncoder.endOfStream(out, RecordType.STDIN, 1);
    List<Rec> records = WireRecords.parseAll(out);
    int expectedData = (size + 65534) / 65535;
    assertEquals(expectedData + 1, records.size());
    for (int i = 0; i < expectedData; i++) {
      int expectedLength = i < expectedData - 1 ? 65535 : size - 65535 * (expectedData - 1);
      assertEquals(expectedLength, records.get(i).content().length());
    }
    assertStreamShape(records, RecordType.STDIN);
    assertArrayEquals(body, concat(records).getBytes());
  }

  private static void assertStreamShape(List<Rec> records, RecordType type) {
    for (Rec rec : records) {
      assertEquals(1, rec.version());
      assertEquals(type.code, rec.type());
      assertEquals(1, rec.requestId());
      assertEquals(0, rec.padding());
      assertTrue(rec.content().length() <= 65535);
    }
    Rec last = records.get(records.size() - 1);
    assertEquals(0, last.content().length(), "stream ends with an empty record");
    for (Rec rec : records.subList(0, records.size() - 1)) {
      assertTrue(rec.content().length() > 0, "only the terminator is empty");
    }
  }

  /**
   * Every PARAMS record parses as whole pairs on its own, except consecutive records that together
   * carry exactly one pair too big for a single record.
   */
  private static void assertRecordsHoldWholePairs(List<Rec> records) {
    int i = 0;
    while (i < records.size() - 1) {
      Buffer content = records.get(i).content();
      if (parses(content)) {
        i++;
        continue;
      }
      Buffer joined = content.copy();
      int j = i + 1;
      while (!parses(joined)) {
        if (j >= records.size() - 1) {
          fail("record " + i + " starts a pair that never completes");
        }
        joined.appendBuffer(records.get(j++).content());
      }
      List<Map.Entry<String, String>> pairs = WireRecords.pairs(joined);
      assertEquals(1, pairs.size(), "records " + i + ".." + (j - 1) + " carry one oversized pair only");
      assertTrue(joined.length() > 65535, "only a pair larger than a record is split");
      i = j;
    }
  }

  private static boolean parses(Buffer content) {
    try {
      WireRecords.pairs(content);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static Buffer concat(List<Rec> records) {
    Buffer all = Buffer.buffer();
    records.forEach(rec -> all.appendBuffer(rec.content()));
    return all;
  }

  private static byte[] latin1(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String randomAscii(int length, long seed) {
    Random random = new Random(seed);
    char[] chars = new char[length];
    for (int i = 0; i < length; i++) {
      chars[i] = (char) ('a' + random.nextInt(26));
    }
    return new String(chars);
  }
}
