package io.tenantgateway.gateway.parity;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Sends one {@link ParityRequest} on a fresh connection to 127.0.0.1 and reads the answer: interim
 * (1xx) responses, the status line, headers in order, the de-chunked body, and when each piece of
 * the body arrived.
 */
final class HttpExchange {

  private static final int TIMEOUT_MS = 20_000;
  /** How long a client with {@code Expect: 100-continue} waits before sending the body anyway (curl: 1 s). */
  private static final int CONTINUE_WAIT_MS = 1_000;

  /**
   * When body bytes arrived.
   *
   * @param nanosAfterSend time since the request was sent
   * @param bodyBytesSoFar body bytes received by then (de-chunked)
   */
  record Arrival(long nanosAfterSend, int bodyBytesSoFar) {
  }

  /**
   * A response.
   *
   * @param interim statuses of the 1xx responses before it
   * @param version the status line's protocol
   * @param status the status code
   * @param reason the reason phrase
   * @param headers header lines in order, as {name, value}
   * @param body the body (de-chunked)
   * @param arrivals when the body arrived, piece by piece
   */
  record Response(List<Integer> interim, String version, int status, String reason, List<String[]> headers,
                  byte[] body, List<Arrival> arrivals) {

    String header(String name) {
      for (String[] h : headers) {
        if (h[0].equalsIgnoreCase(name)) {
          return h[1];
        }
      }
      return null;
    }

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    /**
     * @param prefix bytes the body must have received
     * @return nanoseconds after the request was sent at which the body held {@code prefix} bytes, or -1
     */
    long arrivalOf(int prefix) {
      for (Arrival a : arrivals) {
        if (a.bodyBytesSoFar() >= prefix) {
          return a.nanosAfterSend();
        }
      }
      return -1;
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private long sentNanos;

  private HttpExchange(int port) throws IOException {
    socket = new Socket();
    socket.setSoTimeout(TIMEOUT_MS);
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MS);
    in = new BufferedInputStream(socket.getInputStream(), 65536);
    out = socket.getOutputStream();
  }

  /**
   * @param port the server's port on 127.0.0.1
   * @param request what to send
   * @return the answer
   * @throws IOException on I/O failure or a malformed answer
   */
  static Response exchange(int port, ParityRequest request) throws IOException {
    HttpExchange http = new HttpExchange(port);
    try {
      return http.run(request);
    } finally {
      http.socket.close();
    }
  }

  private Response run(ParityRequest request) throws IOException {
    List<Integer> interim = new ArrayList<>();
    sentNanos = System.nanoTime();
    out.write(request.head());
    out.flush();
    byte[] body = request.encodedBody();
    if (request.waitsForContinue()) {
      socket.setSoTimeout(CONTINUE_WAIT_MS);
      try {
        in.mark(1);
        if (in.read() >= 0) {
          in.reset();
        }
      } catch (SocketTimeoutException e) {
        // no interim response within the wait: send the body anyway
      } finally {
        socket.setSoTimeout(TIMEOUT_MS);
      }
    }
    if (body.length > 0) {
      out.write(body);
      out.flush();
    }
    while (true) {
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
      int status = Integer.parseInt(parts[1]);
      if (status >= 100 && status < 200) {
        interim.add(status);
        continue;
      }
      List<Arrival> arrivals = new ArrayList<>();
      byte[] content = request.isHead() || status == 204 || status == 304
        ? new byte[0] : readBody(headers, arrivals);
      return new Response(interim, parts[0], status, parts.length > 2 ? parts[2] : "", headers, content, arrivals);
    }
  }

  private byte[] readBody(List<String[]> headers, List<Arrival> arrivals) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    String te = null;
    String cl = null;
    for (String[] h : headers) {
      if (h[0].equalsIgnoreCase("Transfer-Encoding")) {
        te = h[1];
      } else if (h[0].equalsIgnoreCase("Content-Length")) {
        cl = h[1];
      }
    }
    if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
      while (true) {
        String size = line();
        if (size == null) {
          throw new EOFException("connection closed inside a chunked body");
        }
        int n = Integer.parseInt(size.split(";")[0].trim(), 16);
        if (n == 0) {
          while (true) {
            String trailer = line();
            if (trailer == null || trailer.isEmpty()) {
              break;
            }
          }
          return body.toByteArray();
        }
        copy(body, n, arrivals);
        line();
      }
    }
    copy(body, cl != null ? Long.parseLong(cl) : Long.MAX_VALUE, arrivals);
    return body.toByteArray();
  }

  private void copy(ByteArrayOutputStream body, long n, List<Arrival> arrivals) throws IOException {
    byte[] buffer = new byte[65536];
    long left = n;
    while (left > 0) {
      int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (read < 0) {
        if (n == Long.MAX_VALUE) {
          return;
        }
        throw new EOFException("connection closed " + left + " bytes before the body's end");
      }
      body.write(buffer, 0, read);
      arrivals.add(new Arrival(System.nanoTime() - sentNanos, body.size()));
      left -= read;
    }
  }

  private String line() throws IOException {
    return io.tenantgateway.gateway.testing.RawHttp.readLine(in);
  }

}
