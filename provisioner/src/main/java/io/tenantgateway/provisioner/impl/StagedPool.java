package io.tenantgateway.provisioner.impl;

import io.tenantgateway.provisioner.PoolSpec;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A pool spawned ahead of its start ({@link PhpFpmLauncher#stage}): socket bound, sandbox built, in
 * its cgroups, waiting as root for one line on its stdin before it executes setpriv and php-fpm.
 * Used once, by {@link #go}, or discarded.
 *
 * @param spec the pool it was staged for
 * @param command its command
 * @param pool the spawned process
 */
record StagedPool(PoolSpec spec, PhpFpmLauncher.Command command, PoolProcess pool) {

  /**
   * Lets the staged process run php-fpm.
   *
   * @return the pool, now starting
   * @throws IOException when the process is gone
   */
  PoolProcess go() throws IOException {
    try (OutputStream go = pool.spawned().getOutputStream()) {
      go.write('\n');
    }
    return pool;
  }

  /** Kills the staged process and what it spawned; it never ran anything of the tenant. */
  void discard() {
    pool.spawned().descendants().forEach(ProcessHandle::destroyForcibly);
    pool.spawned().destroyForcibly();
    try {
      pool.spawned().getOutputStream().close();
    } catch (IOException e) {
      // the pipe is gone with the process
    }
  }
}
