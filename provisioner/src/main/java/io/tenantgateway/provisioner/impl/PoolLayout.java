package io.tenantgateway.provisioner.impl;

import java.nio.file.Path;

/**
 * The files of one pool under {@code <runDir>/pools/<id>/}. The directory, the configuration and
 * the socket belong to the gateway; only {@code tmp} belongs to the tenant (see
 * {@link PoolDirectory}).
 *
 * @param dir the pool directory
 * @param config the rendered php-fpm configuration
 * @param socket the FastCGI socket, bound by the gateway and inherited by php-fpm
 * @param tmp the pool's private temp dir (uploads, sessions), owned by the tenant
 */
public record PoolLayout(Path dir, Path config, Path socket, Path tmp) {

  /**
   * @param runDir the gateway's run directory
   * @param id the tenant id
   * @return the layout
   */
  public static PoolLayout of(Path runDir, String id) {
    Path dir = runDir.toAbsolutePath().normalize().resolve("pools").resolve(id);
    return new PoolLayout(dir, dir.resolve("php-fpm.conf"), dir.resolve("php.sock"), dir.resolve("tmp"));
  }
}
