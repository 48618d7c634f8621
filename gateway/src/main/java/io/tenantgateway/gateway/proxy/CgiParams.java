package io.tenantgateway.gateway.proxy;

import io.tenantgateway.fcgi.FcgiParams;
import io.tenantgateway.gateway.routing.Mapping;
import io.tenantgateway.gateway.routing.TenantSite;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds the CGI parameters of a request as nginx's {@code fastcgi_params} plus
 * {@code SCRIPT_FILENAME} and PATH_INFO (empty when the path was not split)
 * would, followed by every request header as {@code HTTP_*}. REMOTE_USER is nginx's
 * {@code $remote_user}: the user name of {@code Authorization: Basic} credentials, not verified by
 * anyone, else empty.
 *
 * <p>Headers: repeated headers are joined with {@code ", "} (Cookie with {@code "; "}); names with
 * characters other than letters, digits and {@code -} are dropped, since {@code _} or {@code .}
 * would alias another variable (nginx: {@code underscores_in_headers off}); {@code Proxy} is dropped
 * (httpoxy). No header can produce a parameter that does not start with {@code HTTP_}: neither
 * {@code PHP_VALUE}/{@code PHP_ADMIN_VALUE} (php-fpm's ini overrides) nor any fixed parameter.
 *
 * <p>REMOTE_ADDR, REMOTE_PORT, REQUEST_SCHEME, HTTPS and SERVER_PORT are those of the effective
 * client ({@link TrustedProxies#client}): the peer's, unless the peer is a trusted proxy whose
 * forwarding headers say otherwise.
 */
public final class CgiParams {

  /**
   * SERVER_SOFTWARE value. It says "nginx" on purpose: applications such as WordPress offer pretty
   * URLs only when the server is known to rewrite them (Apache, IIS or nginx), and the gateway maps
   * paths as nginx's {@code try_files $uri $uri/ /index.php?$args} does.
   */
  public static final String SERVER_SOFTWARE = "tenant-gateway (nginx-compatible)";

  private static final String BASIC = "Basic ";
  private static final String BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

  /** CGI names of the request headers most requests carry, as browsers and nginx spell them. */
  private static final Map<String, String> COMMON_NAMES = new java.util.HashMap<>();

  static {
    for (String name : List.of("Host", "User-Agent", "Accept", "Accept-Encoding", "Accept-Language", "Connection",
      "Cookie", "Referer", "Content-Type", "Content-Length", "Authorization", "Cache-Control", "Origin", "Pragma",
      "If-Modified-Since", "If-None-Match", "Upgrade-Insecure-Requests", "DNT", "Priority", "Sec-Fetch-Dest",
      "Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-User", "Sec-CH-UA", "Sec-CH-UA-Mobile", "Sec-CH-UA-Platform",
      "X-Request-Id", "X-Real-IP", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port",
      "X-Requested-With", "host", "user-agent", "accept", "accept-encoding", "accept-language", "connection",
      "cookie", "referer", "content-type", "content-length", "authorization", "x-request-id")) {
      COMMON_NAMES.put(name, spell(name));
    }
  }

  private CgiParams() {
  }

  /**
   * @param request the HTTP request
   * @param site the tenant
   * @param script the mapped script
   * @param host the normalised request host
   * @param contentLength CONTENT_LENGTH when the gateway learnt it by buffering a chunked body, else null
   * @return the parameters in nginx order
   */
  public static FcgiParams build(HttpServerRequest request, TenantSite site, Mapping.Script script, String host,
                                 String contentLength) {
    return build(request, site, script, host, contentLength, TrustedProxies.client(request));
  }

  /**
   * @param request the HTTP request
   * @param site the tenant
   * @param script the mapped script
   * @param host the normalised request host
   * @param contentLength CONTENT_LENGTH when the gateway learnt it by buffering a chunked body, else null
   * @param client the effective client
   * @return the parameters in nginx order
   */
  public static FcgiParams build(HttpServerRequest request, TenantSite site, Mapping.Script script, String host,
                                 String contentLength, TrustedProxies.Client client) {
    MultiMap headers = request.headers();
    String uri = requestUri(request.uri());
    int question = uri.indexOf('?');
    String query = question < 0 ? "" : uri.substring(question + 1);
    SocketAddress local = request.localAddress();
    FcgiParams params = new FcgiParams()
      .add("QUERY_STRING", query)
      .add("REQUEST_METHOD", request.method().name())
      .add("CONTENT_TYPE", orEmpty(headers.get("Content-Type")))
      .add("CONTENT_LENGTH", contentLength != null ? contentLength : orEmpty(headers.get("Content-Length")))
      .addUtf8("SCRIPT_NAME", script.scriptName())
      .add("REQUEST_URI", uri)
      .addUtf8("DOCUMENT_URI", script.documentUri())
      .addUtf8("DOCUMENT_ROOT", site.docroot().toString())
      .add("SERVER_PROTOCOL", request.version() == HttpVersion.HTTP_1_0 ? "HTTP/1.0" : "HTTP/1.1")
      .add("REQUEST_SCHEME", client.scheme());
    if (client.https()) {
      params.add("HTTPS", "on");
    }
    params
      .add("GATEWAY_INTERFACE", "CGI/1.1")
      .add("SERVER_SOFTWARE", SERVER_SOFTWARE)
      .add("REMOTE_ADDR", client.address())
      .add("REMOTE_PORT", client.port() < 0 ? "" : Integer.toString(client.port()))
      .add("REMOTE_USER", basicAuthUser(headers.get("Authorization")))
      .add("SERVER_ADDR", local == null ? "" : orEmpty(local.hostAddress()))
      .add("SERVER_PORT", client.serverPort() < 0 ? "" : Integer.toString(client.serverPort()))
      .add("SERVER_NAME", site.serverName(host))
      .add("REDIRECT_STATUS", "200")
      .addUtf8("SCRIPT_FILENAME", script.scriptFile().toString());
    if (script.pathInfo() != null) {
      params.addUtf8("PATH_INFO", script.pathInfo());
    } else {
      params.add("PATH_INFO", "");
    }
    for (Map.Entry<String, String> header : joinedHeaders(headers).entrySet()) {
      params.add(header.getKey(), header.getValue());
    }
    return params;
  }

  /**
   * @param name an HTTP header name
   * @return its CGI name ({@code HTTP_} + upper case, {@code -} as {@code _}), or null when the header
   *     must not be passed
   */
  public static String cgiName(String name) {
    String common = COMMON_NAMES.get(name);
    if (common != null) {
      return common;
    }
    if (name.isEmpty() || name.equalsIgnoreCase("Proxy")) {
      return null;
    }
    return spell(name);
  }

  private static String spell(String name) {
    StringBuilder out = new StringBuilder(name.length() + 5).append("HTTP_");
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c >= 'a' && c <= 'z') {
        out.append((char) (c - 32));
      } else if (c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
        out.append(c);
      } else if (c == '-') {
        out.append('_');
      } else {
        return null;
      }
    }
    return out.toString();
  }

  /**
   * nginx's {@code $remote_user} ({@code ngx_http_auth_basic_user}): the part before the first
   * {@code :} of base64-decoded {@code Basic} credentials; empty when there is no such header, the
   * scheme is another, the base64 is invalid, or the user part is empty or has no {@code :} after it.
   *
   * @param authorization the Authorization header, or null
   * @return the user name as bytes (one char per byte), or empty
   */
  static String basicAuthUser(String authorization) {
    if (authorization == null || authorization.length() < BASIC.length()
      || !authorization.regionMatches(true, 0, BASIC, 0, BASIC.length())) {
      return "";
    }
    int start = BASIC.length();
    while (start < authorization.length() && authorization.charAt(start) == ' ') {
      start++;
    }
    byte[] decoded = decodeBase64(authorization.substring(start));
    if (decoded == null) {
      return "";
    }
    int colon = 0;
    while (colon < decoded.length && decoded[colon] != ':') {
      colon++;
    }
    if (colon == 0 || colon == decoded.length) {
      return "";
    }
    return new String(decoded, 0, colon, StandardCharsets.ISO_8859_1);
  }

  /**
   * Base64 as nginx's {@code ngx_decode_base64}: the text up to the first {@code =} must be of the
   * standard alphabet and not 1 modulo 4 long; what follows the first {@code =} is ignored.
   */
  private static byte[] decodeBase64(String text) {
    int end = text.indexOf('=');
    if (end < 0) {
      end = text.length();
    }
    if (end == 0 || end % 4 == 1) {
      return null;
    }
    byte[] out = new byte[end * 3 / 4];
    int n = 0;
    int bits = 0;
    int buffered = 0;
    for (int i = 0; i < end; i++) {
      int value = BASE64.indexOf(text.charAt(i));
      if (value < 0) {
        return null;
      }
      bits = (bits << 6) | value;
      buffered += 6;
      if (buffered >= 8) {
        buffered -= 8;
        out[n++] = (byte) (bits >> buffered);
      }
    }
    return n == out.length ? out : java.util.Arrays.copyOf(out, n);
  }

  private static Map<String, String> joinedHeaders(MultiMap headers) {
    Map<String, String> joined = new LinkedHashMap<>();
    for (Map.Entry<String, String> header : headers) {
      String name = cgiName(header.getKey());
      if (name == null) {
        continue;
      }
      String previous = joined.get(name);
      if (previous == null) {
        joined.put(name, header.getValue());
      } else {
        String separator = name.equals("HTTP_COOKIE") ? "; " : ", ";
        joined.put(name, previous + separator + header.getValue());
      }
    }
    return joined;
  }

  private static String requestUri(String uri) {
    if (uri.startsWith("/")) {
      return uri;
    }
    String lower = uri.toLowerCase(Locale.ROOT);
    if (lower.startsWith("http://") || lower.startsWith("https://")) {
      int slash = uri.indexOf('/', lower.indexOf("//") + 2);
      return slash < 0 ? "/" : uri.substring(slash);
    }
    return uri;
  }

  private static String orEmpty(String value) {
    return value == null ? "" : value;
  }
}
