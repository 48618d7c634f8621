package io.tenantgateway.provisioner.impl;

import io.tenantgateway.provisioner.PoolSpec;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Starting and stopping php-fpm masters, and cleaning up after a previous gateway run. Every
 * method blocks: call from worker threads.
 */
public final class PoolProcesses {

  private static final Logger LOG = LoggerFactory.getLogger(PoolProcesses.class);

  private final PhpFpmLauncher launcher;

  /**
   * @param launcher spawns masters
   */
  public PoolProcesses(PhpFpmLauncher launcher) {
    this.launcher = launcher;
  }

  /**
   * @param spec the pool
   * @param layout its files
   * @return the started master
   * @throws IOException when it cannot be started
   */
  public PhpFpmLauncher.Launched launch(PoolSpec spec, PoolLayout layout) throws IOException {
    return launcher.launch(spec, layout);
  }

  /**
   * SIGKILL of workers of this tenant's pool whose master is gone (killed or crashed): php-fpm
   * workers outlive their master and would go on serving kept-alive connections unsupervised.
   *
   * @param tenantId the tenant id (the pool name)
   * @return how many were killed
   */
  public int killOrphanWorkers(String tenantId) {
    String title = "php-fpm: pool " + tenantId;
    int killed = 0;
    for (ProcessHandle p : (Iterable<ProcessHandle>) ProcessHandle.allProcesses()::iterator) {
      if (!title.equals(cmdline(p.pid()))) {
        continue;
      }
      boolean orphan = p.parent().map(parent -> !cmdline(parent.pid()).startsWith("php-fpm: master process"))
        .orElse(true);
      if (orphan && p.destroyForcibly()) {
        killed++;
      }
    }
    if (killed > 0) {
      LOG.info("killed {} orphaned php-fpm workers of pool {}", killed, tenantId);
    }
    return killed;
  }

  private static String cmdline(long pid) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
        StandardCharsets.ISO_8859_1).replace('\0', ' ').trim();
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  /**
   * Stops a master gracefully: SIGQUIT now (running requests finish), SIGKILL of the master and its
   * workers if it is still alive after the grace. No thread waits meanwhile: with many pools
   * stopping at once, waiting threads had taken the whole worker pool and pool starts queued
   * behind them. Blocking only for the signal itself: call from a worker thread.
   *
   * @param vertx for the grace timer
   * @param process the master
   * @param graceMillis time the graceful stop may take
   */
  public void stopGracefully(Vertx vertx, Process process, long graceMillis) {
    if (!process.isAlive()) {
      return;
    }
    signal(process.pid(), jnr.constants.platform.Signal.SIGQUIT);
    long timer = vertx.setTimer(Math.max(1, graceMillis), id -> {
      if (process.isAlive()) {
        LOG.warn("php-fpm master {} did not stop within {} ms; killing it", process.pid(), graceMillis);
        kill(process);
      }
    });
    process.onExit().thenRun(() -> vertx.cancelTimer(timer));
  }

  /**
   * SIGKILL of the master and every descendant.
   *
   * @param process the master
   */
  public void kill(Process process) {
    if (process == null) {
      return;
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  /**
   * Stops php-fpm masters a previous gateway run left behind (found by the pid files under
   * {@code pools/}) and removes their sockets, so that nothing is orphaned or shadowed.
   *
   * @param poolsDir {@code <runDir>/pools}
   * @return how many leftover masters were stopped
   */
  public int cleanUpLeftovers(Path poolsDir) {
    if (!Files.isDirectory(poolsDir)) {
      return 0;
    }
    int stopped = 0;
    try (Stream<Path> dirs = Files.list(poolsDir)) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        Path pidFile = dir.resolve("php-fpm.pid");
        if (Files.exists(pidFile) && stopLeftover(pidFile)) {
          stopped++;
        }
        Files.deleteIfExists(dir.resolve("php.sock"));
        Files.deleteIfExists(pidFile);
      }
    } catch (IOException e) {
      LOG.warn("cannot clean up {}: {}", poolsDir, e.getMessage());
    }
    return stopped;
  }

  private boolean stopLeftover(Path pidFile) throws IOException {
    long pid;
    try {
      pid = Long.parseLong(Files.readString(pidFile).trim());
    } catch (NumberFormatException e) {
      return false;
    }
    Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
    if (!Files.exists(cmdline)
      || !new String(Files.readAllBytes(cmdline), StandardCharsets.ISO_8859_1).contains("php-fpm")) {
      return false;
    }
    ProcessHandle handle = ProcessHandle.of(pid).orElse(null);
    if (handle == null) {
      return false;
    }
    List<ProcessHandle> workers = handle.descendants().toList();
    handle.destroy();
    try {
      handle.onExit().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      handle.destroyForcibly();
    }
    workers.forEach(ProcessHandle::destroyForcibly);
    LOG.info("stopped php-fpm master {} left by a previous run ({})", pid, pidFile);
    return true;
  }

  private static void signal(long pid, jnr.constants.platform.Signal signal) {
    try {
      Libc.signal(pid, signal);
    } catch (IOException e) {
      LOG.warn("cannot signal php-fpm master: {}", e.getMessage());
    }
  }

}
