package io.tenantgateway.fcgi;

import io.tenantgateway.fcgi.impl.WireRecords;
import io.tenantgateway.fcgi.impl.WireRecords.Rec;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A scripted FastCGI application for tests, on a Vert.x NetServer. It decodes what the client sends
 * (BEGIN_REQUEST, PARAMS, STDIN, ABORT_REQUEST) with the test-side {@link WireRecords} parser and
 * hands each request to a script once its STDIN ended. It counts connections and requests in
 * flight so that tests can check admission.
 */
final class FakeFcgiServer {

  private final Vertx vertx;
  private NetServer server;

  final AtomicInteger connections = new AtomicInteger();
  final AtomicInteger openConnections = new AtomicInteger();
  final AtomicInteger maxOpenConnections = new AtomicInteger();
  final AtomicInteger inFlight = new AtomicInteger();
  final AtomicInteger maxInFlight = new AtomicInteger();
  final List<ServerRequest> requests = new CopyOnWriteArrayList<>();
  final List<String> violations = new CopyOnWriteArrayList<>();

  /** Runs once a request's STDIN ended. */
  volatile Consumer<ServerRequest> script = r -> r.respond("Content-Type: text/plain\r\n\r\n", "hello");
  /** Runs when BEGIN_REQUEST arrives. */
  volatile Consumer<ServerRequest> onBegin = r -> { };

  FakeFcgiServer(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * @param address where to listen; TCP port 0 picks a free port
   * @return the address bound
   */
  Future<SocketAddress> listen(SocketAddress address) {
    server = vertx.createNetServer();
    server.connectHandler(this::connected);
    return server.listen(address).map(s -> address.isInetSocket()
      ? SocketAddress.inetSocketAddress(s.actualPort(), address.host()) : address);
  }

  Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  private void connected(NetSocket socket) {
    int number = connections.incrementAndGet();
    max(maxOpenConnections, openConnections.incrementAndGet());
    Connection conn = new Connection(socket, number);
    socket.handler(conn::received);
    socket.closeHandler(v -> conn.closed());
  }

  private static void max(AtomicInteger max, int value) {
    max.accumulateAndGet(value, Math::max);
  }

  /** One accepted connection. */
  final class Connection {
    final NetSocket socket;
    final int number;
    final Promise<Void> closed = Promise.promise();
    private Buffer input = Buffer.buffer();
    private ServerRequest current;
    private int requestCount;

    Connection(NetSocket socket, int number) {
      this.socket = socket;
      this.number = number;
    }

    private void received(Buffer data) {
      input.appendBuffer(data);
      List<Rec> records = new ArrayList<>();
      int used = WireRecords.split(input, records);
      input = input.getBuffer(used, input.length());
      for (Rec rec : records) {
        record(rec);
      }
    }

    private void record(Rec rec) {
      if (rec.version() != 1 || rec.requestId() != 1) {
        violations.add("record version " + rec.version() + " id " + rec.requestId());
      }
      if (rec.content().length() > 65535) {
        violations.add("record of " + rec.content().length() + " bytes");
      }
      switch (rec.type()) {
        case 1:
          if (current != null && !current.ended) {
            violations.add("BEGIN_REQUEST while a request is in flight");
          }
          current = new ServerRequest(this, ++requestCount, rec.content());
          requests.add(current);
          max(maxInFlight, inFlight.incrementAndGet());
          onBegin.accept(current);
          break;
        case 4:
          current.paramsRecords.add(rec.content());
          if (rec.content().length() == 0) {
            Buffer all = Buffer.buffer();
            current.paramsRecords.forEach(all::appendBuffer);
            WireRecords.pairs(all).forEach(e -> current.params.put(e.getKey(), e.getValue()));
          }
          break;
        case 5:
          if (rec.content().length() == 0) {
            current.stdinRecordLengths.add(0);
            current.stdinEnded = true;
            script.accept(current);
          } else {
            current.stdinRecordLengths.add(rec.content().length());
            current.stdin(rec.content());
          }
          break;
        case 2:
          current.abortReceived.tryComplete();
          break;
        default:
          violations.add("unexpected record type " + rec.type());
      }
    }

    private void closed() {
      // Vert.x releases what it read while the socket was paused only once that is delivered
      socket.handler(data -> { });
      socket.resume();
      openConnections.decrementAndGet();
      ServerRequest r = current;
      if (r != null && !r.ended) {
        r.ended = true;
        inFlight.decrementAndGet();
      }
      closed.tryComplete();
    }
  }

  /** One request as the server saw it, with the means to answer it. */
  final class ServerRequest {
    final Connection connection;
    final int indexOnConnection;
    final int role;
    final int flags;
    final Map<String, String> params = new LinkedHashMap<>();
    final List<Buffer> paramsRecords = new ArrayList<>();
    final List<Integer> stdinRecordLengths = new ArrayList<>();
    final Promise<Void> abortReceived = Promise.promise();
    final Buffer stdinHead = Buffer.buffer();
    private final MessageDigest md5;
    long stdinLength;
    boolean stdinEnded;
    boolean ended;

    ServerRequest(Connection connection, int indexOnConnection, Buffer begin) {
      this.connection = connection;
      this.indexOnConnection = indexOnConnection;
      this.role = begin.getUnsignedShort(0);
      this.flags = begin.getUnsignedByte(2);
      try {
        md5 = MessageDigest.getInstance("MD5");
      } catch (NoSuchAlgorithmException e) {
        throw new AssertionError(e);
      }
    }

    private void stdin(Buffer data) {
      md5.update(data.getBytes());
      stdinLength += data.length();
      if (stdinHead.length() < 1 << 20) {
        stdinHead.appendBuffer(data);
      }
    }

    /** @return the MD5 of the whole STDIN stream, in hex */
    String stdinMd5() {
      return HexFormat.of().formatHex(md5.digest());
    }

    NetSocket socket() {
      return connection.socket;
    }

    ServerRequest stdout(String text) {
      connection.socket.write(WireRecords.stdout(text));
      return this;
    }

    ServerRequest stdout(Buffer data) {
      connection.socket.write(WireRecords.stdout(data));
      return this;
    }

    ServerRequest stderr(String text) {
      connection.socket.write(WireRecords.stderr(text));
      return this;
    }

    /** Ends the request with a protocol status; closes the connection unless KEEP_CONN was asked. */
    void end(int protocolStatus) {
      ended = true;
      inFlight.decrementAndGet();
      connection.socket.write(WireRecords.end(protocolStatus));
      if ((flags & 1) == 0) {
        connection.socket.close();
      }
    }

    /** Headers and body in one STDOUT record, then END_REQUEST (REQUEST_COMPLETE), in one write. */
    void respond(String headers, String body) {
      ended = true;
      inFlight.decrementAndGet();
      connection.socket.write(WireRecords.stdout(headers + body).appendBuffer(WireRecords.end(0)));
      if ((flags & 1) == 0) {
        connection.socket.close();
      }
    }

    void close() {
      connection.socket.close();
    }
  }
}
