package io.tenantgateway.gateway.testing;

import io.tenantgateway.gateway.registry.MariaDbSettings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Test fixture: a MariaDB server of its own ({@code mariadbd}) that a test can stop and start again,
 * to see what the gateway does while its database is away.
 *
 * <pre>
 * try (PrivateMariaDb server = PrivateMariaDb.launch()) {
 *   MariaDbTenantStore store = MariaDbTenantStore.open(server.settings("registry", 1000));
 *   server.stop();   // calls now fail with UNAVAILABLE
 *   server.start();  // same port, same data
 * }
 * </pre>
 *
 * <p>The data directory is initialised with {@code mariadb-install-db} in a new temporary directory
 * ({@code root} without a password, no test database, small InnoDB files); the server listens on a
 * free port of 127.0.0.1 and a socket in that directory, so it never meets the system's server. Its
 * log is {@code mariadbd.log} there. {@link #close()} stops it and removes the directory.
 */
public final class PrivateMariaDb implements AutoCloseable {

  private static final long INSTALL_TIMEOUT_MILLIS = 60_000;
  private static final long START_TIMEOUT_MILLIS = 30_000;
  private static final long STOP_TIMEOUT_MILLIS = 30_000;
  private static final long POLL_MILLIS = 50;
  /** Small InnoDB files and buffers: quick to create, plenty for tests. */
  private static final List<String> SMALL_SERVER = List.of("--innodb-buffer-pool-size=16M",
    "--innodb-log-file-size=8M", "--skip-name-resolve");

  private final Path dir;
  private final Path dataDir;
  private final int port;
  private final Thread shutdownHook;
  private Process process;

  private PrivateMariaDb(Path dir, int port) {
    this.dir = dir;
    this.dataDir = dir.resolve("data");
    this.port = port;
    this.shutdownHook = new Thread(this::kill, "private-mariadb-" + port + "-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Initialises a data directory and starts the server.
   *
   * @return the running server, accepting connections
   * @throws IOException when the temporary directory cannot be written
   * @throws IllegalStateException when MariaDB is not installed or does not start (the message holds
   *     its log)
   */
  public static PrivateMariaDb launch() throws IOException {
    Path dir = Files.createTempDirectory("private-mariadb-");
    PrivateMariaDb server = new PrivateMariaDb(dir, freePort());
    try {
      server.install();
      server.startServer();
    } catch (RuntimeException | IOException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** @return the TCP port on 127.0.0.1; the same after {@link #stop()} and {@link #start()} */
  public int port() {
    return port;
  }

  /**
   * @param database a database name
   * @return {@code jdbc:mariadb://127.0.0.1:port/database}
   */
  public String jdbcUrl(String database) {
    return "jdbc:mariadb://127.0.0.1:" + port + "/" + database;
  }

  /**
   * @param database a database name (the store creates it)
   * @param timeoutMillis the store's timeout
   * @return settings for a store on this server as root, pool of 4
   */
  public MariaDbSettings settings(String database, long timeoutMillis) {
    return new MariaDbSettings(jdbcUrl(database), "root", "", 4, timeoutMillis);
  }

  /** @return true while the server process runs */
  public synchronized boolean running() {
    return process != null && process.isAlive();
  }

  /**
   * Shuts the server down as an operator would (SIGTERM) and waits until it has exited; forcibly
   * after 30 s. The data stays.
   */
  public synchronized void stop() {
    if (process == null) {
      return;
    }
    if (process.isAlive()) {
      signal("CONT");
    }
    process.destroy();
    if (!waitFor(process, STOP_TIMEOUT_MILLIS)) {
      process.destroyForcibly();
      waitFor(process, STOP_TIMEOUT_MILLIS);
    }
    process = null;
  }

  /**
   * Starts the stopped server again on the same port and data directory.
   *
   * @throws IllegalStateException when it does not come up
   */
  public synchronized void start() {
    if (running()) {
      return;
    }
    try {
      startServer();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Freezes the server (SIGSTOP): it keeps its port and connections but answers nothing, as a hung
   * or unreachable host would.
   */
  public synchronized void pause() {
    signal("STOP");
    // the signal is delivered when each thread is next scheduled: a query may still be answered
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_TIMEOUT_MILLIS);
    while (!allThreadsStopped()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("mariadbd " + process.pid() + " did not stop after SIGSTOP");
      }
      Thread.onSpinWait();
    }
  }

  private boolean allThreadsStopped() {
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(process.pid()), "task"))) {
      return tasks.allMatch(task -> {
        try {
          String stat = Files.readString(task.resolve("stat"));
          char state = stat.charAt(stat.lastIndexOf(')') + 2);
          return state == 'T' || state == 't';
        } catch (IOException e) {
          return true;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Lets a {@link #pause() paused} server run again (SIGCONT). */
  public synchronized void resume() {
    signal("CONT");
  }

  /** Stops the server and removes its directory. */
  @Override
  public synchronized void close() {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook kills the server anyway
    }
    deleteTree(dir);
  }

  private void install() throws IOException {
    List<String> command = new ArrayList<>(List.of(binary("mariadb-install-db", "mysql_install_db"),
      "--no-defaults", "--datadir=" + dataDir, "--auth-root-authentication-method=normal", "--skip-test-db"));
    command.addAll(userOption());
    command.addAll(SMALL_SERVER);
    Path log = dir.resolve("install.log");
    Process install = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!waitFor(install, INSTALL_TIMEOUT_MILLIS)) {
      install.destroyForcibly();
      throw new IllegalStateException("mariadb-install-db did not finish in " + INSTALL_TIMEOUT_MILLIS + " ms: "
        + tail(log));
    }
    if (install.exitValue() != 0) {
      throw new IllegalStateException("mariadb-install-db failed (" + install.exitValue() + "): " + tail(log));
    }
  }

  private void startServer() throws IOException {
    List<String> command = new ArrayList<>(List.of(binary("mariadbd", "mysqld"), "--no-defaults",
      "--datadir=" + dataDir, "--port=" + port, "--bind-address=127.0.0.1", "--socket=" + dir.resolve("mysqld.sock"),
      "--pid-file=" + dir.resolve("mariadbd.pid"), "--log-error=" + dir.resolve("mariadbd.log"),
      "--performance-schema=OFF"));
    command.addAll(userOption());
    command.addAll(SMALL_SERVER);
    process = new ProcessBuilder(command).redirectErrorStream(true)
      .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("mariadbd.out").toFile())).start();
    awaitReady();
  }

  private void awaitReady() throws IOException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
    SQLException last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("mariadbd exited with " + process.exitValue() + ": "
          + tail(dir.resolve("mariadbd.log")));
      }
      try (Connection connection = DriverManager.getConnection(jdbcUrl(""), rootProperties())) {
        return;
      } catch (SQLException e) {
        last = e;
      }
      sleep(POLL_MILLIS);
    }
    kill();
    throw new IllegalStateException("mariadbd did not accept connections on port " + port + " in "
      + START_TIMEOUT_MILLIS + " ms (" + (last == null ? "" : last.getMessage()) + "): "
      + tail(dir.resolve("mariadbd.log")));
  }

  private static Properties rootProperties() {
    Properties properties = new Properties();
    properties.setProperty("user", "root");
    properties.setProperty("password", "");
    properties.setProperty("connectTimeout", "1000");
    properties.setProperty("socketTimeout", "5000");
    return properties;
  }

  /** As root, mariadbd refuses to run unless told to run as root. */
  private static List<String> userOption() {
    return "root".equals(System.getProperty("user.name")) ? List.of("--user=root") : List.of();
  }

  private static String binary(String name, String oldName) {
    for (String candidate : List.of(name, oldName)) {
      for (String dir : List.of("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin")) {
        Path path = Path.of(dir, candidate);
        if (Files.isExecutable(path)) {
          return path.toString();
        }
      }
    }
    throw new IllegalStateException(name + " not found; install MariaDB (bin/test does: apt-get install -y "
      + "mariadb-server)");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  private synchronized void kill() {
    if (process != null) {
      process.destroyForcibly();
      waitFor(process, STOP_TIMEOUT_MILLIS);
      process = null;
    }
  }

  /** Sends a signal the JDK has no method for, with kill(1). */
  private void signal(String name) {
    if (process == null) {
      throw new IllegalStateException("mariadbd is not running");
    }
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
      if (!waitFor(kill, STOP_TIMEOUT_MILLIS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean waitFor(Process process, long millis) {
    try {
      return process.waitFor(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for mariadbd", e);
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> tree = Files.walk(root)) {
      for (Path path : (Iterable<Path>) tree.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + root, e);
    }
  }
}
