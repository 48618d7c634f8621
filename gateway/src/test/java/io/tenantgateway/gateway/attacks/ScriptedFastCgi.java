package io.tenantgateway.gateway.attacks;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A FastCGI responder on 127.0.0.1 whose STDOUT is whatever the test says, byte for byte: what PHP
 * itself would refuse to send (CR, LF or NUL inside a header, folded lines). Each request's STDOUT
 * is chosen from its {@code QUERY_STRING}. Keeps connections open when asked (FCGI_KEEP_CONN).
 */
final class ScriptedFastCgi implements AutoCloseable {

  private static final int BEGIN_REQUEST = 1;
  private static final int END_REQUEST = 3;
  private static final int PARAMS = 4;
  private static final int STDIN = 5;
  private static final int STDOUT = 6;

  private final ServerSocket server;
  private final Function<String, byte[]> stdout;
  private final Thread acceptor;

  /**
   * @param stdout QUERY_STRING → the complete STDOUT (CGI header block and body)
   * @throws IOException when it cannot listen
   */
  ScriptedFastCgi(Function<String, byte[]> stdout) throws IOException {
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.stdout = stdout;
    this.acceptor = new Thread(this::accept, "scripted-fastcgi");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** @return the port on 127.0.0.1 */
  int port() {
    return server.getLocalPort();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        Thread connection = new Thread(() -> serve(socket), "scripted-fastcgi-connection");
        connection.setDaemon(true);
        connection.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      DataInputStream in = new DataInputStream(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      while (true) {
        int id = -1;
        boolean keep = false;
        Map<String, String> params = new HashMap<>();
        ByteArrayOutputStream paramBytes = new ByteArrayOutputStream();
        boolean paramsDone = false;
        boolean stdinDone = false;
        while (!paramsDone || !stdinDone) {
          int version = in.readUnsignedByte();
          int type = in.readUnsignedByte();
          id = in.readUnsignedShort();
          int length = in.readUnsignedShort();
          int padding = in.readUnsignedByte();
          in.readUnsignedByte();
          byte[] content = new byte[length];
          in.readFully(content);
          in.skipNBytes(padding);
          if (version != 1) {
            return;
          }
          if (type == BEGIN_REQUEST) {
            keep = (content[2] & 1) != 0;
          } else if (type == PARAMS) {
            if (length == 0) {
              paramsDone = true;
              decodePairs(paramBytes.toByteArray(), params);
            } else {
              paramBytes.write(content);
            }
          } else if (type == STDIN && length == 0) {
            stdinDone = true;
          }
        }
        byte[] body = stdout.apply(params.getOrDefault("QUERY_STRING", ""));
        for (int offset = 0; offset < body.length; offset += 65535) {
          record(out, STDOUT, id, body, offset, Math.min(65535, body.length - offset));
        }
        record(out, STDOUT, id, new byte[0], 0, 0);
        record(out, END_REQUEST, id, new byte[8], 0, 8);
        out.flush();
        if (!keep) {
          return;
        }
      }
    } catch (EOFException e) {
      // the gateway closed the connection
    } catch (IOException e) {
      // gone
    }
  }

  private static void record(OutputStream out, int type, int id, byte[] data, int offset, int length)
    throws IOException {
    out.write(new byte[] {1, (byte) type, (byte) (id >> 8), (byte) id, (byte) (length >> 8), (byte) length, 0, 0});
    out.write(data, offset, length);
  }

  private static void decodePairs(byte[] data, Map<String, String> params) {
    int i = 0;
    while (i < data.length) {
      int[] nameLength = length(data, i);
      i = nameLength[1];
      int[] valueLength = length(data, i);
      i = valueLength[1];
      String name = new String(data, i, nameLength[0], StandardCharsets.ISO_8859_1);
      i += nameLength[0];
      String value = new String(data, i, valueLength[0], StandardCharsets.ISO_8859_1);
      i += valueLength[0];
      params.put(name, value);
    }
  }

  private static int[] length(byte[] data, int i) {
    if ((data[i] & 0x80) == 0) {
      return new int[] {data[i], i + 1};
    }
    int n = ((data[i] & 0x7F) << 24) | ((data[i + 1] & 0xFF) << 16) | ((data[i + 2] & 0xFF) << 8)
      | (data[i + 3] & 0xFF);
    return new int[] {n, i + 4};
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
