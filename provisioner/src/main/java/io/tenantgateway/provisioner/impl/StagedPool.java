package io.tenantgateway.provisioner.impl;

import io.tenantgateway.provisioner.PoolSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A pool spawned ahead of its start ({@link PhpFpmLauncher#stage}): socket bound and listening,
 * sandbox built, in its cgroups, waiting as root for one line on its stdin before it executes
 * setpriv and php-fpm. Used once, by {@link #go}, or discarded. Its output up to its ready line is
 * read by {@link #build}; the rest (php-fpm's) from {@link #go} on.
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

  /** The line a staged process writes once its socket listens and its sandbox is built. */
  static final String READY = "tenant-gateway-staged-ready";
  private static final long BUILD_TIMEOUT_NANOS = 10_000_000_000L;
  private static final long POLL_NANOS = 1_000_000L;

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
    awaitReady();
    command.mounts().verifyInside(sandboxPid(), spec.id());
  }

  /** @return the shell that waits in the sandbox (the spawned process without one) */
  private long sandboxPid() throws IOException {
    ProcessHandle inside = process.toHandle();
    for (int depth = 0; depth < command.depth(); depth++) {
      inside = inside.children().findFirst()
        .orElseThrow(() -> new IOException("the sandbox of " + spec.id() + " is gone"));
    }
    return inside.pid();
  }

  /**
   * Reads the staged process's output up to its {@link #READY} line: from then on its socket
   * listens, so a request may wait in the backlog while php-fpm boots.
   */
  private void awaitReady() throws IOException {
    InputStream out = process.getInputStream();
    StringBuilder line = new StringBuilder();
    StringBuilder before = new StringBuilder();
    long deadline = System.nanoTime() + BUILD_TIMEOUT_NANOS;
    while (true) {
      if (out.available() == 0 && process.isAlive()) {
        if (System.nanoTime() > deadline) {
          throw new IOException("the sandbox of " + spec.id() + " was not built within "
            + BUILD_TIMEOUT_NANOS / 1_000_000_000 + " s: " + before.toString().strip());
        }
        LockSupport.parkNanos(POLL_NANOS);
        continue;
      }
      int b = out.read();
      if (b < 0) {
        throw new IOException("the staged pool of " + spec.id() + " exited before its sandbox was built: "
          + before.toString().strip());
      }
      if (b != '\n') {
        line.append((char) b);
      } else if (line.toString().equals(READY)) {
        return;
      } else {
        before.append(line).append('\n');
        line.setLength(0);
      }
    }
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
      PoolOutput.start(spec.id(), process.getInputStream()), cgroupProcs, socket, command);
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
