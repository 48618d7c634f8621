package io.tenantgateway.provisioner;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.tenantgateway.provisioner.impl.PoolLayout;
import io.tenantgateway.provisioner.impl.PoolLogForwarder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link PoolLogForwarder}: each new line of a pool's log files reaches the gateway's log once, tagged
 * with the tenant, at php-fpm's level; half-written lines wait; big files are emptied.
 */
class PoolLogForwarderTest {

  @TempDir
  Path runDir;

  private final ListAppender<ILoggingEvent> captured = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger("tenant.fpm");
  private PoolLayout layout;

  @BeforeEach
  void setUp() throws IOException {
    captured.start();
    logger.addAppender(captured);
    layout = PoolLayout.of(runDir, "blog");
    Files.createDirectories(layout.dir());
  }

  @AfterEach
  void tearDown() {
    logger.detachAppender(captured);
  }

  private List<String> lines() {
    return captured.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
  }

  private void append(String name, String text) throws IOException {
    Files.writeString(layout.dir().resolve(name), text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  @Test
  void newLinesOnceWithTenantAndLevel() throws IOException {
    PoolLogForwarder forwarder = new PoolLogForwarder();
    append("error.log", "[22-Nov-2026 05:00:00] NOTICE: fpm is running, pid 7\n"
      + "[22-Nov-2026 05:00:01] WARNING: [pool blog] child 9 exited on signal 9 (SIGKILL)\n");
    append("php-error.log", "[22-Nov-2026 05:00:02 UTC] PHP Fatal error:  Uncaught Exception: boom\n"
      + "[22-Nov-2026 05:00:02 UTC] half a li");
    forwarder.forward("blog", layout);
    assertEquals(List.of(
      "INFO tenant=blog [22-Nov-2026 05:00:00] NOTICE: fpm is running, pid 7",
      "WARN tenant=blog [22-Nov-2026 05:00:01] WARNING: [pool blog] child 9 exited on signal 9 (SIGKILL)",
      "ERROR tenant=blog [22-Nov-2026 05:00:02 UTC] PHP Fatal error:  Uncaught Exception: boom"), lines());

    captured.list.clear();
    forwarder.forward("blog", layout);
    assertEquals(List.of(), lines(), "nothing twice, the half line waits");
    append("php-error.log", "ne\n");
    forwarder.forward("blog", layout);
    assertEquals(List.of("INFO tenant=blog [22-Nov-2026 05:00:02 UTC] half a line"), lines());
  }

  @Test
  void aFileOverTheLimitIsEmptiedAfterItWasRead() throws IOException {
    PoolLogForwarder forwarder = new PoolLogForwarder();
    Logger quiet = logger;
    quiet.setLevel(Level.WARN);
    try {
      String line = "x".repeat(1023) + "\n";
      StringBuilder big = new StringBuilder();
      for (int i = 0; i < 9 * 1024; i++) {
        big.append(line);
      }
      append("error.log", big.toString());
      for (int i = 0; i < 40 && Files.size(layout.dir().resolve("error.log")) > 0; i++) {
        forwarder.forward("blog", layout);
      }
      assertEquals(0, Files.size(layout.dir().resolve("error.log")), "emptied once read");
      quiet.setLevel(null);
      append("error.log", "[t] WARNING: after\n");
      forwarder.forward("blog", layout);
      assertTrue(lines().contains("WARN tenant=blog [t] WARNING: after"), lines().toString());
    } finally {
      quiet.setLevel(null);
    }
  }
}
