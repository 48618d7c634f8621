package io.tenantgateway.provisioner;

import java.nio.file.Path;
import java.util.List;

/**
 * How one tenant's pool is set apart from the host, beyond the gateway-wide default.
 *
 * @param isolation the tenant's isolation, or null for the gateway's ({@code provisioner.isolation})
 * @param privateNetwork true for {@code network: none}: an own network namespace holding only a
 *     loopback interface (needs namespaces); the pool socket is inherited, so requests still arrive
 * @param unixSockets host Unix sockets bound read-only into the pool at the same path (e.g.
 *     {@code /run/mysqld/mysqld.sock}), so that a pool without network still reaches its services;
 *     a socket that is missing when the pool starts is left out
 * @param root the tenant's application tree, of which the docroot is a part (code above the
 *     docroot, e.g. Laravel's {@code vendor/}), or null for the docroot itself: the pool reads and
 *     writes it (open_basedir, and the namespace's bind)
 * @param readOnlyPaths more paths the pool may read (open_basedir; bound read-only with namespaces),
 *     e.g. {@code /usr/share/php} for Debian's packaged applications
 */
public record PoolSandbox(Isolation isolation, boolean privateNetwork, List<Path> unixSockets, Path root,
                          List<Path> readOnlyPaths) {

  /** The gateway's isolation, the host's network, no extra sockets, the docroot as the whole tree. */
  public static final PoolSandbox DEFAULT = new PoolSandbox(null, false, List.of(), null, List.of());

  /**
   * Copies the lists.
   */
  public PoolSandbox {
    unixSockets = List.copyOf(unixSockets);
    readOnlyPaths = List.copyOf(readOnlyPaths);
  }
}
