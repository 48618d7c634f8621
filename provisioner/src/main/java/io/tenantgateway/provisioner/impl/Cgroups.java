package io.tenantgateway.provisioner.impl;

import io.tenantgateway.provisioner.PoolLimits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Per-pool cgroups for memory, CPU and process limits, on cgroup v2 (unified) or v1 (one hierarchy
 * per controller), whichever is mounted at the root and writable. The launcher moves a pool's master into its
 * groups with {@link #join} right after spawning it, while php-fpm is still loading its extensions,
 * and admits no request before that returns. Blocking: call from worker threads.
 *
 * <p>Why not join first and exec php-fpm after (a wrapper shell writing {@code $$}): each move of a
 * process takes the kernel's cgroup threadgroup lock for writing, which waits for an RCU grace
 * period; measured here (cgroup v1, 2 cores) 5 to 14 ms for the three groups, which then came before
 * every millisecond of php-fpm's own start-up. Moved from outside, it overlaps php-fpm's start-up
 * (about 20 ms before it forks a worker).
 */
public final class Cgroups {

  private static final Logger LOG = LoggerFactory.getLogger(Cgroups.class);
  private static final String GROUP = "tenant-gateway";
  private static final long CPU_PERIOD_US = 100_000;
  /** How long {@link #killAll} waits for killed processes to leave their groups. */
  private static final long KILL_WAIT_NS = 5_000_000_000L;

  /** Which cgroup interface is in use. */
  public enum Version { V1, V2, NONE }

  private static final List<String> CONTROLLERS = List.of("memory", "cpu", "pids");

  private final Path root;
  private final Version version;
  private final Set<String> controllers;

  private Cgroups(Path root, Version version, Set<String> controllers) {
    this.root = root;
    this.version = version;
    this.controllers = controllers;
  }

  /** @return cgroups switched off */
  public static Cgroups none() {
    return new Cgroups(Path.of("/sys/fs/cgroup"), Version.NONE, Set.of());
  }

  /**
   * On cgroup v2 each of the memory, cpu and pids controllers that the root offers is enabled for
   * the pools' groups; one that is missing (bound to a v1 hierarchy on a hybrid machine, or not
   * delegated) leaves its limit unenforced and is named in {@link #describe}, while membership and
   * {@code cgroup.kill}, which need no controller, still decide which processes are a pool's.
   *
   * @param root the cgroup mount point, normally {@code /sys/fs/cgroup}
   * @return what this machine allows
   */
  public static Cgroups detect(Path root) {
    if (Files.exists(root.resolve("cgroup.controllers"))) {
      try {
        if (!Files.isWritable(root)) {
          return new Cgroups(root, Version.NONE, Set.of());
        }
        Set<String> offered = Set.of(Files.readString(root.resolve("cgroup.controllers")).trim().split("\\s+"));
        Path parent = Files.createDirectories(root.resolve(GROUP));
        Set<String> enabled = new TreeSet<>();
        for (String controller : CONTROLLERS) {
          if (offered.contains(controller) && enable(root, controller) && enable(parent, controller)) {
            enabled.add(controller);
          }
        }
        return new Cgroups(root, Version.V2, enabled);
      } catch (IOException e) {
        LOG.warn("cgroup v2 at {} not usable: {}", root, e.getMessage());
        return new Cgroups(root, Version.NONE, Set.of());
      }
    }
    for (String controller : CONTROLLERS) {
      Path dir = root.resolve(controller);
      if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
        return new Cgroups(root, Version.NONE, Set.of());
      }
    }
    return new Cgroups(root, Version.V1, Set.copyOf(CONTROLLERS));
  }

  private static boolean enable(Path group, String controller) {
    try {
      write(group.resolve("cgroup.subtree_control"), "+" + controller);
      return true;
    } catch (IOException e) {
      LOG.warn("cgroup v2 controller {} cannot be enabled in {}: {}", controller, group, e.getMessage());
      return false;
    }
  }

  /** @return the interface in use */
  public Version version() {
    return version;
  }

  /** @return the controllers whose limits are enforced (memory, cpu, pids) */
  public Set<String> controllers() {
    return controllers;
  }

  /** @return a line for the start-up log */
  public String describe() {
    switch (version) {
      case V2:
        List<String> missing = CONTROLLERS.stream().filter(c -> !controllers.contains(c)).toList();
        return "cgroup v2 under " + root.resolve(GROUP) + ", limits enforced: "
          + (controllers.isEmpty() ? "none" : String.join(", ", controllers))
          + (missing.isEmpty() ? "" : "; NOT enforced (controller not available to cgroup v2 here): "
          + String.join(", ", missing));
      case V1:
        return "cgroup v1 limits (memory, cpu, pids hierarchies) under " + root + "/<controller>/" + GROUP;
      default:
        return "no writable cgroups: memory, CPU and process limits are NOT enforced";
    }
  }

  /**
   * Creates (or updates) the tenant's groups with its limits.
   *
   * @param tenantId the tenant
   * @param limits its limits
   * @return the {@code cgroup.procs} files the master must join; empty when cgroups are not in use
   * @throws IOException when a group cannot be written
   */
  public List<Path> prepare(String tenantId, PoolLimits limits) throws IOException {
    List<Path> procs = new ArrayList<>();
    if (version == Version.NONE) {
      return procs;
    }
    if (version == Version.V2) {
      Path dir = Files.createDirectories(root.resolve(GROUP).resolve(tenantId));
      if (controllers.contains("memory")) {
        write(dir.resolve("memory.max"), limits.memoryMb() > 0 ? bytes(limits.memoryMb()) : "max");
        if (Files.exists(dir.resolve("memory.swap.max"))) {
          write(dir.resolve("memory.swap.max"), limits.memoryMb() > 0 ? "0" : "max");
        }
      }
      if (controllers.contains("cpu")) {
        write(dir.resolve("cpu.max"), (limits.cpuPercent() > 0
          ? Long.toString(CPU_PERIOD_US * limits.cpuPercent() / 100) : "max") + " " + CPU_PERIOD_US);
      }
      if (controllers.contains("pids")) {
        write(dir.resolve("pids.max"), limits.pids() > 0 ? Integer.toString(limits.pids()) : "max");
      }
      procs.add(dir.resolve("cgroup.procs"));
      return procs;
    }
    Path memory = Files.createDirectories(root.resolve("memory").resolve(GROUP).resolve(tenantId));
    write(memory.resolve("memory.limit_in_bytes"), limits.memoryMb() > 0 ? bytes(limits.memoryMb()) : "-1");
    procs.add(memory.resolve("cgroup.procs"));
    Path cpu = Files.createDirectories(root.resolve("cpu").resolve(GROUP).resolve(tenantId));
    write(cpu.resolve("cpu.cfs_period_us"), Long.toString(CPU_PERIOD_US));
    write(cpu.resolve("cpu.cfs_quota_us"), limits.cpuPercent() > 0
      ? Long.toString(CPU_PERIOD_US * limits.cpuPercent() / 100) : "-1");
    procs.add(cpu.resolve("cgroup.procs"));
    Path pids = Files.createDirectories(root.resolve("pids").resolve(GROUP).resolve(tenantId));
    write(pids.resolve("pids.max"), limits.pids() > 0 ? Integer.toString(limits.pids()) : "max");
    procs.add(pids.resolve("cgroup.procs"));
    return procs;
  }

  /**
   * Moves a just-started pool into its groups: the spawned process, then each of its descendants,
   * each process before its children are listed. A fork and a move exclude each other in the
   * kernel, so a child that a listing does not show was forked after its parent had moved and is in
   * the groups already. Once this returns every process of the pool is in them, and later forks
   * inherit them. Until it returns the pool runs no tenant code: the gateway has sent it nothing.
   * (Only the first move waits for the kernel's RCU grace period; the others follow at once.)
   *
   * @param spawned the process the gateway started (a child of this JVM, not yet reaped)
   * @param procs the {@code cgroup.procs} files {@link #prepare} returned
   * @return how many processes were moved
   * @throws IOException when a move fails or the spawned process exited meanwhile
   */
  public int join(ProcessHandle spawned, List<Path> procs) throws IOException {
    if (procs.isEmpty()) {
      return 0;
    }
    // a reaped pid could be reused by an unrelated process: move it only while ours is alive
    if (!spawned.isAlive()) {
      throw new IOException("pool process " + spawned.pid() + " exited before it joined its cgroups");
    }
    return moveTree(spawned.pid(), procs, true);
  }

  private static int moveTree(long pid, List<Path> procs, boolean mustExist) throws IOException {
    for (Path file : procs) {
      try {
        write(file, Long.toString(pid));
      } catch (IOException e) {
        // a descendant that exited meanwhile (ESRCH); anything else is a failure
        if (mustExist || Files.isDirectory(Path.of("/proc", Long.toString(pid)))) {
          throw e;
        }
        return 0;
      }
    }
    int moved = 1;
    for (long child : childrenOf(pid)) {
      moved += moveTree(child, procs, false);
    }
    return moved;
  }

  private static List<Long> childrenOf(long parent) {
    try {
      return ProcFs.children(parent);
    } catch (IOException e) {
      // gone, or a kernel without CONFIG_PROC_CHILDREN: a scan of /proc
      List<Long> out = new ArrayList<>();
      ProcessHandle.of(parent).ifPresent(p -> p.children().forEach(child -> out.add(child.pid())));
      return out;
    }
  }

  /**
   * @param tenantId the tenant
   * @return bytes of memory its pool uses now, or -1 when unknown
   */
  public long memoryUsage(String tenantId) {
    Path file = version == Version.V2 ? root.resolve(GROUP).resolve(tenantId).resolve("memory.current")
      : root.resolve("memory").resolve(GROUP).resolve(tenantId).resolve("memory.usage_in_bytes");
    try {
      return version == Version.NONE ? -1 : Long.parseLong(Files.readString(file).trim());
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  /**
   * SIGKILLs every process in the tenant's groups until they are empty: the kernel, not a pid
   * file, says which processes are the pool's, and a process cannot leave its group (the groups
   * belong to root). Double-forked daemons are members too. On cgroup v2 {@code cgroup.kill} does it
   * in one write.
   *
   * @param tenantId the tenant
   * @return how many processes were signalled
   */
  public int killAll(String tenantId) {
    List<Path> procs = procsFiles(tenantId);
    int killed = 0;
    if (procs.isEmpty()) {
      return 0;
    }
    if (version == Version.V2 && Files.exists(root.resolve(GROUP).resolve(tenantId).resolve("cgroup.kill"))) {
      try {
        write(root.resolve(GROUP).resolve(tenantId).resolve("cgroup.kill"), "1");
      } catch (IOException e) {
        LOG.warn("cgroup.kill of {} failed: {}", tenantId, e.getMessage());
      }
    }
    // every process of the pool is in each of its groups: one list suffices; a SIGKILLed process
    // stays listed until it has exited, which on a loaded machine takes a while, so wait, not spin
    List<Path> one = List.of(procs.get(procs.size() - 1));
    java.util.Set<Long> signalled = new java.util.HashSet<>();
    long deadline = System.nanoTime() + KILL_WAIT_NS;
    while (true) {
      java.util.Set<Long> members = members(one);
      if (members.isEmpty()) {
        break;
      }
      for (long pid : members) {
        if (signalled.add(pid)) {
          try {
            Libc.signal(pid, jnr.constants.platform.Signal.SIGKILL);
            killed++;
          } catch (IOException gone) {
            // exited meanwhile
          }
        }
      }
      if (System.nanoTime() - deadline > 0) {
        LOG.warn("processes {} of {} still in its cgroups {} ms after SIGKILL", members, tenantId,
          KILL_WAIT_NS / 1_000_000);
        break;
      }
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (killed > 0) {
      LOG.info("killed {} processes left in the cgroups of {}", killed, tenantId);
    }
    return killed;
  }

  /**
   * @return the tenants that have groups (of this or an earlier gateway run)
   */
  public List<String> tenantsWithGroups() {
    Path parent = version == Version.V2 ? root.resolve(GROUP) : root.resolve("pids").resolve(GROUP);
    List<String> out = new ArrayList<>();
    if (version == Version.NONE || !Files.isDirectory(parent)) {
      return out;
    }
    try (var dirs = Files.list(parent)) {
      dirs.filter(Files::isDirectory).forEach(d -> out.add(d.getFileName().toString()));
    } catch (IOException e) {
      LOG.warn("cannot list {}: {}", parent, e.getMessage());
    }
    return out;
  }

  /**
   * @param tenantId the tenant
   * @return the pids in its groups now
   */
  public java.util.Set<Long> members(String tenantId) {
    return members(procsFiles(tenantId));
  }

  private static java.util.Set<Long> members(List<Path> procs) {
    java.util.Set<Long> pids = new java.util.TreeSet<>();
    for (Path file : procs) {
      try {
        for (String line : Files.readAllLines(file)) {
          if (!line.isBlank()) {
            pids.add(Long.parseLong(line.trim()));
          }
        }
      } catch (IOException | NumberFormatException e) {
        // no such group
      }
    }
    return pids;
  }

  private List<Path> procsFiles(String tenantId) {
    switch (version) {
      case V2:
        return List.of(root.resolve(GROUP).resolve(tenantId).resolve("cgroup.procs"));
      case V1:
        return List.of("memory", "cpu", "pids").stream()
          .map(c -> root.resolve(c).resolve(GROUP).resolve(tenantId).resolve("cgroup.procs")).toList();
      default:
        return List.of();
    }
  }

  /**
   * Removes the tenant's groups once its processes are gone (best effort).
   *
   * @param tenantId the tenant
   */
  public void remove(String tenantId) {
    List<Path> dirs = version == Version.V2 ? List.of(root.resolve(GROUP).resolve(tenantId))
      : version == Version.V1 ? List.of(root.resolve("memory").resolve(GROUP).resolve(tenantId),
      root.resolve("cpu").resolve(GROUP).resolve(tenantId), root.resolve("pids").resolve(GROUP).resolve(tenantId))
      : List.of();
    for (Path dir : dirs) {
      try {
        Files.deleteIfExists(dir);
      } catch (IOException e) {
        LOG.debug("cgroup {} not removed: {}", dir, e.getMessage());
      }
    }
  }

  private static String bytes(int mb) {
    return Long.toString(mb * 1024L * 1024L);
  }

  private static void write(Path file, String value) throws IOException {
    Files.writeString(file, value);
  }
}
