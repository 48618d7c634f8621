package io.tenantgateway.provisioner.impl;

import io.tenantgateway.provisioner.PoolSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A pool spawned ahead of its start ({@link PhpFpmLauncher#stage}), in its cgroups: it binds its
 * socket and builds its sandbox, says so on its output, then waits as root for one line on its
 * stdin before it executes setpriv and php-fpm. Used once, by {@link #go}, or discarded. Its output
 * up to its ready line is read by {@link #readyNow} and {@link #awaitReady}; the rest (php-fpm's)
 * by its {@link PoolOutput}, whose thread is started with the build and waits until {@link #go}.
 * Nobody waits for the build: a staging holds no worker and no lock while bwrap works.
 */
final class StagedPool {

  /** The line a staged process writes once its socket listens and its sandbox is built. */
  static final String READY = "tenant-gateway-staged-ready";
  private static final long BUILD_TIMEOUT_SECONDS = 10;

  private final PoolSpec spec;
  private final PhpFpmLauncher.Command command;
  private final Process process;
  private final long uid;
  private final List<Path> cgroupProcs;
  private final Path socket;
  private final StringBuilder line = new StringBuilder();
  private final StringBuilder before = new StringBuilder();
  private volatile PoolOutput output;
  private volatile boolean ready;
  private volatile boolean timedOut;

  /**
   * @param spec the pool it was staged for
   * @param command its command
   * @param process the spawned process
   * @param uid the uid its master will run as
   * @param cgroupProcs the {@code cgroup.procs} files of its groups, which it has joined
   * @param socket the pool's socket, bound by it
   */
  StagedPool(PoolSpec spec, PhpFpmLauncher.Command command, Process process, long uid, List<Path> cgroupProcs,
             Path socket) {
    this.spec = spec;
    this.command = command;
    this.process = process;
    this.uid = uid;
    this.cgroupProcs = List.copyOf(cgroupProcs);
    this.socket = socket;
  }

  /** @return the pool it was staged for */
  PoolSpec spec() {
    return spec;
  }

  /** @return its command */
  PhpFpmLauncher.Command command() {
    return command;
  }

  /** @return the spawned process */
  Process process() {
    return process;
  }

  /**
   * Lets the staged process, moved into its groups while it was one process, build its socket and
   * sandbox; it then says it is ready and waits for {@link #go}.
   *
   * @throws IOException when the process is gone
   */
  void build() throws IOException {
    OutputStream gate = process.getOutputStream();
    gate.write('\n');
    gate.flush();
    // after the gate line: the build goes on while the thread starts (the tenant's lock is held)
    output = PoolOutput.waiting(spec.id(), process.getInputStream());
  }

  /**
   * @param wanted the pool as it must start now
   * @return null when the staged run can go now ({@link #go}); else why not
   * @throws IOException when it ended before its sandbox was built
   */
  String whyNotNow(PoolSpec wanted) throws IOException {
    if (!process.isAlive()) {
      return "the staged run is gone";
    }
    if (!spec.equals(wanted)) {
      return "staged for another spec";
    }
    return readyNow() ? null : "the staged run still builds";
  }

  /**
   * Reads what the staged process wrote so far, without waiting.
   *
   * @return true once it said it is ready: its socket listens and its sandbox is built
   * @throws IOException when it ended before (bwrap failed: its message is in the exception)
   */
  synchronized boolean readyNow() throws IOException {
    InputStream out = process.getInputStream();
    while (!ready) {
      int available = out.available();
      if (available == 0 && process.isAlive()) {
        return false;
      }
      for (int i = 0; i < Math.max(available, 1) && !ready; i++) {
        take(out);
      }
    }
    return true;
  }

  /**
   * Waits until the staged process is ready (blocking in a read of its output, no polling); one that
   * is not ready within 10 s is killed, which ends the wait.
   *
   * @throws IOException when it ended before, or took longer
   */
  void awaitReady() throws IOException {
    if (readyNow()) {
      return;
    }
    CompletableFuture.delayedExecutor(BUILD_TIMEOUT_SECONDS, TimeUnit.SECONDS).execute(() -> {
      if (!ready) {
        timedOut = true;
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    });
    synchronized (this) {
      InputStream out = process.getInputStream();
      while (!ready) {
        take(out);
      }
    }
  }

  /** Reads one byte of the staged process's output (blocking) towards its ready line. */
  private void take(InputStream out) throws IOException {
    int b = out.read();
    if (b < 0) {
      throw new IOException(timedOut ? "the sandbox of " + spec.id() + " was not built within "
        + BUILD_TIMEOUT_SECONDS + " s: " + before.toString().strip() : "the staged pool of " + spec.id()
        + " exited before its sandbox was built: " + before.toString().strip());
    }
    if (b != '\n') {
      line.append((char) b);
    } else if (line.toString().equals(READY)) {
      ready = true;
    } else {
      before.append(line).append('\n');
      line.setLength(0);
    }
  }

  /**
   * Lets the staged process run php-fpm, once it is ready and its sandbox holds the files that were
   * checked ({@link SandboxMounts}): a few system calls, no waiting.
   *
   * @return the pool, now starting
   * @throws IOException when the process is gone, or its sandbox holds another file than checked
   * @throws IllegalStateException when it is not ready yet
   */
  PoolProcess go() throws IOException {
    if (!readyNow()) {
      throw new IllegalStateException("the staged pool of " + spec.id() + " is not ready");
    }
    command.mounts().verifyInside(sandboxPid(), spec.id());
    try (OutputStream go = process.getOutputStream()) {
      go.write('\n');
    }
    output.begin();
    return new PoolProcess(spec.id(), process, uid, command.depth(), output, cgroupProcs, socket, command);
  }

  /** @return the shell that waits in the sandbox (the spawned process without one) */
  private long sandboxPid() throws IOException {
    long pid = PoolProcess.descendant(process.pid(), command.depth());
    if (pid <= 0) {
      throw new IOException("the sandbox of " + spec.id() + " is gone");
    }
    return pid;
  }

  /** Kills the staged process and what it spawned (it never ran anything of the tenant) and removes its socket. */
  void discard() {
    PoolOutput reader = output;
    if (reader != null) {
      reader.abandon();
    }
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
