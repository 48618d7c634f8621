package io.tenantgateway.gateway.observe;

import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * Writes an instant as ISO 8601 in UTC with milliseconds ({@code 2026-12-03T07:33:55.296Z}) without
 * a formatter: the date and time of the current second are kept per thread, so an access log line
 * costs a few appends, not a {@code DateTimeFormatter} run.
 */
final class IsoTime {

  private static final ThreadLocal<Second> LAST = ThreadLocal.withInitial(Second::new);

  private static final class Second {
    long epochSecond = Long.MIN_VALUE;
    String text;
  }

  private IsoTime() {
  }

  /**
   * @param out where to append
   * @param epochMillis the instant
   */
  static void append(StringBuilder out, long epochMillis) {
    long second = Math.floorDiv(epochMillis, 1000);
    int millis = (int) Math.floorMod(epochMillis, 1000);
    Second last = LAST.get();
    if (last.epochSecond != second) {
      last.epochSecond = second;
      last.text = LocalDateTime.ofEpochSecond(second, 0, ZoneOffset.UTC).toString();
      if (last.text.length() == 16) {
        last.text += ":00";
      }
    }
    out.append(last.text).append('.');
    if (millis < 100) {
      out.append('0');
    }
    if (millis < 10) {
      out.append('0');
    }
    out.append(millis).append('Z');
  }
}
