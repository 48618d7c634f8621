package io.tenantgateway.provisioner;

import io.tenantgateway.provisioner.impl.Cgroups;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.tenantgateway.provisioner.PhpFpmTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The launcher moves a pool's master into its cgroups while php-fpm starts up (Cgroups#join), not
 * before the exec: every process of the pool must still end up in the tenant's groups, including a
 * worker forked before the master moved. Runs only as root with writable cgroups.
 */
class CgroupJoinTest extends ManagedPoolsTestBase {

  static final List<String> IDS = List.of("pt-cgroup", "pt-join");

  Cgroups cgroups;
  Process shell;

  @Override
  List<String> ids() {
    return IDS;
  }

  private void assumeCgroups() {
    assumeTrue(isRoot(), "cgroups are used only as root");
    cgroups = Cgroups.detect(Path.of("/sys/fs/cgroup"));
    assumeTrue(cgroups.version() != Cgroups.Version.NONE, "no writable cgroups here");
  }

  /** Runs before the base class's teardown, which stops the manager. */
  @AfterEach
  void killShell() throws Exception {
    if (shell != null) {
      shell.descendants().forEach(ProcessHandle::destroyForcibly);
      shell.destroyForcibly();
      shell.waitFor();
    }
  }

  /** After the base class's teardown: the groups are empty by then. */
  @AfterAll
  static void removeGroups() {
    if (!isRoot()) {
      return;
    }
    Cgroups groups = Cgroups.detect(Path.of("/sys/fs/cgroup"));
    if (groups.version() != Cgroups.Version.NONE) {
      IDS.forEach(groups::remove);
    }
  }

  @Test
  void joinMovesTheProcessWhatItForkedBeforeAndWhatItForksAfter() throws Exception {
    assumeCgroups();
    List<Path> procs = cgroups.prepare("pt-join", PoolLimits.NONE);
    shell = new ProcessBuilder("/bin/sh", "-c", "sleep 60 & sleep 60 & read line; sleep 60 & wait").start();
    long pid = shell.pid();
    waitFor("two children forked before the move", 5_000, () -> children(pid).size() == 2);
    List<Long> before = children(pid);

    assertEquals(3, cgroups.join(shell.toHandle(), procs), "the process and the two children it had forked were moved");
    for (Path file : procs) {
      assertInGroup(file, pid);
      for (long child : before) {
        assertInGroup(file, child);
      }
    }

    OutputStream stdin = shell.getOutputStream();
    stdin.write('\n');
    stdin.flush();
    waitFor("a third child forked after the move", 5_000, () -> children(pid).size() == 3);
    List<Long> after = children(pid);
    after.removeAll(before);
    for (Path file : procs) {
      assertInGroup(file, after.get(0));
    }
  }

  @Test
  void everyProcessOfAStartedPoolIsInTheTenantGroups() throws Exception {
    assumeCgroups();
    manager = PoolManager.create(vertx, ProvisionerOptions.defaults(runDir, TEMPLATE));
    PoolSpec spec = spec("pt-cgroup", docroot, 3, 60);
    assertEquals(200, await(request(manager, client, spec, "info.php")).status());

    long master = status(manager, "pt-cgroup").pid();
    // the first worker may answer while the master still forks the others
    waitFor("pm = static to fork max_children workers", 10_000, () -> children(master).size() == 3);
    List<Long> pool = new ArrayList<>(children(master));
    assertEquals(3, pool.size(), "pm = static forks max_children workers");
    pool.add(master);
    for (Path file : cgroups.prepare("pt-cgroup", spec.limits())) {
      for (long pid : pool) {
        assertInGroup(file, pid);
      }
    }
  }

  private static void assertInGroup(Path procsFile, long pid) throws IOException {
    assertTrue(Files.readAllLines(procsFile).contains(Long.toString(pid)),
      "process " + pid + " (" + cmdline(pid) + ") is in " + procsFile);
  }

  private static List<Long> children(long pid) {
    List<Long> out = new ArrayList<>();
    ProcessHandle.of(pid).ifPresent(p -> p.children().forEach(c -> out.add(c.pid())));
    return out;
  }
}
