package io.tenantgateway.gateway.observe;

import io.netty.handler.codec.DateFormatter;

import java.util.Date;

/**
 * The {@code Date} header value (IMF-fixdate), formatted once per second rather than per response.
 */
final class HttpDate {

  private record Stamp(long second, String text) {
  }

  private static volatile Stamp current = new Stamp(-1, "");

  private HttpDate() {
  }

  /** @return now as an HTTP date */
  static String now() {
    long second = System.currentTimeMillis() / 1000;
    Stamp stamp = current;
    if (stamp.second() != second) {
      stamp = new Stamp(second, DateFormatter.format(new Date(second * 1000)));
      current = stamp;
    }
    return stamp.text();
  }
}
