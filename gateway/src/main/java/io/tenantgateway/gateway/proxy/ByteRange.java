package io.tenantgateway.gateway.proxy;

/**
 * One byte range of a file (RFC 9110 14.1.2), both ends inclusive and inside the file.
 *
 * @param first the first byte
 * @param last the last byte
 */
record ByteRange(long first, long last) {

  /** A well-formed range that lies wholly beyond the end of the file: 416. */
  static final ByteRange UNSATISFIABLE = new ByteRange(-1, -1);

  private static final String UNIT = "bytes=";

  /**
   * @param header the Range header, or null
   * @param size the file's size
   * @return the range; {@link #UNSATISFIABLE}; or null for the whole file (no header, another unit,
   *     an invalid specifier, or several ranges, which a server may answer with the whole file)
   */
  static ByteRange parse(String header, long size) {
    if (header == null || !header.regionMatches(true, 0, UNIT, 0, UNIT.length())) {
      return null;
    }
    String spec = header.substring(UNIT.length()).trim();
    int dash = spec.indexOf('-');
    if (dash < 0 || spec.indexOf('-', dash + 1) >= 0) {
      return null;
    }
    long first = number(spec, 0, dash);
    long last = number(spec, dash + 1, spec.length());
    if (first == INVALID || last == INVALID || (first == ABSENT && last == ABSENT)) {
      return null;
    }
    if (first == ABSENT) {
      return last == 0 || size == 0 ? UNSATISFIABLE : new ByteRange(Math.max(0, size - last), size - 1);
    }
    if (last != ABSENT && last < first) {
      return null;
    }
    if (first >= size) {
      return UNSATISFIABLE;
    }
    return new ByteRange(first, last == ABSENT || last >= size ? size - 1 : last);
  }

  private static final long ABSENT = -1;
  private static final long INVALID = -2;

  /** @return the decimal number in [from, to): ABSENT when empty, INVALID for a non-digit, capped at Long.MAX_VALUE */
  private static long number(String text, int from, int to) {
    if (from == to) {
      return ABSENT;
    }
    long value = 0;
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return INVALID;
      }
      value = value > (Long.MAX_VALUE - 9) / 10 ? Long.MAX_VALUE : value * 10 + (c - '0');
    }
    return value;
  }
}
