package io.tenantgateway.fcgi;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * Netty's leak detector at its paranoid level, every buffer tracked, its reports collected: a
 * pooled buffer the client never releases (a read buffer's slice kept past its exchange) becomes a
 * report once the garbage collector finds it unreachable.
 */
public final class BufferLeaks {

  private static final List<String> REPORTS = new CopyOnWriteArrayList<>();
  private static final AtomicInteger SENTINELS = new AtomicInteger();
  /** Netty's JDK logger of leaks, held so that its filter stays. */
  private static final Logger DETECTOR_LOG = Logger.getLogger(ResourceLeakDetector.class.getName());

  private BufferLeaks() {
  }

  /** Tracks every buffer allocated from now on and collects the leak reports. */
  public static void watch() {
    // Vert.x turns the detector off when it starts, unless this property names a level
    System.setProperty("io.netty.leakDetection.level", "paranoid");
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    detector().setLeakListener((type, records) -> REPORTS.add(records));
    DETECTOR_LOG.setFilter(log -> !String.valueOf(log.getMessage()).contains("leak-sentinel-"));
  }

  /**
   * Leaks a marked buffer of its own and collects garbage until the detector reports that one: the
   * leaks of everything that became unreachable before it are reported by then.
   *
   * @return the reports other than the sentinel's, since the last call
   */
  public static List<String> collect() {
    String marker = "leak-sentinel-" + SENTINELS.incrementAndGet() + " (left unreleased on purpose: its report proves the"
      + " detector looked)";
    leak(marker);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (REPORTS.stream().noneMatch(r -> r.contains(marker))) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the leak detector never reported the sentinel " + marker);
      }
      System.gc();
      // a tracked allocation makes the detector look at what the collector found
      PooledByteBufAllocator.DEFAULT.directBuffer(1).release();
    }
    List<String> found = new ArrayList<>();
    for (String report : REPORTS) {
      if (!report.contains("leak-sentinel-")) {
        found.add(report);
      }
    }
    REPORTS.clear();
    return found;
  }

  /** Stops tracking buffers (the level Vert.x sets: none), for the tests that run after in the same JVM. */
  public static void unwatch() {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    System.clearProperty("io.netty.leakDetection.level");
    REPORTS.clear();
  }

  private static void leak(String marker) {
    ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(16);
    buf.touch(marker);
  }

  @SuppressWarnings("unchecked")
  private static ResourceLeakDetector<ByteBuf> detector() {
    try {
      Field field = AbstractByteBuf.class.getDeclaredField("leakDetector");
      field.setAccessible(true);
      return (ResourceLeakDetector<ByteBuf>) field.get(null);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("Netty's buffer leak detector not found", e);
    }
  }
}
