package io.tenantgateway.gateway.proxy;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.streams.ReadStream;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reads a request body completely before the request goes to PHP, as nginx does with
 * {@code client_body_buffer_size} and its temp files, so that a body arriving slowly never holds a
 * PHP worker or a slot of its tenant: in memory up to {@code bufferBytes} (while all requests
 * together hold less than {@code memoryBytes}), beyond that in a spool file. Spool files are
 * created {@code 0600} in a directory of root's that no tenant can reach, and unlinked as soon as
 * they are open: the gateway never opens one by path again, and nothing is left behind, not even
 * after a crash.
 */
public final class RequestBodies {

  private final Vertx vertx;
  private final Path spoolDir;
  private final int bufferBytes;
  private final long memoryBytes;
  private final AtomicLong inMemory = new AtomicLong();
  private final AtomicLong spoolNames = new AtomicLong();

  /** A complete request body. */
  public sealed interface Body {
    /** @return its length in bytes */
    long length();

    /** Frees what it holds; idempotent. */
    void release();
  }

  /** No body: the one instance is {@link #EMPTY}. */
  public static final Body EMPTY = new Empty();

  private record Empty() implements Body {
    @Override
    public long length() {
      return 0;
    }

    @Override
    public void release() {
    }
  }

  /** A body held in memory. */
  public final class InMemory implements Body {
    private final Buffer data;
    private boolean released;

    InMemory(Buffer data) {
      this.data = data;
    }

    /** @return the bytes */
    public Buffer data() {
      return data;
    }

    @Override
    public long length() {
      return data.length();
    }

    @Override
    public synchronized void release() {
      if (!released) {
        released = true;
        inMemory.addAndGet(-data.length());
      }
    }
  }

  /** A body in an unlinked spool file, positioned at its start. */
  public static final class Spooled implements Body {
    private final AsyncFile file;
    private final long length;

    Spooled(AsyncFile file, long length) {
      this.file = file;
      this.length = length;
    }

    /** @return the file as a paused stream from its first byte */
    public ReadStream<Buffer> stream() {
      return file;
    }

    @Override
    public long length() {
      return length;
    }

    @Override
    public void release() {
      file.close();
    }
  }

