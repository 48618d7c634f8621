package io.tenantgateway.gateway;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.transport.Transport;

import java.util.concurrent.ThreadFactory;

/**
 * A Vert.x transport that accepts connections on the event loops that serve them, as nginx's
 * workers do, instead of on a separate acceptor thread: a new connection then costs no hand-off
 * between threads (measured on the 2-core VM of issue 12: a request on a new connection took 1.5-1.9
 * ms more than on a kept one with the acceptor thread, against 0.2 ms for nginx). Everything else
 * is the wrapped transport's.
 */
final class SharedAcceptorTransport implements Transport {

  private final Transport base;
  private final Implementation implementation;

  private SharedAcceptorTransport(Transport base) {
    this.base = base;
    this.implementation = new Implementation(base.implementation());
  }

  /** @return the native transport with shared acceptors, or null when no native transport is available */
  static Transport nativeOrNull() {
    Transport base = Transport.nativeTransport();
    return base == null || !base.available() ? null : new SharedAcceptorTransport(base);
  }

  @Override
  public String name() {
    return base.name();
  }

  @Override
  public boolean available() {
    return base.available();
  }

  @Override
  public Throwable unavailabilityCause() {
    return base.unavailabilityCause();
  }

  @Override
  public io.vertx.core.spi.transport.Transport implementation() {
    return implementation;
  }

  /** The wrapped implementation, whose acceptor group is its I/O group. */
  private static final class Implementation implements io.vertx.core.spi.transport.Transport {

    private final io.vertx.core.spi.transport.Transport base;
    private EventLoopGroup io;

    Implementation(io.vertx.core.spi.transport.Transport base) {
      this.base = base;
    }

    @Override
    public synchronized EventLoopGroup eventLoopGroup(int type, int threads, ThreadFactory factory, int ioRatio) {
      if (type == ACCEPTOR_EVENT_LOOP_GROUP && io != null) {
        return io;
      }
      EventLoopGroup group = base.eventLoopGroup(type, threads, factory, ioRatio);
      if (type == IO_EVENT_LOOP_GROUP) {
        io = group;
      }
      return group;
    }

    @Override
    public boolean supportsDomainSockets() {
      return base.supportsDomainSockets();
    }

    @Override
    public boolean supportFileRegion() {
      return base.supportFileRegion();
    }

    @Override
    public boolean isAvailable() {
      return base.isAvailable();
    }

    @Override
    public Throwable unavailabilityCause() {
      return base.unavailabilityCause();
    }

    @Override
    public java.net.SocketAddress convert(SocketAddress address) {
      return base.convert(address);
    }

    @Override
    public SocketAddress convert(java.net.SocketAddress address) {
      return base.convert(address);
    }

    @Override
    public IoHandlerFactory ioHandlerFactory() {
      return base.ioHandlerFactory();
    }

    @Override
    public DatagramChannel datagramChannel() {
      return base.datagramChannel();
    }

    @Override
    public DatagramChannel datagramChannel(InternetProtocolFamily family) {
      return base.datagramChannel(family);
    }

    @Override
    public ChannelFactory<? extends Channel> channelFactory(boolean domainSocket) {
      return base.channelFactory(domainSocket);
    }

    @Override
    public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
      return base.serverChannelFactory(domainSocket);
    }

    @Override
    public void configure(DatagramChannel channel, DatagramSocketOptions options) {
      base.configure(channel, options);
    }

    @Override
    public void configure(ClientOptionsBase options, int connectTimeout, boolean domainSocket, Bootstrap bootstrap) {
      base.configure(options, connectTimeout, domainSocket, bootstrap);
    }

    @Override
    public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
      base.configure(options, domainSocket, bootstrap);
    }
  }
}
