package io.tenantgateway.gateway.parity;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One request of the parity corpus, as exact bytes: the same bytes go to nginx and to the gateway.
 * The head is ISO-8859-1 text, so every byte value can be written (use {@link #raw(String)} for a
 * UTF-8 string sent unencoded).
 */
public final class ParityRequest {

  /** What the comparison looks at. */
  public enum Kind {
    /** A PHP script answers: status, headers and body compared, and the JSON dump field by field. */
    SCRIPT,
    /** The server answers itself (redirect, error, static file): see {@link ParityDifferences#SERVER_ANSWERS}. */
    SERVER
  }

  private String name;
  private final Kind kind;
  private final String method;
  private final String target;
  private String version = "HTTP/1.1";
  private final List<String[]> headers = new ArrayList<>();
  private byte[] body = new byte[0];
  private boolean chunked;
  private boolean expectContinue;

  private ParityRequest(String name, Kind kind, String method, String target, String host) {
    this.name = name;
    this.kind = kind;
    this.method = method;
    this.target = target;
    if (host != null) {
      headers.add(new String[] {"Host", host});
    }
  }

  /**
   * @param name the case's name in test reports
   * @param kind what is compared
   * @param method the request method
   * @param host the Host header, or null for none
   * @param target the request target, as sent
   * @return a request without body
   */
  public static ParityRequest of(String name, Kind kind, String method, String host, String target) {
    return new ParityRequest(name, kind, method, target, host);
  }

  /**
   * @param text a string
   * @return the string whose ISO-8859-1 bytes are the UTF-8 bytes of {@code text}, i.e. raw UTF-8 on the wire
   */
  public static String raw(String text) {
    return new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }

  /**
   * @param label what the case is about, added to its name
   * @return this
   */
  public ParityRequest as(String label) {
    this.name = name + " [" + label + "]";
    return this;
  }

  /**
   * @param name a header name
   * @param value its value (ISO-8859-1 bytes)
   * @return this
   */
  public ParityRequest header(String name, String value) {
    headers.add(new String[] {name, value});
    return this;
  }

  /**
   * Sets a body sent with Content-Length.
   *
   * @param contentType the Content-Type header, or null for none
   * @param bytes the body
   * @return this
   */
  public ParityRequest body(String contentType, byte[] bytes) {
    if (contentType != null) {
      header("Content-Type", contentType);
    }
    this.body = bytes.clone();
    return this;
  }

  /**
   * Sends the body with {@code Transfer-Encoding: chunked} (in chunks of up to 1000 bytes) instead.
   *
   * @return this
   */
  public ParityRequest chunked() {
    this.chunked = true;
    return this;
  }

  /**
   * Adds {@code Expect: 100-continue}; the body is sent once the server answers 100, or after 1 s
   * as curl does.
   *
   * @return this
   */
  public ParityRequest expectContinue() {
    header("Expect", "100-continue");
    this.expectContinue = true;
    return this;
  }

  /**
   * @return this as HTTP/1.0
   */
  public ParityRequest http10() {
    this.version = "HTTP/1.0";
    return this;
  }

  /** @return the name */
  public String name() {
    return name;
  }

  /** @return what is compared */
  public Kind kind() {
    return kind;
  }

  /** @return true for HEAD (the response has no body) */
  public boolean isHead() {
    return method.equals("HEAD");
  }

  /** @return true when the body waits for 100 Continue */
  public boolean waitsForContinue() {
    return expectContinue;
  }

  /** @return the Host header value, or null */
  public String host() {
    return headerValue("Host");
  }

  /**
   * @param name a header name
   * @return the first value sent for it, or null
   */
  public String headerValue(String name) {
    for (String[] h : headers) {
      if (h[0].equalsIgnoreCase(name)) {
        return h[1];
      }
    }
    return null;
  }

  /** @return the path of the request target, still percent-encoded, without the query */
  public String path() {
    int question = target.indexOf('?');
    return question < 0 ? target : target.substring(0, question);
  }

  /** @return the request line's protocol, e.g. {@code HTTP/1.1} */
  public String version() {
    return version;
  }

  /** @return the value of every header sent more than once, by lower-case name */
  public Map<String, List<String>> repeatedHeaders() {
    Map<String, List<String>> all = new LinkedHashMap<>();
    for (String[] h : headers) {
      all.computeIfAbsent(h[0].toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(h[1]);
    }
    all.values().removeIf(values -> values.size() < 2);
    return all;
  }

  /**
   * @return a copy in which headers sent more than once are one header, at the first one's place,
   *     their values joined as {@link ParityDifferences#REPEATED_HEADERS} says
   */
  public ParityRequest withRepeatedHeadersJoined() {
    ParityRequest copy = new ParityRequest(name, kind, method, target, null);
    copy.version = version;
    copy.body = body;
    copy.chunked = chunked;
    copy.expectContinue = expectContinue;
    Map<String, String[]> joined = new LinkedHashMap<>();
    for (String[] h : headers) {
      String key = h[0].toLowerCase(Locale.ROOT);
      String[] first = joined.get(key);
      if (first == null) {
        String[] header = {h[0], h[1]};
        joined.put(key, header);
        copy.headers.add(header);
      } else {
        first[1] = first[1] + (key.equals("cookie") ? "; " : ", ") + h[1];
      }
    }
    return copy;
  }

  /** @return the request line and headers, ending with the blank line */
  public byte[] head() {
    StringBuilder head = new StringBuilder().append(method).append(' ').append(target).append(' ').append(version)
      .append("\r\n");
    for (String[] h : headers) {
      head.append(h[0]).append(": ").append(h[1]).append("\r\n");
    }
    if (chunked) {
      head.append("Transfer-Encoding: chunked\r\n");
    } else if (body.length > 0 || method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) {
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    return head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /** @return the body bytes as sent (chunk-encoded when chunked) */
  public byte[] encodedBody() {
    if (!chunked) {
      return body.clone();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int offset = 0; offset < body.length; offset += 1000) {
      int n = Math.min(1000, body.length - offset);
      out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.write(body, offset, n);
      out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
    out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    return out.toByteArray();
  }

  @Override
  public String toString() {
    return name;
  }
}
