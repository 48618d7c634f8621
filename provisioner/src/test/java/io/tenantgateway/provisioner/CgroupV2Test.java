package io.tenantgateway.provisioner;

import io.tenantgateway.provisioner.impl.Cgroups;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11: the cgroup v2 code on a real cgroup2 mount of its own (this test mounts one; on a
 * hybrid machine such as the CI's, the memory, cpu and pids controllers stay bound to v1, so the
 * mount offers none of them). What must hold whatever the controllers: the pool's processes join
 * the group, a double-forked daemon that left its parent stays a member (the kernel, not a pid file,
 * says what belongs to the pool), {@code cgroup.kill} ends them all, the group is removed. Where a
 * controller is offered, its limit is written; where not, {@code describe} says it is not enforced.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CgroupV2Test {

  private static final String TENANT = "pt-v2-" + ProcessHandle.current().pid();
  private static final String DAEMON = String.join("\n",
    "read go",
    "sleep 600 &",
    "setsid sh -c 'sleep 600 & echo $! > daemon.pid' < /dev/null > /dev/null 2>&1 &",
    "while [ ! -s daemon.pid ]; do sleep 0.01; done",
    "echo ready",
    "read line",
    "");

  private Path mount;
  private Path work;
  private Cgroups cgroups;
  private Process pool;

  @BeforeAll
  void mountCgroup2() throws Exception {
    assertEquals("root", System.getProperty("user.name"), "mounting cgroup2 needs root: run bin/test as root");
    mount = Files.createTempDirectory("tg-cgroup2");
    work = Files.createTempDirectory("tg-cgroup2-work");
    Process m = new ProcessBuilder("mount", "-t", "cgroup2", "none", mount.toString()).redirectErrorStream(true).start();
    String out = new String(m.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, m.waitFor(), "mount -t cgroup2 failed (a kernel without cgroup v2?): " + out);
    cgroups = Cgroups.detect(mount);
  }

  @AfterEach
  void killPool() throws Exception {
    if (pool != null) {
      pool.descendants().forEach(ProcessHandle::destroyForcibly);
      pool.destroyForcibly().waitFor();
    }
    cgroups.killAll(TENANT);
    cgroups.remove(TENANT);
  }

  @AfterAll
  void unmount() throws Exception {
    if (mount != null) {
      try {
        Files.deleteIfExists(mount.resolve("tenant-gateway"));
      } catch (java.io.IOException inUse) {
        // a gateway on this machine uses cgroup v2 too
      }
      new ProcessBuilder("umount", mount.toString()).inheritIO().start().waitFor();
      Files.deleteIfExists(mount);
    }
  }

  @Test
  void theDetectedInterfaceIsV2AndSaysWhichLimitsItEnforces() throws Exception {
    assertEquals(Cgroups.Version.V2, cgroups.version(), cgroups.describe());
    Set<String> offered = Set.of(Files.readString(mount.resolve("cgroup.controllers")).trim().split("\\s+"));
    Path group = cgroups.prepare(TENANT, new PoolLimits(64, 50, 32)).get(0).getParent();
    for (String controller : List.of("memory", "cpu", "pids")) {
      assertEquals(offered.contains(controller), cgroups.controllers().contains(controller), controller);
      if (!offered.contains(controller)) {
        assertTrue(cgroups.describe().matches(".*NOT enforced.*" + controller + ".*"), cgroups.describe());
      }
    }
    if (offered.contains("memory")) {
      assertEquals(Long.toString(64L << 20), Files.readString(group.resolve("memory.max")).trim());
    }
    if (offered.contains("pids")) {
      assertEquals("32", Files.readString(group.resolve("pids.max")).trim());
    }
    if (offered.contains("cpu")) {
      assertEquals("50000 100000", Files.readString(group.resolve("cpu.max")).trim());
    }
  }

  @Test
  void everyProcessJoinsADoubleForkedDaemonStaysAMemberAndCgroupKillEndsThemAll() throws Exception {
    List<Path> procs = cgroups.prepare(TENANT, PoolLimits.NONE);
    assertEquals(List.of(mount.resolve("tenant-gateway").resolve(TENANT).resolve("cgroup.procs")), procs);
    pool = new ProcessBuilder("/bin/sh", "-c", DAEMON).directory(work.toFile()).start();
    assertEquals(1, cgroups.join(pool.toHandle(), procs), "moved before it forked anything");
    pool.getOutputStream().write('\n');
    pool.getOutputStream().flush();
    BufferedReader out = new BufferedReader(new InputStreamReader(pool.getInputStream(), StandardCharsets.UTF_8));
    assertEquals("ready", out.readLine());
    long daemon = Long.parseLong(Files.readString(work.resolve("daemon.pid")).trim());
    ProcessHandle daemonHandle = ProcessHandle.of(daemon).orElseThrow();
    assertFalse(pool.descendants().anyMatch(p -> p.pid() == daemon), "the daemon left the pool's process tree");
    Set<Long> members = cgroups.members(TENANT);
    assertTrue(members.contains(pool.pid()) && members.contains(daemon) && members.size() >= 3,
      "the shell, its child and the daemon are members: " + members);
    assertEquals(Set.of(TENANT), Set.copyOf(cgroups.tenantsWithGroups().stream().filter(TENANT::equals).toList()));

    assertTrue(Files.exists(procs.get(0).resolveSibling("cgroup.kill")), "kernel 5.14+ has cgroup.kill");
    cgroups.killAll(TENANT);
    assertTrue(cgroups.members(TENANT).isEmpty(), "killAll returns once the group is empty");
    assertTrue(daemonHandle.onExit().get(5, TimeUnit.SECONDS) != null && !daemonHandle.isAlive());
    assertTrue(pool.waitFor(5, TimeUnit.SECONDS));
    cgroups.remove(TENANT);
    assertFalse(Files.exists(procs.get(0).getParent()), "the group is removed");
    pool = null;
  }
}
