package io.tenantgateway.provisioner.impl;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Copies what each pool writes to its own log files (php-fpm's error log, PHP's error log, the
 * master's output) into the gateway's log, one line per entry tagged with the tenant (logger
 * {@code tenant.fpm}), at the level php-fpm gave it. A file that grew past a limit is emptied after
 * it was read, so pool logs never fill the disk (php-fpm appends, so it carries on at the start).
 * Blocking file work: run it on a worker thread, from one thread at a time.
 */
public final class PoolLogForwarder {

  private static final Logger LOG = LoggerFactory.getLogger("tenant.fpm");
  /** Files are emptied once they grow past this many bytes. */
  static final long MAX_FILE_BYTES = 8L * 1024 * 1024;
  private static final int MAX_READ = 256 * 1024;

  private final Map<Path, Long> offsets = new HashMap<>();

  /**
   * Forwards what was appended since the last call.
   *
   * @param tenant the tenant id
   * @param layout its pool's files
   */
  public void forward(String tenant, PoolLayout layout) {
    for (Path file : List.of(layout.dir().resolve("error.log"), layout.dir().resolve("php-error.log"), layout.log())) {
      forwardFile(tenant, file);
    }
  }

  private void forwardFile(String tenant, Path file) {
    if (!Files.exists(file)) {
      offsets.remove(file);
      return;
    }
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "rw")) {
      long size = in.length();
      long offset = offsets.getOrDefault(file, 0L);
      if (size < offset) {
        offset = 0;
      }
      long end = Math.min(size, offset + MAX_READ);
      if (end > offset) {
        byte[] bytes = new byte[(int) (end - offset)];
        in.seek(offset);
        in.readFully(bytes);
        int consumed = logLines(tenant, bytes, end == size);
        offset += consumed;
      }
      if (offset >= size && size > MAX_FILE_BYTES) {
        in.setLength(0);
        offset = 0;
      }
      offsets.put(file, offset);
    } catch (IOException e) {
      LOG.debug("tenant={} cannot read {}: {}", tenant, file, e.getMessage());
    }
  }

  /** @return bytes consumed: whole lines, or everything when {@code atEnd} and the read was capped */
  private static int logLines(String tenant, byte[] bytes, boolean atEnd) {
    int start = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '\n') {
        log(tenant, new String(bytes, start, i - start, StandardCharsets.UTF_8));
        start = i + 1;
      }
    }
    if (!atEnd && start == 0) {
      log(tenant, new String(bytes, StandardCharsets.UTF_8));
      return bytes.length;
    }
    return start;
  }

  private static void log(String tenant, String line) {
    String text = line.strip();
    if (text.isEmpty()) {
      return;
    }
    if (text.contains("] ERROR: ") || text.contains("] ALERT: ") || text.contains("PHP Fatal error")) {
      LOG.error("tenant={} {}", tenant, text);
    } else if (text.contains("] WARNING: ") || text.contains("PHP Warning")) {
      LOG.warn("tenant={} {}", tenant, text);
    } else {
      LOG.info("tenant={} {}", tenant, text);
    }
  }
}
