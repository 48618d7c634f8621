package io.tenantgateway.provisioner.impl;

import io.tenantgateway.provisioner.PoolLimits;
import io.tenantgateway.provisioner.PoolSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A staged pool's output up to its ready line is the build's; the rest, from the go line on, is the
 * pool's own, read by its {@link PoolOutput}, whose thread starts with the build and waits for the
 * go line. A shell plays the staged process here: it waits for the gate line on stdin, prints what a
 * build prints, and for the go line reads stdin again (a real one reads it from descriptor 4, the
 * same pipe).
 */
class StagedPoolBuildTest {

  @TempDir
  Path dir;
  private Process process;

  @AfterEach
  void kill() {
    if (process != null) {
      process.destroyForcibly();
    }
  }

  private StagedPool staged(String script) throws IOException {
    process = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true).start();
    PoolSpec spec = new PoolSpec("pt-build", dir, 1, 10, 30, Map.of(), Map.of(), PoolLimits.NONE);
    PhpFpmLauncher.Command command = new PhpFpmLauncher.Command(List.of(), List.of(), 0, SandboxMounts.NONE);
    return new StagedPool(spec, command, process, 0, List.of(), dir.resolve("php.sock"));
  }

  @Test
  void aBuildThatEndsBeforeItsReadyLineFailsWithWhatItPrinted() throws Exception {
    StagedPool staged = staged("read -r gate; echo \"bwrap: Can't mount proc on /newroot/proc\"; exit 1");
    staged.build();
    IOException failed = assertThrows(IOException.class, staged::awaitReady);
    assertTrue(failed.getMessage().contains("exited before its sandbox was built"), failed.getMessage());
    assertTrue(failed.getMessage().contains("Can't mount proc"), failed.getMessage());
    assertThrows(IOException.class, staged::readyNow, "told again, without a read");
  }

  @Test
  void theReadyLineIsReadAheadAndTheGoLineHandsTheRestToThePoolsOutput() throws Exception {
    StagedPool staged = staged("read -r gate; echo built-by-bwrap; echo " + StagedPool.READY
      + "; read -r go; echo php-fpm-says-hello");
    staged.build();
    staged.awaitReady();
    assertTrue(staged.readyNow(), "known without a read by the caller");
    PoolProcess pool = staged.go();
    assertEquals(0, process.waitFor());
    assertEquals("php-fpm-says-hello", pool.lastLinesAfterExit(),
      "the pool's output starts after the ready line; what the build printed before is not the pool's");
  }

  @Test
  void aStagedPoolDiscardedWhileItBuildsEndsItsOutputReader() throws Exception {
    StagedPool staged = staged("read -r gate; exec sleep 60");
    staged.build();
    assertFalse(staged.readyNow(), "still building");
    List<Thread> readers = readers();
    assertEquals(1, readers.size(), "its reader waits for the go line");
    staged.discard();
    readers.get(0).join(5_000);
    assertEquals(List.of(), readers());
  }

  private static List<Thread> readers() {
    return Thread.getAllStackTraces().keySet().stream()
      .filter(t -> t.getName().equals("pool-output-pt-build") && t.isAlive()).toList();
  }
}
