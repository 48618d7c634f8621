package io.tenantgateway.fcgi.impl;

import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Test-side FastCGI wire helpers, written independently of the code under test: splits a byte
 * stream into records, decodes name-value pairs, and builds the records an application sends.
 */
public final class WireRecords {

  private WireRecords() {
  }

  /** One record as it was on the wire. */
  public record Rec(int version, int type, int requestId, Buffer content, int padding) {
  }

  /**
   * Splits complete records off the front of {@code data}.
   *
   * @param data the bytes
   * @param out receives the complete records
   * @return how many bytes were consumed
   */
  public static int split(Buffer data, List<Rec> out) {
    int pos = 0;
    while (data.length() - pos >= 8) {
      int contentLength = data.getUnsignedShort(pos + 4);
      int padding = data.getUnsignedByte(pos + 6);
      int total = 8 + contentLength + padding;
      if (data.length() - pos < total) {
        break;
      }
      out.add(new Rec(data.getUnsignedByte(pos), data.getUnsignedByte(pos + 1), data.getUnsignedShort(pos + 2),
        data.getBuffer(pos + 8, pos + 8 + contentLength), padding));
      pos += total;
    }
    return pos;
  }

  /**
   * @param data bytes that must hold whole records and nothing else
   * @return the records
   */
  public static List<Rec> parseAll(Buffer data) {
    List<Rec> records = new ArrayList<>();
    int used = split(data, records);
    if (used != data.length()) {
      throw new AssertionError("trailing " + (data.length() - used) + " bytes after the last whole record");
    }
    return records;
  }

  /**
   * Decodes a block of name-value pairs; fails when a pair is cut.
   *
   * @param block the pairs
   * @return name and value as ISO-8859-1 strings, in order
   * @throws IllegalArgumentException when the block does not hold whole pairs
   */
  public static List<Map.Entry<String, String>> pairs(Buffer block) {
    List<Map.Entry<String, String>> result = new ArrayList<>();
    int pos = 0;
    while (pos < block.length()) {
      long[] name = length(block, pos);
      pos += (int) name[1];
      long[] value = length(block, pos);
      pos += (int) value[1];
      if (pos + name[0] + value[0] > block.length()) {
        throw new IllegalArgumentException("pair cut at " + pos);
      }
      String n = block.getString(pos, pos + (int) name[0], "ISO-8859-1");
      pos += (int) name[0];
      String v = block.getString(pos, pos + (int) value[0], "ISO-8859-1");
      pos += (int) value[0];
      result.add(new AbstractMap.SimpleImmutableEntry<>(n, v));
    }
    return result;
  }

  private static long[] length(Buffer block, int pos) {
    if (pos >= block.length()) {
      throw new IllegalArgumentException("length missing at " + pos);
    }
    int first = block.getUnsignedByte(pos);
    if (first < 0x80) {
      return new long[] {first, 1};
    }
    if (pos + 4 > block.length()) {
      throw new IllegalArgumentException("four-byte length cut at " + pos);
    }
    return new long[] {block.getInt(pos) & 0x7FFFFFFFL, 4};
  }

  /**
   * Builds one record as an application would send it.
   *
   * @param type the type code
   * @param requestId the request id
   * @param content the content
   * @param padding padding bytes to add (filled with 0xEE)
   * @return the record bytes
   */
  public static Buffer record(int type, int requestId, Buffer content, int padding) {
    Buffer b = Buffer.buffer(8 + content.length() + padding);
    b.appendByte((byte) 1).appendByte((byte) type).appendUnsignedShort(requestId)
      .appendUnsignedShort(content.length()).appendByte((byte) padding).appendByte((byte) 0)
      .appendBuffer(content);
    for (int i = 0; i < padding; i++) {
      b.appendByte((byte) 0xEE);
    }
    return b;
  }

  /**
   * @param data STDOUT bytes for request 1, split into records of at most 65535 bytes
   * @return the records
   */
  public static Buffer stdout(Buffer data) {
    return stream(6, data);
  }

  /**
   * @param text STDOUT text (ISO-8859-1) for request 1
   * @return the records
   */
  public static Buffer stdout(String text) {
    return stdout(Buffer.buffer(text.getBytes(StandardCharsets.ISO_8859_1)));
  }

  /**
   * @param text STDERR text for request 1
   * @return the records
   */
  public static Buffer stderr(String text) {
    return stream(7, Buffer.buffer(text.getBytes(StandardCharsets.ISO_8859_1)));
  }

  /**
   * @param protocolStatus the protocol status byte
   * @return END_REQUEST for request 1 with app status 0, preceded by the empty STDOUT terminator
   */
  public static Buffer end(int protocolStatus) {
    Buffer body = Buffer.buffer().appendInt(0).appendByte((byte) protocolStatus).appendBytes(new byte[3]);
    return record(6, 1, Buffer.buffer(), 0).appendBuffer(record(3, 1, body, 0));
  }

  private static Buffer stream(int type, Buffer data) {
    Buffer out = Buffer.buffer(data.length() + 16);
    for (int pos = 0; pos < data.length(); pos += 0xFFFF) {
      int chunk = Math.min(0xFFFF, data.length() - pos);
      out.appendBuffer(record(type, 1, data.getBuffer(pos, pos + chunk), (8 - chunk % 8) % 8));
    }
    return out;
  }
}
