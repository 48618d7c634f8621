package io.tenantgateway.provisioner;

import io.tenantgateway.fcgi.FcgiClient;
import io.tenantgateway.fcgi.FcgiClientOptions;
import io.tenantgateway.fcgi.FcgiParams;
import io.tenantgateway.fcgi.FcgiRequest;
import io.tenantgateway.provisioner.impl.PoolLayout;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Shared helpers for tests against a real php-fpm: temp dirs readable by tenant users, a docroot
 * with test scripts, waiting on conditions, finding and killing processes through /proc.
 */
final class PhpFpmTestSupport {

  static final Path TEMPLATE = Path.of("../conf/php-fpm-pool.conf");

  private PhpFpmTestSupport() {
  }

  /** A temp dir readable and traversable by every user (pools run as tg-&lt;id&gt;). */
  static Path openTempDir(String prefix) throws IOException {
    Path dir = Files.createTempDirectory(prefix);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    return dir;
  }

  /** A docroot with info.php, sleep.php and marker.php. */
  static Path docroot(Path base) throws IOException {
    Path docroot = base.resolve("docroot");
    Files.createDirectories(docroot);
    Files.setPosixFilePermissions(docroot, PosixFilePermissions.fromString("rwxr-xr-x"));
    write(docroot.resolve("info.php"),
      "<?php echo getmypid(), ' ', posix_getppid(), ' ', posix_geteuid(), ' ', posix_getpwuid(posix_geteuid())['name'];\n");
    write(docroot.resolve("sleep.php"),
      "<?php file_put_contents(sys_get_temp_dir() . '/started', 'x'); sleep(1); echo 'slept';\n");
    return docroot;
  }

  private static void write(Path file, String text) throws IOException {
    Files.writeString(file, text, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
  }

  static PoolSpec spec(String id, Path docroot, int maxChildren, int idleTimeoutSeconds) {
    return new PoolSpec(id, docroot, maxChildren, idleTimeoutSeconds, 30, Map.of(), Map.of());
  }

  /** A client that keeps connections alive (as the gateway does). */
  static FcgiClient keepAliveClient(Vertx vertx) {
    return FcgiClient.create(vertx, new FcgiClientOptions().setConnectTimeout(2000).setPoolIdleTimeout(0));
  }

  /**
   * A client that closes each connection after its request: a php-fpm worker holding an idle
   * kept-alive connection does not exit on a graceful stop until that connection closes.
   */
  static FcgiClient client(Vertx vertx) {
    return FcgiClient.create(vertx, new FcgiClientOptions().setConnectTimeout(2000).setPoolIdleTimeout(0)
      .setMaxLifetime(1));
  }

  static <T> T await(Future<T> future) throws Exception {
    return await(future, 20_000);
  }

  static <T> T await(Future<T> future, long millis) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(millis, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw e;
    } catch (TimeoutException e) {
      throw new AssertionError("no result within " + millis + " ms", e);
    }
  }

  /** Waits for a condition, polling every 20 ms. */
  static void waitFor(String what, long millis, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        fail("timed out after " + millis + " ms waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  static PoolStatus status(PoolManager manager, String id) {
    return manager.statuses().stream().filter(s -> s.tenant().equals(id)).findFirst().orElse(null);
  }

  static PoolStatus waitForState(PoolManager manager, String id, PoolState state, long millis)
    throws InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    while (true) {
      PoolStatus s = status(manager, id);
      if (s != null && s.state() == state) {
        break;
      }
      if (System.currentTimeMillis() > deadline) {
        fail("timed out after " + millis + " ms waiting for " + id + " to be " + state + " (now " + s + ")");
      }
      Thread.sleep(20);
    }
    return status(manager, id);
  }

  /** Acquires a lease, runs one request to {@code script}, releases the lease. */
  static Future<Reply> request(PoolManager manager, FcgiClient client, PoolSpec spec, String script) {
    return manager.acquire(spec).compose(lease -> send(client, lease, spec.docroot(), script)
      .andThen(ar -> lease.release()));
  }

