package io.tenantgateway.provisioner.impl;

import io.tenantgateway.provisioner.PoolSpec;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * A pool spawned ahead of its start ({@link PhpFpmLauncher#stage}): socket bound, sandbox built, in
 * its cgroups, waiting as root for one line on its stdin before it executes setpriv and php-fpm.
 * Used once, by {@link #go}, or discarded. Its output is read only from {@link #go} on: until then
 * it writes nothing but a failure of bwrap, which the pipe keeps.
 *
 * @param spec the pool it was staged for
 * @param command its command
 * @param process the spawned process
 * @param uid the uid its master will run as
 * @param cgroupProcs the {@code cgroup.procs} files of its groups, which it has joined
 * @param socket the pool's socket, bound by it
 */
record StagedPool(PoolSpec spec, PhpFpmLauncher.Command command, Process process, long uid, List<Path> cgroupProcs,
                  Path socket) {

  /**
   * Lets the staged process, moved into its groups while it was one process, build its socket and
   * sandbox; it then waits for {@link #go}.
   *
   * @throws IOException when the process is gone
   */
  void build() throws IOException {
    OutputStream gate = process.getOutputStream();
    gate.write('\n');
    gate.flush();
  }

  /**
   * Lets the staged process run php-fpm.
   *
   * @return the pool, now starting
   * @throws IOException when the process is gone
   */
  PoolProcess go() throws IOException {
    try (OutputStream go = process.getOutputStream()) {
      go.write('\n');
    }
    PoolProcess pool = new PoolProcess(spec.id(), process, uid, command.depth(),
      PoolOutput.start(spec.id(), process.getInputStream()), cgroupProcs, socket);
    pool.confined(true);
    return pool;
  }

  /** Kills the staged process and what it spawned (it never ran anything of the tenant) and removes its socket. */
  void discard() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.getOutputStream().close();
      process.getInputStream().close();
    } catch (IOException e) {
      // the pipes are gone with the process
    }
    try {
      // bound by the staged process in the pool's directory, which is root's
      java.nio.file.Files.deleteIfExists(socket);
    } catch (IOException e) {
      // a later bind replaces it
    }
  }
}
