package io.tenantgateway.provisioner.impl;

import java.nio.file.Path;

/**
 * The files of one pool under {@code <runDir>/pools/<id>/}.
 *
 * @param dir the pool directory
 * @param config the rendered php-fpm configuration
 * @param socket the FastCGI socket
 * @param pidFile the master's pid file
 * @param tmp the pool's private temp dir (uploads, sessions)
 * @param log the master's stdout/stderr
 */
public record PoolLayout(Path dir, Path config, Path socket, Path pidFile, Path tmp, Path log) {

  /**
   * @param runDir the gateway's run directory
   * @param id the tenant id
   * @return the layout
   */
  public static PoolLayout of(Path runDir, String id) {
    Path dir = runDir.toAbsolutePath().normalize().resolve("pools").resolve(id);
    return new PoolLayout(dir, dir.resolve("php-fpm.conf"), dir.resolve("php.sock"), dir.resolve("php-fpm.pid"),
      dir.resolve("tmp"), dir.resolve("master.log"));
  }
}