  /**
   * @param vertx the Vert.x instance
   * @param spoolDir a directory only root (the gateway) can enter; created 0700 when missing
   * @param bufferBytes largest body kept in memory
   * @param memoryBytes most bytes of bodies in memory at once, all requests together
   * @throws IOException when the spool directory cannot be made or is not the gateway's
   */
  public RequestBodies(Vertx vertx, Path spoolDir, int bufferBytes, long memoryBytes) throws IOException {
    this.vertx = vertx;
    this.spoolDir = spoolDir.toAbsolutePath().normalize();
    this.bufferBytes = bufferBytes;
    this.memoryBytes = memoryBytes;
    if (!Files.exists(this.spoolDir, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(this.spoolDir.getParent());
      Files.createDirectory(this.spoolDir, PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwx------")));
    }
    if (!Files.isDirectory(this.spoolDir, LinkOption.NOFOLLOW_LINKS)
      || !Files.getOwner(this.spoolDir, LinkOption.NOFOLLOW_LINKS).getName().equals(System.getProperty("user.name"))) {
      throw new IOException(this.spoolDir + " is not a directory of the gateway's user: remove it");
    }
    Files.setPosixFilePermissions(this.spoolDir, PosixFilePermissions.fromString("rwx------"));
  }

  /** @return bytes of request bodies held in memory now */
  public long inMemory() {
    return inMemory.get();
  }

  /**
   * Reads the request's body; the request is paused and is resumed here.
   *
   * @param request the request
   * @param limit largest body; longer fails with a {@link GatewayException} 413
   * @return the body, or the failure (413, or the request's own error: a malformed chunk, a client gone)
   */
  public Future<Body> read(HttpServerRequest request, long limit) {
    return new Reader(request, limit).start();
  }

  private final class Reader {
    private final HttpServerRequest request;
    private final long limit;
    private final Promise<Body> promise = Promise.promise();
    private Buffer memory = Buffer.buffer();
    private long reserved;
    private long length;
    private AsyncFile file;
    private Future<AsyncFile> opening;
    private boolean ended;

    Reader(HttpServerRequest request, long limit) {
      this.request = request;
      this.limit = limit;
    }

    Future<Body> start() {
      request.handler(this::chunk);
      request.endHandler(v -> end());
      request.exceptionHandler(this::fail);
      request.resume();
      return promise.future();
    }

    private void chunk(Buffer chunk) {
      if (promise.future().isComplete()) {
        return;
      }
      length += chunk.length();
      if (length > limit) {
        request.handler(null);
        fail(new GatewayException(413, "request body over " + limit + " bytes"));
        return;
      }
      if (file == null && opening == null && fitsInMemory(chunk.length())) {
        memory.appendBuffer(chunk);
        return;
      }
      memory.appendBuffer(chunk);
      if (opening == null) {
        request.pause();
        opening = openSpool().onSuccess(opened -> {
          file = opened;
          if (promise.future().isComplete()) {
            opened.close();
            return;
          }
          flushMemory();
          if (ended) {
            finish();
          } else {
            request.resume();
          }
        }).onFailure(this::fail);
        return;
      }
      if (file != null) {
        flushMemory();
      }
    }

    private boolean fitsInMemory(int more) {
      if (memory.length() + more > bufferBytes) {
        return false;
      }
      if (inMemory.addAndGet(more) > memoryBytes) {
        inMemory.addAndGet(-more);
        return false;
      }
      reserved += more;
      return true;
    }

    private void flushMemory() {
      if (memory.length() == 0) {
        return;
      }
      Buffer out = memory;
      memory = Buffer.buffer();
      inMemory.addAndGet(-reserved);
      reserved = 0;
      file.write(out);
      if (file.writeQueueFull()) {
        request.pause();
        file.drainHandler(v -> {
          if (!ended) {
            request.resume();
          }
        });
        if (!file.writeQueueFull() && !ended) {
          request.resume();
        }
      }
    }

    private void end() {
      ended = true;
      if (promise.future().isComplete()) {
        return;
      }
      if (opening != null && file == null) {
        return;
      }
      finish();
    }

    private void finish() {
      if (file == null) {
        if (length == 0) {
          promise.tryComplete(EMPTY);
        } else {
          InMemory body = new InMemory(memory);
          reserved = 0;
          promise.tryComplete(body);
        }
        return;
      }
      flushMemory();
      AsyncFile spooled = file;
      spooled.flush().onComplete(ar -> {
        if (ar.failed()) {
          fail(ar.cause());
          return;
        }
        spooled.pause();
        spooled.setReadPos(0);
        if (!promise.tryComplete(new Spooled(spooled, length))) {
          spooled.close();
        }
      });
    }

    private void fail(Throwable cause) {
      if (promise.tryFail(cause)) {
        inMemory.addAndGet(-reserved);
        reserved = 0;
        if (file != null) {
          file.close();
        }
      }
    }

    /**
     * Creates a 0600 file in the spool directory (O_EXCL: never an existing file, nor a symlink) and
     * unlinks it at once; the descriptor is all that is kept.
     */
    private Future<AsyncFile> openSpool() {
      String path = spoolDir.resolve("body-" + ProcessHandle.current().pid() + "-" + spoolNames.incrementAndGet())
        .toString();
      return vertx.fileSystem().open(path, new OpenOptions().setCreateNew(true).setRead(true).setWrite(true)
          .setPerms("rw-------"))
        .compose(opened -> vertx.fileSystem().delete(path).map(v -> opened)
          .recover(e -> opened.close().transform(x -> Future.failedFuture(e))));
    }
  }
}
