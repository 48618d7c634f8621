package io.tenantgateway.provisioner.impl;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PoolProcessTest {

  @Test
  void theUidIsTheRealUidOfTheProcess() throws Exception {
    Process id = new ProcessBuilder("id", "-ru").start();
    long expected = Long.parseLong(new String(id.getInputStream().readAllBytes()).trim());
    assertEquals(expected, PoolProcess.uidOf(ProcessHandle.current().pid()));
  }

  /**
   * A tenant names its own processes: the kernel takes the name from the file it executes and
   * escapes a newline in it, but not a tab, so the status's {@code Name:} line can carry
   * {@code Uid:\t4242}. Only the line that starts with {@code Uid:} counts.
   */
  @Test
  void aProcessNamedLikeAUidLineDoesNotForgeItsUid(@TempDir Path dir) throws Exception {
    Path forged = dir.resolve("s\nUid:\t4242");
    Files.copy(Path.of("/bin/sh"), forged);
    Files.setPosixFilePermissions(forged, PosixFilePermissions.fromString("rwx------"));
    Process named = new ProcessBuilder(forged.toString(), "-c", "echo started; read line").start();
    try {
      assertEquals("started", firstLine(named));
      assertTrue(Files.readString(Path.of("/proc/" + named.pid() + "/status")).contains("Uid:\t4242"),
        "the forged line is in the status");
      assertEquals(PoolProcess.uidOf(ProcessHandle.current().pid()), PoolProcess.uidOf(named.pid()));
    } finally {
      named.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aProcessThatIsGoneHasNoUid() throws Exception {
    Process done = new ProcessBuilder("true").start();
    done.waitFor();
    assertEquals(-1, PoolProcess.uidOf(done.pid()));
  }

  @Test
  void theOnlyChildIsFoundGenerationsDownAndSeveralChildrenAreNone() throws Exception {
    Process one = new ProcessBuilder("sh", "-c", "sleep 30 & echo $!; wait").start();
    Process two = new ProcessBuilder("sh", "-c", "sleep 30 & sleep 30 & echo forked; wait").start();
    try {
      long child = Long.parseLong(firstLine(one));
      assertEquals("forked", firstLine(two));
      assertEquals(child, PoolProcess.descendant(one.pid(), 1));
      assertEquals(one.pid(), PoolProcess.descendant(one.pid(), 0));
      assertEquals(-1, PoolProcess.descendant(one.pid(), 2));
      assertEquals(-1, PoolProcess.descendant(two.pid(), 1));
    } finally {
      one.descendants().forEach(ProcessHandle::destroyForcibly);
      two.descendants().forEach(ProcessHandle::destroyForcibly);
      one.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      two.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }

  private static String firstLine(Process process) throws IOException {
    return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII)).readLine();
  }
}
