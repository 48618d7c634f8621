package io.tenantgateway.fcgi.impl;

import io.tenantgateway.fcgi.FcgiProtocolException;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;

/**
 * Incremental parser of the CGI response header block at the start of STDOUT (RFC 3875 §6).
 *
 * <p>Lines end in LF or CRLF; an empty line ends the block. {@code Status: NNN reason} sets the
 * status, {@code Location} without a Status means 302, otherwise 200. Repeated headers are kept.
 * Rejected with {@link FcgiProtocolException}: a CR, LF or NUL inside a line, a continuation line
 * (obs-fold), a line without a colon, a name that is not an HTTP token, a Status that is not three
 * digits from 100 to 599, two different Content-Length values, a block larger than the limit, and
 * a response that ends inside the block.
 */
public final class CgiResponseParser {

  private final int maxHeaderBytes;
  private final Buffer block = Buffer.buffer(256);
  private final MultiMap headers = MultiMap.caseInsensitiveMultiMap();
  private int lineStart;
  private int scanned;
  private boolean complete;
  private int status = -1;
  private String reason;

  /**
   * @param maxHeaderBytes the largest header block accepted, terminator included
   */
  public CgiResponseParser(int maxHeaderBytes) {
    this.maxHeaderBytes = maxHeaderBytes;
  }

  /**
   * Feeds the next STDOUT bytes.
   *
   * @param data the bytes
   * @return null while the block is incomplete; once it completes, the body bytes that followed it
   *     in {@code data} (possibly empty)
   * @throws FcgiProtocolException on a malformed block
   */
  public Buffer feed(Buffer data) {
    if (complete) {
      return data;
    }
    int offset = block.length();
    int room = maxHeaderBytes - offset;
    int take = Math.min(data.length(), Math.max(room, 0));
    block.appendBuffer(data, 0, take);
    while (scanned < block.length()) {
      byte b = block.getByte(scanned++);
      if (b != '\n') {
        continue;
      }
      int lineEnd = scanned - 1;
      if (lineEnd > lineStart && block.getByte(lineEnd - 1) == '\r') {
        lineEnd--;
      }
      if (lineEnd == lineStart) {
        complete = true;
        finish();
        int bodyStart = scanned - offset;
        return data.slice(bodyStart, data.length());
      }
      parseLine(lineStart, lineEnd);
      lineStart = scanned;
    }
    if (take < data.length()) {
      throw new FcgiProtocolException("response header block larger than " + maxHeaderBytes + " bytes");
    }
    return null;
  }

  /**
   * Called when STDOUT ends.
   *
   * @throws FcgiProtocolException when the header block never completed
   */
  public void end() {
    if (!complete) {
      throw new FcgiProtocolException("response ended inside the header block");
    }
  }

  /**
   * @return true once the whole header block was read
   */
  public boolean isComplete() {
    return complete;
  }

  /**
   * @return the response status, valid once complete
   */
  public int status() {
    return status;
  }

  /**
   * @return the reason phrase from the Status header, or null
   */
  public String reason() {
    return reason;
  }

  /**
   * @return the response headers without Status, valid once complete
   */
  public MultiMap headers() {
    return headers;
  }

  private void parseLine(int start, int end) {
    byte first = block.getByte(start);
    if (first == ' ' || first == '\t') {
      throw new FcgiProtocolException("folded response header line");
    }
    int colon = -1;
    for (int i = start; i < end; i++) {
      byte b = block.getByte(i);
      if (b == '\r' || b == 0) {
        throw new FcgiProtocolException("CR or NUL inside a response header line");
      }
      if (colon < 0 && b == ':') {
        colon = i;
      }
    }
    if (colon <= start) {
      throw new FcgiProtocolException("response header line without a name and colon");
    }
    for (int i = start; i < colon; i++) {
      if (!isTokenChar(block.getByte(i))) {
        throw new FcgiProtocolException("invalid character in a response header name");
      }
    }
    String name = block.getString(start, colon, StandardCharsets.ISO_8859_1.name());
    int valueStart = colon + 1;
    int valueEnd = end;
    while (valueStart < valueEnd && isBlank(block.getByte(valueStart))) {
      valueStart++;
    }
    while (valueEnd > valueStart && isBlank(block.getByte(valueEnd - 1))) {
      valueEnd--;
    }
    String value = block.getString(valueStart, valueEnd, StandardCharsets.ISO_8859_1.name());
    if (name.equalsIgnoreCase("Status")) {
      parseStatus(value);
    } else {
      headers.add(name, value);
    }
  }

  private void parseStatus(String value) {
    if (status >= 0) {
      throw new FcgiProtocolException("two Status headers in the response");
    }
    if (value.length() < 3 || (value.length() > 3 && value.charAt(3) != ' ')) {
      throw new FcgiProtocolException("Status header is not a three-digit code");
    }
    int code = 0;
    for (int i = 0; i < 3; i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        throw new FcgiProtocolException("Status header is not a three-digit code");
      }
      code = code * 10 + (c - '0');
    }
    if (code < 100 || code > 599) {
      throw new FcgiProtocolException("Status code " + code + " out of range");
    }
    status = code;
    String rest = value.length() > 4 ? value.substring(4).trim() : "";
    reason = rest.isEmpty() ? null : rest;
  }

  private void finish() {
    if (status < 0) {
      status = headers.contains("Location") ? 302 : 200;
    }
    String contentLength = null;
    for (String value : headers.getAll("Content-Length")) {
      if (!isDigits(value) || (contentLength != null && !contentLength.equals(value))) {
        throw new FcgiProtocolException("invalid or conflicting Content-Length in the response");
      }
      contentLength = value;
    }
    if (contentLength != null && headers.getAll("Content-Length").size() > 1) {
      headers.set("Content-Length", contentLength);
    }
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

  private static boolean isBlank(byte b) {
    return b == ' ' || b == '\t';
  }

  private static boolean isTokenChar(byte b) {
    if (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9') {
      return true;
    }
    return "!#$%&'*+-.^_`|~".indexOf(b) >= 0 && b > 0;
  }
}
