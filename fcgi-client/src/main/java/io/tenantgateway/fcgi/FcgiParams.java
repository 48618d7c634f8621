package io.tenantgateway.fcgi;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The ordered CGI parameters of one request, held as bytes.
 *
 * <p>HTTP gives header values and the request target as byte strings (Vert.x exposes them with one
 * {@code char} per byte); {@link #add} keeps those bytes as they are. Text the caller decoded
 * itself, such as a file name built from a percent-decoded path, goes through {@link #addUtf8}.
 */
public final class FcgiParams {

  private final List<byte[]> names = new ArrayList<>(48);
  private final List<byte[]> values = new ArrayList<>(48);

  /**
   * Adds a parameter whose name and value are byte strings, one {@code char} (0-255) per byte.
   *
   * @param name the parameter name
   * @param value the parameter value
   * @return this
   * @throws IllegalArgumentException when a char does not fit in a byte
   */
  public FcgiParams add(String name, String value) {
    names.add(latin1(name));
    values.add(latin1(value));
    return this;
  }

  /**
   * Adds a parameter whose value is text, encoded as UTF-8.
   *
   * @param name the parameter name (ASCII)
   * @param value the text value
   * @return this
   */
  public FcgiParams addUtf8(String name, String value) {
    names.add(latin1(name));
    values.add(value.getBytes(StandardCharsets.UTF_8));
    return this;
  }

  /**
   * @return how many parameters were added
   */
  public int size() {
    return names.size();
  }

  /**
   * @param index position in insertion order
   * @return the name bytes (not a copy)
   */
  public byte[] nameBytes(int index) {
    return names.get(index);
  }

  /**
   * @param index position in insertion order
   * @return the value bytes (not a copy)
   */
  public byte[] valueBytes(int index) {
    return values.get(index);
  }

  /**
   * @param name a parameter name
   * @return the first value of that name decoded as ISO-8859-1, or null
   */
  public String get(String name) {
    byte[] wanted = latin1(name);
    for (int i = 0; i < names.size(); i++) {
      if (java.util.Arrays.equals(names.get(i), wanted)) {
        return new String(values.get(i), StandardCharsets.ISO_8859_1);
      }
    }
    return null;
  }

  /**
   * @return the names in insertion order, decoded as ISO-8859-1
   */
  public List<String> names() {
    List<String> result = new ArrayList<>(names.size());
    for (byte[] name : names) {
      result.add(new String(name, StandardCharsets.ISO_8859_1));
    }
    return Collections.unmodifiableList(result);
  }

  private static byte[] latin1(String s) {
    byte[] bytes = new byte[s.length()];
    for (int i = 0; i < bytes.length; i++) {
      char c = s.charAt(i);
      if (c > 0xFF) {
        throw new IllegalArgumentException("not a byte string: char " + (int) c + " at " + i);
      }
      bytes[i] = (byte) c;
    }
    return bytes;
  }
}
