package io.tenantgateway.provisioner.impl;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PoolProcessTest {

  @Test
  void theUidIsTheRealUidOfTheProcess() throws Exception {
    Process id = new ProcessBuilder("id", "-ru").start();
    long expected = Long.parseLong(new String(id.getInputStream().readAllBytes()).trim());
    assertEquals(expected, PoolProcess.uidOf(ProcessHandle.current().pid()));
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