  static Future<Reply> send(FcgiClient client, PoolLease lease, Path docroot, String script) {
    FcgiParams params = new FcgiParams()
      .add("REQUEST_METHOD", "GET")
      .add("SCRIPT_FILENAME", docroot.resolve(script).toString())
      .add("SCRIPT_NAME", "/" + script)
      .add("REQUEST_URI", "/" + script)
      .add("QUERY_STRING", "")
      .add("SERVER_PROTOCOL", "HTTP/1.1")
      .add("GATEWAY_INTERFACE", "CGI/1.1");
    return client.send(lease.endpoint(), new FcgiRequest(params).timeout(15_000))
      .compose(response -> response.body().map(body -> new Reply(response.status(), body.toString())));
  }

  /** A response. */
  record Reply(int status, String body) {
    /** For info.php: worker pid, its parent (the master), euid, user name. */
    String[] fields() {
      return body.trim().split(" ");
    }
  }

  static long uidOf(String user) throws Exception {
    Process p = new ProcessBuilder("id", "-u", user).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    p.waitFor(10, TimeUnit.SECONDS);
    return Long.parseLong(out);
  }

  static boolean isRoot() {
    return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
  }

  /** The real uid of a process, from /proc/&lt;pid&gt;/status. */
  static long procUid(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("Uid:")) {
        return Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
      }
    }
    throw new IOException("no Uid line for " + pid);
  }

  static boolean alive(long pid) {
    return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)
      && !isZombie(pid);
  }

  private static boolean isZombie(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("State:")) {
          return line.contains("Z");
        }
      }
    } catch (IOException e) {
      return true;
    }
    return false;
  }

  static String cmdline(long pid) {
    try {
      return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.ISO_8859_1)
        .replace('\0', ' ').trim();
    } catch (IOException e) {
      return "";
    }
  }

  /** Pids of live processes whose command line matches. */
  static List<Long> pids(Predicate<String> cmdline) throws IOException {
    List<Long> found = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      procs.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d+")).map(Long::parseLong)
        .forEach(pid -> {
          String cmd = cmdline(pid);
          if (!cmd.isEmpty() && cmdline.test(cmd) && alive(pid)) {
            found.add(pid);
          }
        });
    }
    return found;
  }

  /**
   * php-fpm masters running with the given pool's config file. A worker the master has just forked
   * shows the master's title until it sets its own: a titled process whose parent is titled too is
   * such a worker, not a second master.
   */
  static List<Long> masters(Path runDir, String id) throws IOException {
    String title = "php-fpm: master process (" + PoolLayout.of(runDir, id).config() + ")";
    List<Long> titled = pids(cmd -> cmd.startsWith(title));
    return titled.stream().filter(pid -> ProcessHandle.of(pid).flatMap(ProcessHandle::parent)
      .map(parent -> !titled.contains(parent.pid())).orElse(true)).toList();
  }

  /** Every php-fpm process of the tests: masters with a config under runDir, workers of the ids. */
  static List<Long> leftovers(Path runDir, List<String> ids) throws IOException {
    String prefix = runDir.toAbsolutePath().normalize().toString();
    return pids(cmd -> cmd.contains("php-fpm") && (cmd.contains(prefix)
      || ids.stream().anyMatch(id -> cmd.equals("php-fpm: pool " + id))));
  }

  /** SIGKILL to one process: refuses a pid that is not one (kill -9 -1, as root, kills every process). */
  static void kill9(long pid) throws Exception {
    assertTrue(pid > 1, "a process to kill: " + pid);
    new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor(5, TimeUnit.SECONDS);
  }

  /** Stops the manager, kills whatever is left, deletes the dir. */
  static void tearDown(PoolManager manager, FcgiClient client, Path base, List<String> ids) throws Exception {
    try {
      if (client != null) {
        await(client.close(), 5_000);
      }
      if (manager != null) {
        await(manager.stopAll(), 15_000);
      }
    } finally {
      if (base != null) {
        if (System.getenv("TG_TEST_DEBUG") != null) {
          try (Stream<Path> logs = Files.walk(base)) {
            logs.filter(f -> f.toString().endsWith(".log")).forEach(f -> {
              try {
                System.out.println("== " + f + "\n" + Files.readString(f));
              } catch (IOException e) {
                // ignore
              }
            });
          }
        }
        for (long pid : leftovers(base, ids)) {
          ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        try (Stream<Path> all = Files.walk(base)) {
          all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }
}
