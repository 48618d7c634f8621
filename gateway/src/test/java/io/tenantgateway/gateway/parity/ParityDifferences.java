package io.tenantgateway.gateway.parity;

import io.tenantgateway.gateway.proxy.CgiParams;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Every known, justified difference between nginx 1.22 (Debian 12, {@code fastcgi_params}) and the
 * gateway, in one place; README.md, "Differences from nginx", lists the same. Anything not listed
 * here must be identical. A listed difference is not a free pass: each still states what both
 * sides must hold.
 */
public final class ParityDifferences {

  /**
   * What both sides must hold for a listed {@code $_SERVER} entry.
   */
  @FunctionalInterface
  public interface Check {
    /**
     * @param nginx the value under nginx (null: absent)
     * @param gateway the value under the gateway (null: absent)
     * @param sides ports and the request
     * @return true when the two values differ only as the reason says
     */
    boolean accepts(String nginx, String gateway, Sides sides);
  }

  /**
   * What a check may look at.
   *
   * @param nginxPort nginx's port
   * @param gatewayPort the gateway's port
   * @param request the request that was sent
   */
  public record Sides(int nginxPort, int gatewayPort, ParityRequest request) {
  }

  /**
   * A justified difference.
   *
   * @param reason why the gateway does not (or cannot) do as nginx does
   * @param check what both sides must still hold
   */
  public record Difference(String reason, Check check) {
  }

  /** Justified differences in {@code $_SERVER}, by variable name. */
  public static final Map<String, Difference> SERVER_VARIABLES;

  static {
    Map<String, Difference> m = new LinkedHashMap<>();
    m.put("SERVER_SOFTWARE", new Difference("each names itself (nginx/$nginx_version)",
      (n, g, s) -> n != null && n.startsWith("nginx/") && CgiParams.SERVER_SOFTWARE.equals(g)));
    m.put("SERVER_PORT", new Difference("each server's own listening port",
      (n, g, s) -> String.valueOf(s.nginxPort()).equals(n) && String.valueOf(s.gatewayPort()).equals(g)));
    m.put("HTTP_X_REQUEST_ID", new Difference("the gateway gives every request an id for its access log and PHP "
      + "(nginx has $request_id but passes it only when configured to); one sent by the client is kept",
      (n, g, s) -> n == null ? g != null && g.matches("[0-9a-f]{32}") : n.equals(g)));
    m.put("REMOTE_PORT", new Difference("each request comes from its own ephemeral client port",
      (n, g, s) -> isPort(n) && isPort(g)));
    m.put("REQUEST_TIME", new Difference("set by PHP when the request starts",
      (n, g, s) -> close(n, g, 5)));
    m.put("REQUEST_TIME_FLOAT", new Difference("set by PHP when the request starts",
      (n, g, s) -> close(n, g, 5)));
    m.put("HTTP_HOST", new Difference("Debian's fastcgi_params sets HTTP_HOST to $host (lower case, port "
      + "dropped: a workaround for absolute-form targets naming another host); upstream nginx passes the Host "
      + "header as sent, and so does the gateway, which refuses an absolute-form target for another host (400)",
      (n, g, s) -> g != null && g.equals(s.request().host()) && n != null && n.equals(hostOnly(g))));
    SERVER_VARIABLES = java.util.Collections.unmodifiableMap(m);
  }

  /**
   * Headers sent more than once: nginx 1.22 passes each as a parameter of its own (PHP keeps one of
   * them); the gateway joins them with {@code ", "} ({@code Cookie} with {@code "; "}) as nginx 1.23
   * and later do. The test sends nginx the request with those headers already joined and then
   * requires identical results.
   */
  public static final String REPEATED_HEADERS = "nginx 1.22 passes repeated headers as separate parameters "
    + "(PHP keeps one); the gateway joins them as nginx >= 1.23 does";

  /**
   * Response headers that are not compared: each server's own name and clock, and message framing
   * (nginx streams FastCGI output with chunked encoding; the gateway sends Content-Length when the
   * whole output arrived at once), and the gateway's {@code X-Request-Id}, which it returns so that a
   * client can quote it. Bodies are compared after de-chunking.
   */
  public static final Set<String> RESPONSE_HEADERS_NOT_COMPARED = Set.of("server", "date", "connection",
    "keep-alive", "transfer-encoding", "content-length", "x-request-id");

  /**
   * Answers a server makes itself (redirects, 403, 404, 405, static files): status and Location are
   * compared, and for a static file its Content-Type and body; the error pages' HTML and headers
   * are each server's own.
   */
  public static final String SERVER_ANSWERS = "error pages are each server's own HTML; static file "
    + "validators (ETag, Accept-Ranges) are each server's own";

  /**
   * Differences at the FastCGI level that PHP does not show, so the test cannot see them: the
   * gateway never passes a {@code Proxy} request header (httpoxy, CVE-2016-5385), nginx passes it as
   * HTTP_PROXY, and php-fpm (since PHP 5.6.24 / 7.0.9) leaves it out of {@code $_SERVER} itself;
   * another FastCGI application behind {@code backend} would see it from nginx. CgiParamsTest covers
   * the gateway's side.
   */
  public static final String NOT_VISIBLE_TO_PHP = "Proxy header: nginx passes HTTP_PROXY, the gateway never does "
    + "(httpoxy); php-fpm drops it itself";

  /**
   * The status line's protocol: nginx answers every request with HTTP/1.1, Vert.x answers an
   * HTTP/1.0 request with HTTP/1.0 (RFC 9110 section 2.5 allows both; what PHP sees is the same).
   */
  public static final Difference STATUS_LINE_VERSION = new Difference("Vert.x answers an HTTP/1.0 request with "
    + "an HTTP/1.0 status line, nginx with HTTP/1.1; both are valid (RFC 9110 2.5)",
    (n, g, s) -> n.equals("HTTP/1.1") && g.equals(s.request().version()));

  private ParityDifferences() {
  }

  private static boolean isPort(String value) {
    try {
      int port = Integer.parseInt(value);
      return port > 0 && port < 65536;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static boolean close(String a, String b, double seconds) {
    try {
      return Math.abs(Double.parseDouble(a) - Double.parseDouble(b)) <= seconds;
    } catch (NumberFormatException | NullPointerException e) {
      return false;
    }
  }

  private static String hostOnly(String host) {
    String lower = host.toLowerCase(java.util.Locale.ROOT);
    int colon = lower.lastIndexOf(':');
    return colon > lower.lastIndexOf(']') && colon >= 0 ? lower.substring(0, colon) : lower;
  }
}
