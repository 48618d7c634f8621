package io.tenantgateway.gateway.proxy;

import io.tenantgateway.fcgi.FcgiParams;
import io.tenantgateway.gateway.routing.Mapping;
import io.tenantgateway.gateway.routing.TenantSite;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Builds the CGI parameters of a request as nginx's {@code fastcgi_params} plus
 * {@code SCRIPT_FILENAME} (and PATH_INFO where the path was split) would, followed by every
 * request header as {@code HTTP_*}.
 *
 * <p>Headers: repeated headers are joined with {@code ", "} (Cookie with {@code "; "}); names with
 * characters other than letters, digits and {@code -} are dropped, since {@code _} or {@code .}
 * would alias another variable (nginx: {@code underscores_in_headers off}); {@code Proxy} is dropped
 * (httpoxy). No header can produce a parameter that does not start with {@code HTTP_}.
 */
public final class CgiParams {

  /** SERVER_SOFTWARE value. */
  public static final String SERVER_SOFTWARE = "tenant-gateway";

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
    MultiMap headers = request.headers();
    String uri = requestUri(request.uri());
    int question = uri.indexOf('?');
    String query = question < 0 ? "" : uri.substring(question + 1);
    SocketAddress remote = request.remoteAddress();
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
      .add("REQUEST_SCHEME", request.isSSL() ? "https" : "http");
    if (request.isSSL()) {
      params.add("HTTPS", "on");
    }
    params
      .add("GATEWAY_INTERFACE", "CGI/1.1")
      .add("SERVER_SOFTWARE", SERVER_SOFTWARE)
      .add("REMOTE_ADDR", remote == null ? "" : orEmpty(remote.hostAddress()))
      .add("REMOTE_PORT", remote == null ? "" : Integer.toString(remote.port()))
      .add("SERVER_ADDR", local == null ? "" : orEmpty(local.hostAddress()))
      .add("SERVER_PORT", local == null ? "" : Integer.toString(local.port()))
      .add("SERVER_NAME", site.serverName(host))
      .add("REDIRECT_STATUS", "200")
      .addUtf8("SCRIPT_FILENAME", script.scriptFile().toString());
    if (script.pathInfo() != null) {
      params.addUtf8("PATH_INFO", script.pathInfo());
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
    if (name.isEmpty() || name.equalsIgnoreCase("Proxy")) {
      return null;
    }
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
