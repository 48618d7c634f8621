package io.tenantgateway.gateway.proxy;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.HostAndPort;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Locale;

/**
 * Refuses requests that Vert.x's parser accepts but a proxy must not (docs/ARCHITECTURE.md): HTTP/1.1 without
 * Host, several Host headers, a Transfer-Encoding other than one {@code chunked}, an invalid or
 * repeated Content-Length, an absolute-form target naming another host than the Host header, a
 * method that is not upper-case letters, {@code -} and {@code _} (nginx), a request target with a
 * space or control character (CTL, NUL, DEL: nginx since 1.21.1). What the decoder itself must see
 * (obs-fold, stray bytes) is {@link Http1Guard}'s.
 *
 * <p>A request that arrives pipelined behind a refused one (or any closing answer) is not processed
 * at all: the connection is closed ({@link Http1Guard#closing}).
 */
public final class RequestChecks {

  private static final Logger LOG = LoggerFactory.getLogger(RequestChecks.class);

  private RequestChecks() {
  }

  /**
   * Answers a malformed request with 400 and closes its connection.
   *
   * @param request the request, before any routing
   * @return true when the request was refused
   */
  public static boolean refused(HttpServerRequest request) {
    if (Http1Guard.closing(request)) {
      LOG.info("dropped {} {} from {}: pipelined behind a closing answer", request.method(), request.uri(),
        request.remoteAddress());
      request.connection().close();
      return true;
    }
    String problem = problem(request);
    if (problem == null) {
      return false;
    }
    LOG.info("refused {} {} from {}: {}", request.method(), request.uri(), request.remoteAddress(), problem);
    ErrorPage.sendAndClose(request, 400);
    return true;
  }

  /**
   * @param request the request
   * @return null when acceptable, else why it is refused (answered with 400 and the connection closed)
   */
  public static String problem(HttpServerRequest request) {
    if (!isMethod(request.method().name())) {
      return "invalid method";
    }
    if (hasControlOrSpace(request.uri())) {
      return "space or control character in the request target";
    }
    MultiMap headers = request.headers();
    List<String> hosts = headers.getAll("Host");
    if (hosts.size() > 1) {
      return "more than one Host header";
    }
    if (hosts.isEmpty() && request.version() != HttpVersion.HTTP_1_0) {
      return "HTTP/1.1 request without Host";
    }
    List<String> encodings = headers.getAll("Transfer-Encoding");
    if (!encodings.isEmpty()) {
      if (encodings.size() > 1 || !encodings.get(0).trim().equalsIgnoreCase("chunked")) {
        return "Transfer-Encoding other than a single chunked";
      }
      if (headers.contains("Content-Length")) {
        return "both Content-Length and Transfer-Encoding";
      }
    }
    List<String> lengths = headers.getAll("Content-Length");
    if (lengths.size() > 1 || (lengths.size() == 1 && !isDigits(lengths.get(0)))) {
      return "invalid Content-Length";
    }
    String uri = request.uri();
    if (!uri.startsWith("/")) {
      String lower = uri.toLowerCase(Locale.ROOT);
      if (!lower.startsWith("http://") && !lower.startsWith("https://")) {
        return "request target is neither origin-form nor absolute-form";
      }
      int start = lower.indexOf("//") + 2;
      int end = start;
      while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
        end++;
      }
      String targetHost = uri.substring(start, end);
      if (!hosts.isEmpty() && !sameHost(targetHost, hosts.get(0))) {
        return "absolute-form target names another host than Host";
      }
    }
    HostAndPort authority = request.authority();
    if (authority == null || authority.host() == null || authority.host().isEmpty()) {
      return hosts.isEmpty() ? null : "invalid Host header";
    }
    return null;
  }

  private static boolean sameHost(String a, String b) {
    return stripPort(a).equalsIgnoreCase(stripPort(b));
  }

  private static String stripPort(String hostPort) {
    if (hostPort.startsWith("[")) {
      int close = hostPort.indexOf(']');
      return close < 0 ? hostPort : hostPort.substring(0, close + 1);
    }
    int colon = hostPort.lastIndexOf(':');
    return colon < 0 ? hostPort : hostPort.substring(0, colon);
  }

  private static boolean isMethod(String method) {
    if (method.isEmpty()) {
      return false;
    }
    for (int i = 0; i < method.length(); i++) {
      char c = method.charAt(i);
      if ((c < 'A' || c > 'Z') && c != '-' && c != '_') {
        return false;
      }
    }
    return true;
  }

  private static boolean hasControlOrSpace(String uri) {
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c <= ' ' || c == 0x7F) {
        return true;
      }
    }
    return false;
  }

  private static boolean isDigits(String value) {
    if (value.isEmpty() || value.length() > 18) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      if (value.charAt(i) < '0' || value.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }
}
