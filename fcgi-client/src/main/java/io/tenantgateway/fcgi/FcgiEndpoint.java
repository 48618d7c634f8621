package io.tenantgateway.fcgi;

import io.vertx.core.net.SocketAddress;

import java.util.Objects;

/**
 * A FastCGI server and how many connections the client may hold open to it at once.
 *
 * <p>A php-fpm worker serves one connection at a time and stays pinned to a kept-alive
 * connection, so the limit should equal the number of workers ({@code pm.max_children}).
 * Requests beyond it wait in the client's admission queue, not in the kernel backlog.
 */
public final class FcgiEndpoint {

  private final String location;
  private final String key;
  private final SocketAddress address;
  private final int maxConnections;

  private FcgiEndpoint(String location, String instance, SocketAddress address, int maxConnections) {
    if (maxConnections < 1) {
      throw new IllegalArgumentException("maxConnections must be at least 1, was " + maxConnections);
    }
    this.location = location;
    this.key = instance == null ? location : location + "#" + instance;
    this.address = address;
    this.maxConnections = maxConnections;
  }

  /**
   * @param path the unix socket path
   * @param maxConnections the most connections open at once
   * @return the endpoint
   */
  public static FcgiEndpoint unix(String path, int maxConnections) {
    return new FcgiEndpoint("unix:" + path, null, SocketAddress.domainSocketAddress(path), maxConnections);
  }

  /**
   * @param host host name or address
   * @param port TCP port
   * @param maxConnections the most connections open at once
   * @return the endpoint
   */
  public static FcgiEndpoint tcp(String host, int port, int maxConnections) {
    return new FcgiEndpoint("tcp:" + host + ":" + port, null, SocketAddress.inetSocketAddress(port, host),
      maxConnections);
  }

  /**
   * Parses {@code unix:/path/to.sock} or {@code tcp:host:port}.
   *
   * @param spec the endpoint text
   * @param maxConnections the most connections open at once
   * @return the endpoint
   * @throws IllegalArgumentException when the text has neither form
   */
  public static FcgiEndpoint parse(String spec, int maxConnections) {
    if (spec.startsWith("unix:/")) {
      return unix(spec.substring("unix:".length()), maxConnections);
    }
    if (spec.startsWith("tcp:")) {
      String hostPort = spec.substring("tcp:".length());
      int colon = hostPort.lastIndexOf(':');
      if (colon > 0) {
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
          host = host.substring(1, host.length() - 1);
        }
        try {
          int port = Integer.parseInt(hostPort.substring(colon + 1));
          if (port > 0 && port < 65536) {
            return tcp(host, port, maxConnections);
          }
        } catch (NumberFormatException ignored) {
          // reported below
        }
      }
    }
    throw new IllegalArgumentException("expected unix:/absolute/path or tcp:host:port, got '" + spec + "'");
  }

  /**
   * The same address for one run of the server behind it, such as one start of a php-fpm master.
   * Endpoints of different instances share no connections: closing those of a stopped run (which
   * may happen late) leaves the connections and waiting requests of the next run alone.
   *
   * @param instance names the run, e.g. a start counter
   * @return the endpoint of that run
   */
  public FcgiEndpoint instance(String instance) {
    return new FcgiEndpoint(location, instance, address, maxConnections);
  }

  /**
   * @return {@code unix:/path} or {@code tcp:host:port}, followed by {@code #instance} for an
   *     {@link #instance}; endpoints with the same key share a pool
   */
  public String key() {
    return key;
  }

  /**
   * @return the socket address to connect to
   */
  public SocketAddress address() {
    return address;
  }

  /**
   * @return the most connections open at once
   */
  public int maxConnections() {
    return maxConnections;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FcgiEndpoint && ((FcgiEndpoint) o).key.equals(key)
      && ((FcgiEndpoint) o).maxConnections == maxConnections;
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, maxConnections);
  }

  @Override
  public String toString() {
    return key;
  }
}
