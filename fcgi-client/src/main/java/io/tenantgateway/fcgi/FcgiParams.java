package io.tenantgateway.fcgi;

import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The ordered CGI parameters of one request, kept as the FastCGI name-value pairs they are sent
 * as: one byte array, each pair's length prefixes followed by its name and value bytes, so that a
 * request's parameters cost one array and one copy into the request head.
 *
 * <p>HTTP gives header values and the request target as byte strings (Vert.x exposes them with one
 * {@code char} per byte); {@link #add} keeps those bytes as they are. Text the caller decoded
 * itself, such as a file name built from a percent-decoded path, goes through {@link #addUtf8}.
 */
public final class FcgiParams {

  private static final int ONE_BYTE_LENGTH_LIMIT = 128;

  private byte[] pairs = new byte[1024];
  private int length;
  /** Where each pair starts in {@link #pairs}, and one more entry: where the next one would. */
  private int[] starts = new int[48];
  private int count;

  /**
   * Adds a parameter whose name and value are byte strings, one {@code char} (0-255) per byte.
   *
   * @param name the parameter name
   * @param value the parameter value
   * @return this
   * @throws IllegalArgumentException when a char does not fit in a byte
   */
  public FcgiParams add(String name, String value) {
    checkLatin1(name);
    checkLatin1(value);
    begin(name.length(), value.length());
    putLatin1(name);
    putLatin1(value);
    return end();
  }

  /**
   * Adds a parameter whose value is text, encoded as UTF-8.
   *
   * @param name the parameter name (ASCII)
   * @param value the text value
   * @return this
   */
  public FcgiParams addUtf8(String name, String value) {
    if (isAscii(value)) {
      return add(name, value);
    }
    checkLatin1(name);
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    begin(name.length(), bytes.length);
    putLatin1(name);
    System.arraycopy(bytes, 0, pairs, length, bytes.length);
    length += bytes.length;
    return end();
  }

  /**
   * @return how many parameters were added
   */
  public int size() {
    return count;
  }

  /**
   * @param index position in insertion order
   * @return a copy of the name bytes
   */
  public byte[] nameBytes(int index) {
    int pos = starts[index];
    int nameLength = lengthAt(pos);
    pos += lengthSize(nameLength);
    int valueLength = lengthAt(pos);
    pos += lengthSize(valueLength);
    return Arrays.copyOfRange(pairs, pos, pos + nameLength);
  }

  /**
   * @param index position in insertion order
   * @return a copy of the value bytes
   */
  public byte[] valueBytes(int index) {
    int pos = starts[index];
    int nameLength = lengthAt(pos);
    pos += lengthSize(nameLength);
    int valueLength = lengthAt(pos);
    pos += lengthSize(valueLength) + nameLength;
    return Arrays.copyOfRange(pairs, pos, pos + valueLength);
  }

  /**
   * @param name a parameter name
   * @return the first value of that name decoded as ISO-8859-1, or null
   */
  public String get(String name) {
    byte[] wanted = name.getBytes(StandardCharsets.ISO_8859_1);
    for (int i = 0; i < count; i++) {
      if (Arrays.equals(nameBytes(i), wanted)) {
        return new String(valueBytes(i), StandardCharsets.ISO_8859_1);
      }
    }
    return null;
  }

  /**
   * @return the names in insertion order, decoded as ISO-8859-1
   */
  public List<String> names() {
    List<String> result = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      result.add(new String(nameBytes(i), StandardCharsets.ISO_8859_1));
    }
    return Collections.unmodifiableList(result);
  }

  /**
   * @return the bytes of all pairs encoded
   */
  public int encodedLength() {
    return length;
  }

  /**
   * @param index position in insertion order, or {@link #size()} for the end of the last pair
   * @return where that pair starts in the encoded form
   */
  public int encodedOffset(int index) {
    return index == count ? length : starts[index];
  }

  /**
   * Appends part of the encoded form: the pairs from {@code fromIndex} (inclusive) to
   * {@code toIndex} (exclusive), as the content of PARAMS records.
   *
   * @param out where to append
   * @param fromIndex the first pair
   * @param toIndex one past the last pair
   */
  public void appendEncoded(Buffer out, int fromIndex, int toIndex) {
    int from = encodedOffset(fromIndex);
    out.appendBytes(pairs, from, encodedOffset(toIndex) - from);
  }

  private void begin(int nameLength, int valueLength) {
    int needed = lengthSize(nameLength) + lengthSize(valueLength) + nameLength + valueLength;
    if (length + needed > pairs.length) {
      pairs = Arrays.copyOf(pairs, Math.max(pairs.length * 2, length + needed));
    }
    if (count + 1 >= starts.length) {
      starts = Arrays.copyOf(starts, starts.length * 2);
    }
    starts[count] = length;
    putLength(nameLength);
    putLength(valueLength);
  }

  private FcgiParams end() {
    count++;
    starts[count] = length;
    return this;
  }

  private void putLength(int n) {
    if (n < ONE_BYTE_LENGTH_LIMIT) {
      pairs[length++] = (byte) n;
    } else {
      pairs[length++] = (byte) ((n >>> 24) | 0x80);
      pairs[length++] = (byte) (n >>> 16);
      pairs[length++] = (byte) (n >>> 8);
      pairs[length++] = (byte) n;
    }
  }

  private void putLatin1(String s) {
    for (int i = 0; i < s.length(); i++) {
      pairs[length++] = (byte) s.charAt(i);
    }
  }

  private int lengthAt(int pos) {
    int first = pairs[pos] & 0xFF;
    if ((first & 0x80) == 0) {
      return first;
    }
    return ((first & 0x7F) << 24) | ((pairs[pos + 1] & 0xFF) << 16) | ((pairs[pos + 2] & 0xFF) << 8)
      | (pairs[pos + 3] & 0xFF);
  }

  private static int lengthSize(int n) {
    return n < ONE_BYTE_LENGTH_LIMIT ? 1 : 4;
  }

  private static void checkLatin1(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0xFF) {
        throw new IllegalArgumentException("not a byte string: char " + (int) s.charAt(i) + " at " + i);
      }
    }
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }
}
