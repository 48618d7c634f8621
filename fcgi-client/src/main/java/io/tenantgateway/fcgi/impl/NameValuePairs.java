package io.tenantgateway.fcgi.impl;

import io.tenantgateway.fcgi.FcgiProtocolException;
import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The FastCGI name-value pair format: each length in one byte (below 128) or four bytes with the
 * high bit set, then the name bytes, then the value bytes.
 */
public final class NameValuePairs {

  private NameValuePairs() {
  }

  /**
   * @param nameLength bytes in the name
   * @param valueLength bytes in the value
   * @return how many bytes the encoded pair takes
   */
  public static int encodedLength(int nameLength, int valueLength) {
    return lengthSize(nameLength) + lengthSize(valueLength) + nameLength + valueLength;
  }

  /**
   * Appends one encoded pair.
   *
   * @param out where to append
   * @param name name bytes
   * @param value value bytes
   */
  public static void append(Buffer out, byte[] name, byte[] value) {
    appendLength(out, name.length);
    appendLength(out, value.length);
    out.appendBytes(name).appendBytes(value);
  }

  /**
   * Decodes every pair of a complete name-value block (PARAMS stream, GET_VALUES_RESULT body).
   *
   * @param block the concatenated pairs
   * @return the pairs in order, names and values decoded as ISO-8859-1 (one char per byte)
   * @throws FcgiProtocolException when a length runs past the end of the block
   */
  public static List<Map.Entry<String, String>> decode(Buffer block) {
    List<Map.Entry<String, String>> pairs = new ArrayList<>();
    int pos = 0;
    int end = block.length();
    while (pos < end) {
      long nameLength = readLength(block, pos, end);
      pos += encodedLengthSize(block, pos);
      long valueLength = readLength(block, pos, end);
      pos += encodedLengthSize(block, pos);
      if (nameLength + valueLength > end - pos) {
        throw new FcgiProtocolException("name-value pair runs past the end of its block");
      }
      String name = block.getString(pos, pos + (int) nameLength, StandardCharsets.ISO_8859_1.name());
      pos += (int) nameLength;
      String value = block.getString(pos, pos + (int) valueLength, StandardCharsets.ISO_8859_1.name());
      pos += (int) valueLength;
      pairs.add(new AbstractMap.SimpleImmutableEntry<>(name, value));
    }
    return pairs;
  }

  private static int lengthSize(long length) {
    return length < FcgiConstants.ONE_BYTE_LENGTH_LIMIT ? 1 : 4;
  }

  private static int encodedLengthSize(Buffer block, int pos) {
    // the high bit of the first byte selects the four-byte form, whatever the value
    return (block.getUnsignedByte(pos) & 0x80) == 0 ? 1 : 4;
  }

  private static void appendLength(Buffer out, int length) {
    if (length < FcgiConstants.ONE_BYTE_LENGTH_LIMIT) {
      out.appendByte((byte) length);
    } else {
      out.appendInt(length | 0x80000000);
    }
  }

  private static long readLength(Buffer block, int pos, int end) {
    if (pos >= end) {
      throw new FcgiProtocolException("name-value length missing at offset " + pos);
    }
    int first = block.getUnsignedByte(pos);
    if ((first & 0x80) == 0) {
      return first;
    }
    if (end - pos < 4) {
      throw new FcgiProtocolException("four-byte name-value length truncated at offset " + pos);
    }
    return block.getInt(pos) & 0x7FFFFFFFL;
  }
}
