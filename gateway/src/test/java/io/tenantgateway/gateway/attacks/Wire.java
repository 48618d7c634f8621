package io.tenantgateway.gateway.attacks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Raw bytes to the gateway and everything that comes back until the server closes (or a timeout),
 * parsed into responses, so that a test sees exactly how many responses were on the wire.
 */
final class Wire {

  /** How long a read waits before the server is taken to keep the connection open. */
  static final int QUIET_MS = 3000;

  private Wire() {
  }

  /**
   * One response.
   *
   * @param status the status code
   * @param statusLine the whole status line
   * @param headers the header lines, {name, value}
   * @param body the body (de-chunked)
   */
  record Response(int status, String statusLine, List<String[]> headers, byte[] body) {

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
  }

  /**
   * What came back.
   *
   * @param responses the complete responses, in order
   * @param rest bytes after the last complete response (a partial or unparsable one)
   * @param closed true when the server closed the connection (EOF or reset) before the timeout
   */
  record Result(List<Response> responses, byte[] rest, boolean closed) {

    /** @return the only response; fails when there are none or several, or bytes after it */
    Response only() {
      if (responses.size() != 1 || rest.length > 0) {
        throw new AssertionError("expected exactly one response, got " + responses.size() + " and "
          + rest.length + " more bytes: " + describe());
      }
      return responses.get(0);
    }

    String describe() {
      StringBuilder out = new StringBuilder();
      for (Response r : responses) {
        out.append('[').append(r.statusLine());
        for (String[] h : r.headers()) {
          out.append(" | ").append(h[0]).append(": ").append(h[1]);
        }
        out.append("] ");
      }
      out.append("rest=").append(new String(rest, StandardCharsets.ISO_8859_1)).append(" closed=").append(closed);
      return out.toString();
    }
  }

  /**
   * @param port the gateway on 127.0.0.1
   * @param parts what to send, each part in its own write (a short pause between parts, so that
   *     they arrive in separate reads)
   * @return what came back
   * @throws IOException on connection errors
   */
  static Result exchange(int port, byte[]... parts) throws IOException {
    return exchange(port, QUIET_MS, parts);
  }

  static Result exchange(int port, int quietMillis, byte[]... parts) throws IOException {
    try (Socket socket = new Socket()) {
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      socket.setSoTimeout(quietMillis);
      OutputStream out = socket.getOutputStream();
      try {
        for (int i = 0; i < parts.length; i++) {
          if (i > 0) {
            sleep(30);
          }
          out.write(parts[i]);
          out.flush();
        }
      } catch (SocketException e) {
        // the server closed early: read what it said
      }
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      boolean closed = false;
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[65536];
      try {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          received.write(buffer, 0, n);
        }
        closed = true;
      } catch (SocketTimeoutException e) {
        closed = false;
      } catch (SocketException e) {
        closed = true;
      }
      return parse(received.toByteArray(), closed);
    }
  }

  static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static Result parse(byte[] data, boolean closed) {
    List<Response> responses = new ArrayList<>();
    int[] pos = {0};
    while (pos[0] < data.length) {
      int start = pos[0];
      Response r = parseOne(data, pos, closed);
      if (r == null) {
        pos[0] = start;
        break;
      }
      responses.add(r);
    }
    return new Result(responses, Arrays.copyOfRange(data, pos[0], data.length), closed);
  }

  private static Response parseOne(byte[] data, int[] pos, boolean closed) {
    String statusLine = line(data, pos);
    if (statusLine == null || !statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
      return null;
    }
    int status;
    try {
      status = Integer.parseInt(statusLine.substring(9, 12));
    } catch (NumberFormatException e) {
      return null;
    }
    List<String[]> headers = new ArrayList<>();
    while (true) {
      String header = line(data, pos);
      if (header == null) {
        return null;
      }
      if (header.isEmpty()) {
        break;
      }
      int colon = header.indexOf(':');
      if (colon < 0) {
        return null;
      }
      headers.add(new String[] {header.substring(0, colon).trim(), header.substring(colon + 1).trim()});
    }
    Response head = new Response(status, statusLine, headers, new byte[0]);
    if (status / 100 == 1 || status == 204 || status == 304) {
      return head;
    }
    String te = head.header("Transfer-Encoding");
    String cl = head.header("Content-Length");
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
      while (true) {
        String size = line(data, pos);
        if (size == null) {
          return null;
        }
        int n = Integer.parseInt(size.split(";")[0].trim(), 16);
        if (n == 0) {
          String trailer;
          do {
            trailer = line(data, pos);
          } while (trailer != null && !trailer.isEmpty());
          if (trailer == null) {
            return null;
          }
          break;
        }
        if (pos[0] + n > data.length) {
          return null;
        }
        body.write(data, pos[0], n);
        pos[0] += n;
        if (line(data, pos) == null) {
          return null;
        }
      }
    } else if (cl != null) {
      int n = Integer.parseInt(cl);
      if (pos[0] + n > data.length) {
        return null;
      }
      body.write(data, pos[0], n);
      pos[0] += n;
    } else {
      if (!closed) {
        return null;
      }
      body.write(data, pos[0], data.length - pos[0]);
      pos[0] = data.length;
    }
    return new Response(status, statusLine, headers, body.toByteArray());
  }

  private static String line(byte[] data, int[] pos) {
    for (int i = pos[0]; i < data.length; i++) {
      if (data[i] == '\n') {
        int end = i > pos[0] && data[i - 1] == '\r' ? i - 1 : i;
        String line = new String(data, pos[0], end - pos[0], StandardCharsets.ISO_8859_1);
        pos[0] = i + 1;
        return line;
      }
    }
    return null;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
