package io.tenantgateway.gateway.proxy;

import io.netty.util.NetUtil;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The proxies whose forwarding headers the gateway believes ({@code http.trusted_proxies}), and the
 * effective client of a request: its address, port and scheme.
 *
 * <p>Only when the direct peer is trusted:
 * <ul>
 *   <li>RFC 7239 {@code Forwarded} ({@code for=}, {@code proto=}; quoted and {@code "[IPv6]:port"}
 *   forms), when present and well-formed, decides alone: its elements are walked from the right,
 *   skipping those whose {@code for=} is a trusted address; the first other one is the client, with
 *   that element's {@code proto}.</li>
 *   <li>Otherwise {@code X-Forwarded-For} gives the address as nginx's realip module with
 *   {@code real_ip_recursive on}: the right-most address that is not itself trusted (the left-most
 *   when all are), {@code X-Forwarded-Proto} the scheme and {@code X-Forwarded-Port} the port
 *   (right-most values: the nearest proxy's).</li>
 * </ul>
 * A proxy-stated scheme sets SERVER_PORT to {@code X-Forwarded-Port} when given, else 443 for
 * https and 80 for http. An address taken from a header has no port (REMOTE_PORT empty, as nginx's
 * {@code $remote_port} after realip) unless {@code Forwarded} names one. A malformed header, or one
 * whose deciding entry is not an address ({@code unknown}, an obfuscated name, a host name), is
 * ignored: the peer stays the client. From any other peer these headers mean nothing; they reach the
 * script only as ordinary {@code HTTP_*} parameters.
 *
 * <p>{@link #client(HttpServerRequest)} is the one entry point: CGI parameters and the access log
 * both use it, so they always agree.
 */
public final class TrustedProxies {

  /** Trusts nobody: the peer is always the client. */
  public static final TrustedProxies NONE = new TrustedProxies(List.of(), "");

  private static final int HTTP_PORT = 80;
  private static final int HTTPS_PORT = 443;

  private final List<Range> ranges;
  private final String text;

  /**
   * The effective client of a request.
   *
   * @param address the client's address (REMOTE_ADDR), or empty when unknown
   * @param port the client's port (REMOTE_PORT), or -1 when unknown
   * @param https true when the client used https (to the gateway or to a trusted proxy)
   * @param serverPort the port the client connected to (SERVER_PORT), or -1 when unknown
   * @param forwarded true when a trusted proxy's header decided any of the above
   */
  public record Client(String address, int port, boolean https, int serverPort, boolean forwarded) {

    /** @return {@code https} or {@code http} (REQUEST_SCHEME) */
    public String scheme() {
      return https ? "https" : "http";
    }
  }

  /** An address range: the network bytes and the prefix length in bits. */
  private record Range(byte[] network, int prefix) {

    boolean contains(byte[] address) {
      if (address.length != network.length) {
        return false;
      }
      int full = prefix / 8;
      for (int i = 0; i < full; i++) {
        if (address[i] != network[i]) {
          return false;
        }
      }
      int rest = prefix % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xFF << (8 - rest)) & 0xFF;
      return (address[full] & mask) == (network[full] & mask);
    }
  }

  private TrustedProxies(List<Range> ranges, String text) {
    this.ranges = ranges;
    this.text = text;
  }

  /**
   * Parses {@code http.trusted_proxies}: addresses and CIDR ranges, IPv4 and IPv6, separated by
   * commas (spaces around them are ignored), e.g. {@code 127.0.0.1, 10.0.0.0/8, ::1, fd00::/8}.
   * Host bits set below the prefix are ignored, as nginx's {@code set_real_ip_from} does. No name
   * is ever resolved.
   *
   * @param list the setting, empty for nobody
   * @return the trusted ranges
   * @throws IllegalArgumentException naming the first invalid entry
   */
  public static TrustedProxies parse(String list) {
    if (list == null || list.isBlank()) {
      return NONE;
    }
    List<Range> ranges = new ArrayList<>();
    for (String raw : list.split(",", -1)) {
      String entry = raw.strip();
      if (entry.isEmpty()) {
        throw new IllegalArgumentException("empty entry in '" + list + "'");
      }
      int slash = entry.indexOf('/');
      String literal = slash < 0 ? entry : entry.substring(0, slash);
      byte[] address = parseAddress(literal);
      if (address == null) {
        throw new IllegalArgumentException("'" + entry + "' is not an IPv4 or IPv6 address or CIDR range");
      }
      // an IPv4-mapped IPv6 range (::ffff:a.b.c.d/96+n) is the IPv4 range a.b.c.d/n
      int shift = address.length == 4 && literal.indexOf(':') >= 0 ? 96 : 0;
      int bits = address.length * 8 + shift;
      int prefix = bits;
      if (slash >= 0) {
        String length = entry.substring(slash + 1);
        if (length.isEmpty() || length.length() > 3 || !length.chars().allMatch(c -> c >= '0' && c <= '9')
          || Integer.parseInt(length) > bits || Integer.parseInt(length) < shift) {
          throw new IllegalArgumentException("'" + entry + "': prefix length must be " + shift + ".." + bits);
        }
        prefix = Integer.parseInt(length);
      }
      ranges.add(new Range(address, prefix - shift));
    }
    return new TrustedProxies(List.copyOf(ranges), list.strip());
  }

  /** @return true when nobody is trusted */
  public boolean isEmpty() {
    return ranges.isEmpty();
  }

  /**
   * @param address an address literal (IPv4, or IPv6 without brackets)
   * @return true when it lies in a trusted range; false for anything that is not an address
   */
  public boolean trusts(String address) {
    byte[] bytes = address == null ? null : parseAddress(address);
    return bytes != null && trusts(bytes);
  }

  private boolean trusts(byte[] address) {
    for (Range range : ranges) {
      if (range.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The effective client of a request, under the trusted proxies of the listener that received it
   * (installed on its connection by {@link Http1Guard}; a request that did not come through one
   * trusts nobody). Cheap enough to call once per request and per log line.
   *
   * @param request the request
   * @return the client
   */
  public static Client client(HttpServerRequest request) {
    return Http1Guard.effectiveClient(request);
  }

  /**
   * @param request the request
   * @return its effective client under these trusted proxies
   */
  public Client resolve(HttpServerRequest request) {
    return resolve(request, peer(request));
  }

  /**
   * @param request a request
   * @return the client as its connection shows it: the peer, before any forwarding header
   */
  static Client peer(HttpServerRequest request) {
    SocketAddress remote = request.remoteAddress();
    SocketAddress local = request.localAddress();
    String peer = remote == null || remote.hostAddress() == null ? "" : remote.hostAddress();
    return new Client(peer, remote == null ? -1 : remote.port(), request.isSSL(), local == null ? -1 : local.port(),
      false);
  }

  /**
   * @param request the request
   * @param direct its connection's {@link #peer}, which a connection can keep
   * @return its effective client under these trusted proxies
   */
  Client resolve(HttpServerRequest request, Client direct) {
    if (ranges.isEmpty() || !trusts(direct.address())) {
      return direct;
    }
    List<String> forwarded = request.headers().getAll("Forwarded");
    if (!forwarded.isEmpty()) {
      Client client = fromForwarded(String.join(",", forwarded), direct);
      if (client != null) {
        return client;
      }
    }
    return fromXForwarded(request, direct);
  }

  private Client fromXForwarded(HttpServerRequest request, Client direct) {
    String address = direct.address();
    int port = direct.port();
    boolean decided = false;
    List<String> xff = request.headers().getAll("X-Forwarded-For");
    if (!xff.isEmpty()) {
      String client = rightmostUntrusted(String.join(",", xff));
      if (client != null) {
        address = client;
        port = -1;
        decided = true;
      }
    }
    boolean https = direct.https();
    int serverPort = direct.serverPort();
    String proto = lastListValue(request.headers().getAll("X-Forwarded-Proto"));
    if (proto != null && (proto.equalsIgnoreCase("https") || proto.equalsIgnoreCase("http"))) {
      https = proto.equalsIgnoreCase("https");
      int forwardedPort = parsePort(lastListValue(request.headers().getAll("X-Forwarded-Port")));
      serverPort = forwardedPort > 0 ? forwardedPort : https ? HTTPS_PORT : HTTP_PORT;
      decided = true;
    }
    return decided ? new Client(address, port, https, serverPort, true) : direct;
  }

  /**
   * nginx's {@code ngx_http_get_forwarded_addr} with recursion: entries are separated by commas
   * and/or spaces; from the right, trusted addresses are skipped.
   *
   * @return the client address in canonical form, or null when the entry that decides is not an address
   */
  String rightmostUntrusted(String header) {
    String[] entries = header.split("[,\\s]+");
    String candidate = null;
    for (int i = entries.length - 1; i >= 0; i--) {
      if (entries[i].isEmpty()) {
        continue;
      }
      byte[] address = parseAddress(entries[i]);
      if (address == null) {
        return null;
      }
      candidate = NetUtil.bytesToIpAddress(address);
      if (!trusts(address)) {
        return candidate;
      }
    }
    return candidate;
  }

  /** The {@code Forwarded} walk; null when the header is malformed or decides nothing. */
  Client fromForwarded(String header, Client direct) {
    List<List<String[]>> elements = ForwardedParser.parse(header);
    if (elements == null || elements.isEmpty()) {
      return null;
    }
    for (int i = elements.size() - 1; i >= 0; i--) {
      String forNode = null;
      String proto = null;
      for (String[] pair : elements.get(i)) {
        if (pair[0].equals("for")) {
          forNode = pair[1];
        } else if (pair[0].equals("proto")) {
          proto = pair[1];
        }
      }
      if (forNode == null) {
        return null;
      }
      Node node = parseNode(forNode);
      if (node == null) {
        return null;
      }
      if (trusts(node.address()) && i > 0) {
        continue;
      }
      boolean https = direct.https();
      int serverPort = direct.serverPort();
      if (proto != null) {
        if (!proto.equalsIgnoreCase("https") && !proto.equalsIgnoreCase("http")) {
          return null;
        }
        https = proto.equalsIgnoreCase("https");
        serverPort = https ? HTTPS_PORT : HTTP_PORT;
      }
      return new Client(NetUtil.bytesToIpAddress(node.address()), node.port(), https, serverPort, true);
    }
    return null;
  }

  private record Node(byte[] address, int port) {
  }

  /** RFC 7239 node: IPv4 or "[IPv6]", each with an optional ":port"; null for anything else. */
  private static Node parseNode(String node) {
    String host = node;
    String port = null;
    if (node.startsWith("[")) {
      int close = node.indexOf(']');
      if (close < 0) {
        return null;
      }
      host = node.substring(1, close);
      String rest = node.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          return null;
        }
        port = rest.substring(1);
      }
      if (!host.contains(":")) {
        return null;
      }
    } else {
      int colon = node.indexOf(':');
      if (colon >= 0) {
        host = node.substring(0, colon);
        port = node.substring(colon + 1);
      }
      if (!NetUtil.isValidIpV4Address(host)) {
        return null;
      }
    }
    byte[] address = parseAddress(host);
    if (address == null) {
      return null;
    }
    int number = -1;
    if (port != null) {
      number = parsePort(port);
      if (number < 0) {
        return null;
      }
    }
    return new Node(address, number);
  }

  /**
   * @param text an address literal: IPv4 dotted quad, or IPv6 without brackets or zone
   * @return its bytes (an IPv4-mapped IPv6 address as its 4 IPv4 bytes), or null
   */
  static byte[] parseAddress(String text) {
    if (text.isEmpty() || text.indexOf('[') >= 0 || text.indexOf('%') >= 0) {
      return null;
    }
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(text);
    if (bytes == null) {
      return null;
    }
    if (bytes.length == 16 && isIpv4Mapped(bytes)) {
      return Arrays.copyOfRange(bytes, 12, 16);
    }
    return bytes;
  }

  private static boolean isIpv4Mapped(byte[] bytes) {
    for (int i = 0; i < 10; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return bytes[10] == (byte) 0xFF && bytes[11] == (byte) 0xFF;
  }

  private static String lastListValue(List<String> headers) {
    if (headers.isEmpty()) {
      return null;
    }
    String joined = String.join(",", headers);
    String[] values = joined.split(",");
    for (int i = values.length - 1; i >= 0; i--) {
      String value = values[i].strip();
      if (!value.isEmpty()) {
        return value.toLowerCase(Locale.ROOT);
      }
    }
    return null;
  }

  private static int parsePort(String text) {
    if (text == null || text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return -1;
    }
    int port = Integer.parseInt(text);
    return port >= 1 && port <= 65535 ? port : -1;
  }

  @Override
  public String toString() {
    return ranges.isEmpty() ? "nobody" : text;
  }

  /**
   * RFC 7239 §4 syntax: {@code 1#forwarded-element}, an element being {@code ;}-separated
   * {@code token=value} pairs, a value a token or a quoted-string. Parameter names are compared
   * case-insensitively; a parameter repeated within an element is an error.
   */
  static final class ForwardedParser {

    private static final String TCHAR = "!#$%&'*+-.^_`|~";

    private final String text;
    private int pos;

    private ForwardedParser(String text) {
      this.text = text;
    }

    /**
     * @param header the Forwarded header(s), joined with commas
     * @return the elements, each a list of {name (lower case), value} pairs, or null when malformed
     */
    static List<List<String[]>> parse(String header) {
      return new ForwardedParser(header).elements();
    }

    private List<List<String[]>> elements() {
      List<List<String[]>> elements = new ArrayList<>();
      List<String[]> element = new ArrayList<>();
      while (true) {
        skipOws();
        if (pos == text.length() || text.charAt(pos) == ',' || text.charAt(pos) == ';') {
          // empty list element or pair: allowed by the list syntax
        } else {
          String name = token();
          if (name == null || pos == text.length() || text.charAt(pos) != '=') {
            return null;
          }
          pos++;
          String value = pos < text.length() && text.charAt(pos) == '"' ? quoted() : token();
          if (value == null) {
            return null;
          }
          String lower = name.toLowerCase(Locale.ROOT);
          for (String[] pair : element) {
            if (pair[0].equals(lower)) {
              return null;
            }
          }
          element.add(new String[] {lower, value});
          skipOws();
        }
        if (pos == text.length()) {
          if (!element.isEmpty()) {
            elements.add(element);
          }
          return elements;
        }
        char c = text.charAt(pos++);
        if (c == ',') {
          if (!element.isEmpty()) {
            elements.add(element);
          }
          element = new ArrayList<>();
        } else if (c != ';') {
          return null;
        }
      }
    }

    private void skipOws() {
      while (pos < text.length() && (text.charAt(pos) == ' ' || text.charAt(pos) == '\t')) {
        pos++;
      }
    }

    private String token() {
      int start = pos;
      while (pos < text.length() && isTchar(text.charAt(pos))) {
        pos++;
      }
      return pos == start ? null : text.substring(start, pos);
    }

    private String quoted() {
      StringBuilder out = new StringBuilder();
      pos++;
      while (pos < text.length()) {
        char c = text.charAt(pos++);
        if (c == '"') {
          return out.toString();
        }
        if (c == '\\') {
          if (pos == text.length()) {
            return null;
          }
          c = text.charAt(pos++);
        }
        if (c < 0x20 && c != '\t' || c == 0x7F) {
          return null;
        }
        out.append(c);
      }
      return null;
    }

    private static boolean isTchar(char c) {
      return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || TCHAR.indexOf(c) >= 0;
    }
  }
}
