package io.tenantgateway.provisioner.impl;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A started pool: the process the gateway spawned and the php-fpm master in it. Without a
 * sandbox they are one process. Under bubblewrap the spawned process is bwrap, whose child is the
 * PID namespace's init, whose child is the master; the master is found through the kernel's
 * process tree ({@code /proc/<pid>/task/<pid>/children}), never through a file the tenant writes.
 * When the init exits, the kernel kills every process left in the namespace.
 */
final class PoolProcess {

  private final String tenant;
  private final Process spawned;
  private final long uid;
  private final int depth;
  private final PoolOutput output;
  private final java.util.List<Path> cgroupProcs;
  private final Path socket;
  private final PhpFpmLauncher.Command command;
  private volatile long master = -1;
  private volatile long launch;
  private volatile boolean stagedAhead;

  /**
   * @param tenant the tenant id
   * @param spawned the process the gateway started
   * @param uid the uid the master runs as
   * @param depth how many generations below {@code spawned} the master is (0: it is the master)
   * @param output the reader of its output
   * @param cgroupProcs the {@code cgroup.procs} files of its groups (empty without cgroups)
   * @param socket the pool's socket
   * @param command the command it runs
   */
  PoolProcess(String tenant, Process spawned, long uid, int depth, PoolOutput output,
              java.util.List<Path> cgroupProcs, Path socket, PhpFpmLauncher.Command command) {
    this.socket = socket;
    this.command = command;
    this.cgroupProcs = java.util.List.copyOf(cgroupProcs);
    this.tenant = tenant;
    this.spawned = spawned;
    this.uid = uid;
    this.depth = depth;
    this.output = output;
  }

  /** @return the command it runs */
  PhpFpmLauncher.Command command() {
    return command;
  }

  /** @return which launch of its tenant this is (1, 2, ...), see PoolProcesses */
  long launch() {
    return launch;
  }

  void launch(long number) {
    this.launch = number;
  }

  /**
   * @return true when it was staged ahead of its start, after a run of the same spec ended: its
   *     socket listens and the spec has started before, so requests may wait in the backlog while
   *     php-fpm boots (a first start, or one after a crash, may fail at once: its requests wait for
   *     its ping and get the reason)
   */
  boolean stagedAhead() {
    return stagedAhead;
  }

  void stagedAhead(boolean ahead) {
    this.stagedAhead = ahead;
  }

  /** @return the pool's socket */
  Path socket() {
    return socket;
  }

  /** @return the {@code cgroup.procs} files the pool joins */
  java.util.List<Path> cgroupProcs() {
    return cgroupProcs;
  }

  /** @return the tenant id */
  String tenant() {
    return tenant;
  }

  /** @return the process the gateway spawned */
  Process spawned() {
    return spawned;
  }

  /** @return the uid of the master */
  long uid() {
    return uid;
  }

  /** @return true until the spawned process exited */
  boolean isAlive() {
    return spawned.isAlive();
  }

  /** @return completes when the spawned process exited */
  CompletableFuture<Process> onExit() {
    return spawned.onExit();
  }

  /** @return the exit status of the spawned process */
  int exitValue() {
    return spawned.exitValue();
  }

  /** @return the last lines of the pool's output, once it ended (waits at most 500 ms) */
  String lastLinesAfterExit() {
    return output.lastLinesAfterEnd(500);
  }

  /** @return the last lines of the pool's output */
  String lastLines() {
    return output.lastLines();
  }

  /**
   * @return the master's pid (host namespace), or -1 while it is not yet there or after the pool
   *     exited; blocking (reads /proc)
   */
  long masterPid() {
    if (!spawned.isAlive()) {
      return -1;
    }
    long known = master;
    if (known > 0) {
      return known;
    }
    long pid = descendant(spawned.pid(), depth);
    if (pid > 0 && uidOf(pid) == uid) {
      master = pid;
      return pid;
    }
    return -1;
  }

  /** @return the pid to report: the master's when known, else the spawned process's */
  long reportedPid() {
    long pid = master;
    return pid > 0 ? pid : spawned.pid();
  }

  /**
   * @param pid a process
   * @param generations how many generations down
   * @return its descendant that many generations down, each the only child of the one before, or -1
   *     (none, several, or gone on the way)
   */
  static long descendant(long pid, int generations) {
    long found = pid;
    for (int i = 0; i < generations && found > 0; i++) {
      found = onlyChild(found);
    }
    return found;
  }

  private static long onlyChild(long pid) {
    try {
      List<Long> children = ProcFs.children(pid);
      return children.size() == 1 ? children.get(0) : -1;
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  /**
   * @param pid a process
   * @return the real uid on the {@code Uid:} line of its status, or -1 (gone)
   */
  static long uidOf(long pid) {
    try {
      String status = ProcFs.read("/proc/" + pid + "/status");
      int line = status.indexOf("\nUid:");
      if (line < 0) {
        return -1;
      }
      int start = line + "\nUid:".length();
      while (start < status.length() && (status.charAt(start) == '\t' || status.charAt(start) == ' ')) {
        start++;
      }
      int end = start;
      while (end < status.length() && Character.isDigit(status.charAt(end))) {
        end++;
      }
      return Long.parseLong(status, start, end, 10);
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }
}
