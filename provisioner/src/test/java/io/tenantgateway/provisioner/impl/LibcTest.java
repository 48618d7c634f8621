package io.tenantgateway.provisioner.impl;

import jnr.constants.platform.Signal;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LibcTest {

  @Test
  void looksUpUsers() {
    Libc.Account root = Libc.user("root");
    assertNotNull(root);
    assertEquals(0, root.uid());
    assertEquals(0, root.gid());
    assertNull(Libc.user("tg-no-such-user-here"));
  }

  /** Pools start on many worker threads at once; getpwnam(3) returns one static buffer. */
  @Test
  void concurrentLookupsNeverMixUpUsers() throws Exception {
    Libc.Account nobody = Libc.user("nobody");
    assertNotNull(nobody);
    ExecutorService threads = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        String name = t % 2 == 0 ? "root" : "nobody";
        long uid = t % 2 == 0 ? 0 : nobody.uid();
        Callable<Integer> lookups = () -> {
          int wrong = 0;
          for (int i = 0; i < 20_000; i++) {
            if (Libc.user(name).uid() != uid) {
              wrong++;
            }
          }
          return wrong;
        };
        results.add(threads.submit(lookups));
      }
      for (Future<Integer> result : results) {
        assertEquals(0, result.get(60, TimeUnit.SECONDS), "lookups that returned another user's uid");
      }
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void signalsAProcess() throws Exception {
    Process sleeper = new ProcessBuilder("sleep", "30").start();
    try {
      Libc.signal(sleeper.pid(), Signal.SIGTERM);
      assertTrue(sleeper.waitFor(10, TimeUnit.SECONDS));
      assertEquals(128 + Signal.SIGTERM.intValue(), sleeper.exitValue(), "killed by SIGTERM");
    } finally {
      sleeper.destroyForcibly();
    }
    assertFalse(sleeper.isAlive());
    IOException gone = assertThrows(IOException.class, () -> Libc.signal(sleeper.pid(), Signal.SIGTERM));
    assertTrue(gone.getMessage().contains("ESRCH"), gone.getMessage());
  }
}
