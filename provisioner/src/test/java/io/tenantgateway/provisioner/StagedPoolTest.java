package io.tenantgateway.provisioner;

import io.tenantgateway.provisioner.impl.PoolLayout;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.tenantgateway.provisioner.PhpFpmTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The next run of a pool is spawned when its run ends, up to php-fpm's exec, and only told to go by
 * the next request (docs/ARCHITECTURE.md, "Staged pools").
 */
class StagedPoolTest extends ManagedPoolsTestBase {

  @Override
  List<String> ids() {
    return List.of("pt-stage");
  }

  @BeforeEach
  void createManager() {
    manager = PoolManager.create(vertx, ProvisionerOptions.defaults(runDir, TEMPLATE).withIsolation(Isolation.USERS_ONLY));
  }

  /**
   * Staged runs of the tenant past their first gate: the shell that waits to run its php-fpm (before
   * the gate the process is the outer shell, whose command line names the same pool).
   */
  private List<Long> staged() throws IOException {
    String config = PoolLayout.of(runDir, "pt-stage").config().toString();
    return pids(cmd -> cmd.startsWith("/bin/sh -c read -r go ") && cmd.contains(config));
  }

  private long awaitStaged() throws Exception {
    waitFor("the next run to be staged", 10_000, () -> {
      try {
        return staged().size() == 1;
      } catch (IOException e) {
        return false;
      }
    });
    return staged().get(0);
  }

  private PoolSpec ranAndStopped(int maxChildren) throws Exception {
    PoolSpec spec = spec("pt-stage", docroot, maxChildren, 1);
    assertEquals(200, await(request(manager, client, spec, "info.php")).status());
    waitForState(manager, "pt-stage", PoolState.STOPPED, 10_000);
    return spec;
  }

  @Test
  void anEndedRunStagesTheNextWhichTheNextRequestStarts() throws Exception {
    PoolSpec spec = ranAndStopped(2);
    long waiting = awaitStaged();
    assertTrue(masters(runDir, "pt-stage").isEmpty(), "a staged run runs no php-fpm");
    assertEquals(0, procUid(waiting), "it waits as root, out of the tenant's reach");
    assertEquals(PoolState.STOPPED, status(manager, "pt-stage").state());

    Reply reply = await(request(manager, client, spec, "info.php"));
    assertEquals(200, reply.status(), reply.body());
    PoolStatus running = status(manager, "pt-stage");
    assertEquals(waiting, running.pid(), "the staged process became the master (users-only: by exec)");
    assertEquals(Long.toString(waiting), reply.fields()[1]);
    if (isRoot()) {
      assertEquals(uidOf("tg-pt-stage"), procUid(waiting), "php-fpm runs as the tenant's user");
    }
    assertTrue(staged().isEmpty(), "used once");
  }

  /** As root the staged run is in the tenant's groups (v1: each hierarchy; v2: the one). */
  @Test
  void theStagedRunIsInTheTenantsGroups() throws Exception {
    assertTrue(isRoot(), "bin/test runs as root: without root there are no per-tenant groups to check");
    ranAndStopped(2);
    long waiting = awaitStaged();
    List<String> groups = Files.readAllLines(Path.of("/proc", Long.toString(waiting), "cgroup"));
    List<String> tenant = groups.stream().filter(line -> line.endsWith(":/tenant-gateway/pt-stage")).toList();
    assertFalse(tenant.isEmpty(), "in the tenant's groups: " + groups);
    if (Files.isDirectory(Path.of("/sys/fs/cgroup/pids/tenant-gateway"))) {
      assertTrue(tenant.stream().anyMatch(line -> line.contains(":pids:")), groups.toString());
      assertTrue(tenant.stream().anyMatch(line -> line.contains(":memory:")), groups.toString());
    }
  }

  @Test
  void aChangedSpecDiscardsTheStagedRun() throws Exception {
    ranAndStopped(2);
    long waiting = awaitStaged();
    PoolSpec three = spec("pt-stage", docroot, 3, 60);
    assertEquals(200, await(request(manager, client, three, "info.php")).status());
    assertNotEquals(waiting, status(manager, "pt-stage").pid());
    waitFor("the staged process to be killed", 5_000, () -> !alive(waiting));
    assertTrue(Files.readString(PoolLayout.of(runDir, "pt-stage").config()).contains("pm.max_children = 3"));
  }

  @Test
  void aRemovedTenantsStagedRunIsKilled() throws Exception {
    ranAndStopped(2);
    long waiting = awaitStaged();
    await(manager.remove("pt-stage"));
    waitFor("the staged process to be killed", 5_000, () -> !alive(waiting));
  }

  @Test
  void stopAllLeavesNoStagedRun() throws Exception {
    ranAndStopped(2);
    long waiting = awaitStaged();
    await(manager.stopAll());
    waitFor("the staged process to be killed", 5_000, () -> !alive(waiting));
    assertTrue(staged().isEmpty());
  }
}
