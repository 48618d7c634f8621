package io.tenantgateway.provisioner.impl;

import jnr.constants.platform.Errno;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.SaveError;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A pool's listening socket, bound by the gateway itself in its own directory and handed to the
 * spawned pool as its standard input, from which {@link #SHELL_PREFIX} moves it to fd 3 for php-fpm
 * ({@code FPM_SOCKETS=<path>=3}, as under systemd socket activation). So no tenant can ever bind or
 * replace the socket, and a request can wait in its backlog while php-fpm boots.
 *
 * <p>The JDK passes a child no descriptor but 0, 1 and 2, so the socket goes in as fd 0: for the
 * moment of the spawn the gateway's own fd 0 is the socket ({@code dup2}), then it is restored. Spawns
 * that hand over a socket are serialised; every other spawn of the gateway gives its child a pipe or
 * /dev/null as stdin (the JDK's default), never the gateway's fd 0.
 *
 * <p>Plain libc calls, not a jnr or JDK channel: closing those shuts the socket down, and the socket
 * is shared with php-fpm (a blocking one: its workers exit when accept(2) says EAGAIN).
 */
final class ListeningSocket implements AutoCloseable {

  /** Moves the inherited socket from fd 0 to fd 3 and gives the rest /dev/null as stdin. */
  static final java.util.List<String> SHELL_PREFIX = java.util.List.of("/bin/sh", "-c",
    "exec 3<&0 </dev/null; exec \"$@\"", "tenant-gateway-pool");
  /** The backlog: requests wait here while php-fpm boots, as in nginx's default (511). */
  private static final int BACKLOG = 511;
  private static final int AF_UNIX = 1;
  private static final int SOCK_STREAM = 1;
  private static final int SOCK_CLOEXEC = 02000000;
  private static final int SUN_PATH_MAX = 107;
  private static final Object SPAWN_LOCK = new Object();

  /** The libc calls used. */
  public interface Libc {
    /** @return a descriptor or -1 */
    @SaveError
    int socket(int domain, int type, int protocol);

    /** @return 0 or -1 */
    @SaveError
    int bind(int fd, @In byte[] address, int length);

    /** @return 0 or -1 */
    @SaveError
    int listen(int fd, int backlog);

    /** @return a descriptor or -1 */
    @SaveError
    int dup(int fd);

    /** @return the new descriptor or -1 */
    @SaveError
    int dup2(int fd, int target);

    /** @return 0 or -1 */
    int close(int fd);
  }

  private static final Libc LIBC = LibraryLoader.create(Libc.class).load("c");
  private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

  private final int fd;

  private ListeningSocket(int fd) {
    this.fd = fd;
  }

  /**
   * @param path where to bind; the caller has removed anything there (a directory of the gateway's)
   * @return the bound, listening socket
   * @throws IOException when it cannot be bound
   */
  static ListeningSocket bind(Path path) throws IOException {
    byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
    if (name.length > SUN_PATH_MAX) {
      throw new IOException("pool socket path " + path + " is longer than " + SUN_PATH_MAX
        + " bytes, the limit of a Unix socket address: choose a shorter run_dir");
    }
    byte[] address = new byte[2 + name.length + 1];
    address[0] = (byte) AF_UNIX;
    System.arraycopy(name, 0, address, 2, name.length);
    int fd = LIBC.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      throw failure("socket", path);
    }
    if (LIBC.bind(fd, address, address.length) < 0 || LIBC.listen(fd, BACKLOG) < 0) {
      IOException e = failure("bind", path);
      LIBC.close(fd);
      throw e;
    }
    return new ListeningSocket(fd);
  }

  private static IOException failure(String call, Path path) {
    return new IOException("cannot bind the pool socket " + path + ": " + call + ": "
      + Errno.valueOf(RUNTIME.getLastError()));
  }

  /**
   * Starts the process with this socket as its standard input.
   *
   * @param builder the command, starting with {@link #SHELL_PREFIX}
   * @return the started process
   * @throws IOException when it cannot be started
   */
  Process spawn(ProcessBuilder builder) throws IOException {
    builder.redirectInput(ProcessBuilder.Redirect.INHERIT);
    synchronized (SPAWN_LOCK) {
      int saved = LIBC.dup(0);
      if (LIBC.dup2(fd, 0) < 0) {
        closeQuietly(saved);
        throw new IOException("dup2 of the pool socket: " + Errno.valueOf(RUNTIME.getLastError()));
      }
      try {
        return builder.start();
      } finally {
        if (saved >= 0) {
          LIBC.dup2(saved, 0);
          closeQuietly(saved);
        } else {
          LIBC.close(0);
        }
      }
    }
  }

  private static void closeQuietly(int fd) {
    if (fd >= 0) {
      LIBC.close(fd);
    }
  }

  /** Closes the gateway's descriptor; the pool keeps its own. */
  @Override
  public void close() {
    LIBC.close(fd);
  }
}
