package io.tenantgateway.gateway.routing;

import java.util.function.IntPredicate;

/**
 * Percent-encoding of bytes for URLs the gateway writes (redirect locations).
 */
public final class PercentEncoding {

  private PercentEncoding() {
  }

  /**
   * @param bytes the bytes to write
   * @param keep which byte values (0-255) stay as they are
   * @return the text with every other byte as {@code %XX}
   */
  public static String encode(byte[] bytes, IntPredicate keep) {
    StringBuilder out = new StringBuilder(bytes.length + 16);
    for (byte b : bytes) {
      int c = b & 0xFF;
      if (keep.test(c)) {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
          .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
      }
    }
    return out.toString();
  }
}
