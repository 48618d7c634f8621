package io.tenantgateway.gateway.observe;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Request ids: an {@code X-Request-Id} from nginx in front is kept when it is a sane token; otherwise
 * a random 128-bit id in hex, as nginx's {@code $request_id}.
 */
public final class RequestIds {

  private static final int MAX_LENGTH = 128;

  private RequestIds() {
  }

  /**
   * @param header the request's {@code X-Request-Id}, or null
   * @return that id when it is 1 to 128 characters of {@code [A-Za-z0-9._:-]}, else a new one
   */
  public static String acceptOrCreate(String header) {
    return header != null && isSane(header) ? header : create();
  }

  /** @return a new random id, 32 hex digits */
  public static String create() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return HexFormat.of().toHexDigits(random.nextLong()) + HexFormat.of().toHexDigits(random.nextLong());
  }

  private static boolean isSane(String id) {
    if (id.isEmpty() || id.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
        || c == '.' || c == ':';
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
