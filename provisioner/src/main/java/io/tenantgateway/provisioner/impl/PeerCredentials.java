package io.tenantgateway.provisioner.impl;

import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import jnr.unixsocket.UnixSocketOptions;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Who listens on a unix socket: SO_PEERCRED through jnr-unixsocket reports the process that called
 * listen(), i.e. the php-fpm master. Blocking: call from a worker thread.
 */
public final class PeerCredentials {

  private PeerCredentials() {
  }

  /**
   * @param socket a listening unix socket
   * @return the uid of the process listening on it
   * @throws IOException when the socket does not answer
   */
  public static long listenerUid(Path socket) throws IOException {
    try (UnixSocketChannel channel = UnixSocketChannel.open(new UnixSocketAddress(socket.toFile()))) {
      return channel.getOption(UnixSocketOptions.SO_PEERCRED).getUid();
    }
  }
}
