package io.tenantgateway.gateway.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A minimal HTTP/1.1 client over a plain socket, so tests control every byte they send (repeated or
 * malformed headers, raw paths) and see every byte they get back.
 */
public final class RawHttp implements AutoCloseable {

  /** Read timeout of every socket: a test never hangs longer. */
  public static final int TIMEOUT_MS = 20_000;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  /**
   * A parsed response.
   *
   * @param status the status code
   * @param reason the reason phrase
   * @param headers header lines in order, as {@code name: value}
   * @param body the body bytes (de-chunked)
   * @param complete false when the connection closed before the body ended
   */
  public record Response(int status, String reason, List<String[]> headers, byte[] body, boolean complete) {

    /**
     * @param name a header name
     * @return the first value, or null
     */
    public String header(String name) {
      for (String[] h : headers) {
        if (h[0].equalsIgnoreCase(name)) {
          return h[1];
        }
      }
      return null;
    }

    /**
     * @param name a header name
     * @return every value in order
     */
    public List<String> headers(String name) {
      List<String> values = new ArrayList<>();
      for (String[] h : headers) {
        if (h[0].equalsIgnoreCase(name)) {
          values.add(h[1]);
        }
      }
      return values;
    }

    /** @return the body as UTF-8 text */
    public String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /**
   * @param port the gateway port on 127.0.0.1
   * @param receiveBuffer SO_RCVBUF, or 0 for the default
   * @throws IOException if the connection fails
   */
  public RawHttp(int port, int receiveBuffer) throws IOException {
    socket = new Socket();
    if (receiveBuffer > 0) {
      socket.setReceiveBufferSize(receiveBuffer);
    }
    socket.setSoTimeout(TIMEOUT_MS);
    socket.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MS);
    in = new java.io.BufferedInputStream(socket.getInputStream(), 65536);
    out = socket.getOutputStream();
  }

  /**
   * @param port the gateway port
   * @throws IOException if the connection fails
   */
  public RawHttp(int port) throws IOException {
    this(port, 0);
  }

  /**
   * Sends one GET with a Host header and reads the response on a fresh connection.
   *
   * @param port the gateway port
   * @param host the Host header
   * @param target the request target
   * @return the response
   * @throws IOException on I/O failure
   */
  public static Response get(int port, String host, String target) throws IOException {
    try (RawHttp http = new RawHttp(port)) {
      http.send("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
      return http.read(false);
    }
  }

  /**
   * @param head request line and headers, ending with the blank line; ISO-8859-1
   * @throws IOException on I/O failure
   */
  public void send(String head) throws IOException {
    out.write(head.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /**
   * @param bytes raw bytes to send
   * @throws IOException on I/O failure
   */
  public void send(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** @return the socket's input, for tests that read at their own pace */
  public InputStream input() {
    return in;
  }

  /**
   * Reads the status line and headers only.
   *
   * @return the response without body
   * @throws IOException on I/O failure
   */
  public Response readHead() throws IOException {
    String statusLine = line();
    if (statusLine == null) {
      throw new EOFException("connection closed before a response");
    }
    String[] parts = statusLine.split(" ", 3);
    List<String[]> headers = new ArrayList<>();
    String line;
    while ((line = line()) != null && !line.isEmpty()) {
      int colon = line.indexOf(':');
      headers.add(new String[] {line.substring(0, colon).trim(), line.substring(colon + 1).trim()});
    }
    return new Response(Integer.parseInt(parts[1]), parts.length > 2 ? parts[2] : "", headers, new byte[0], true);
  }

  /**
   * Reads a whole response.
   *
   * @param head true for a response to HEAD (no body)
   * @return the response
   * @throws IOException on I/O failure
   */
  public Response read(boolean head) throws IOException {
    Response r = readHead();
    if (head || r.status() == 204 || r.status() == 304) {
      return r;
    }
    return readBody(r);
  }

  /**
   * Reads the body of a response whose head was read.
   *
   * @param r the head
   * @return the response with its body
   * @throws IOException on I/O failure
   */
  public Response readBody(Response r) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    boolean complete = true;
    String te = r.header("Transfer-Encoding");
    String cl = r.header("Content-Length");
    if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
      complete = false;
      while (true) {
        String size = line();
        if (size == null) {
          break;
        }
        int n = Integer.parseInt(size.split(";")[0].trim(), 16);
        if (n == 0) {
          String trailer;
          while ((trailer = line()) != null && !trailer.isEmpty()) {
            // trailers ignored
          }
          complete = trailer != null;
          break;
        }
        if (!copy(body, n)) {
          break;
        }
        line();
      }
    } else if (cl != null) {
      complete = copy(body, Long.parseLong(cl));
    } else {
      in.transferTo(body);
    }
    return new Response(r.status(), r.reason(), r.headers(), body.toByteArray(), complete);
  }

  private boolean copy(ByteArrayOutputStream body, long n) throws IOException {
    byte[] buffer = new byte[65536];
    long left = n;
    while (left > 0) {
      int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (read < 0) {
        return false;
      }
      body.write(buffer, 0, read);
      left -= read;
    }
    return true;
  }

  private String line() throws IOException {
    return readLine(in);
  }

  /**
   * @param in a stream
   * @return the next line without its CRLF or LF, as ISO-8859-1, or null at the end of the stream
   */
  public static String readLine(java.io.InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0) {
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }

  /**
   * @return true when the server closed the connection (read returns EOF)
   * @throws IOException on I/O failure other than EOF
   */
  public boolean closedByServer() throws IOException {
    try {
      return in.read() < 0;
    } catch (java.net.SocketException e) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
