package io.tenantgateway.gateway.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Test fixture: a real php-fpm master with one static pool listening on a unix socket in a work
 * directory, started for a test and stopped by it.
 *
 * <pre>
 * try (PhpFpm fpm = PhpFpm.start(tmp.resolve("fpm"), docroot, PhpFpm.Options.defaults())) {
 *   // FastCGI requests to fpm.socket()
 * }
 * </pre>
 *
 * <p>Files in the work directory: {@code php-fpm.conf}, {@code php.sock}, {@code php-fpm.log}
 * (the master's error log) and {@code php-fpm.out} (the master's stdout and stderr).
 *
 * <p>When the JVM runs as root, the pool's workers run as {@code nobody} (php-fpm is started with
 * {@code -R} as well). They must be able to read the scripts, so {@link #start} then grants
 * others read access to the docroot tree and search access to the docroot's ancestor directories
 * (JUnit's {@code @TempDir} is created with mode 0700).
 */
public final class PhpFpm implements AutoCloseable {

  private static final long POLL_MILLIS = 20;
  private static final long START_TIMEOUT_MILLIS = 10_000;
  private static final long STOP_TIMEOUT_MILLIS = 5_000;
  /** sun_path is 108 bytes on Linux, including the terminating NUL. */
  private static final int MAX_SOCKET_PATH_BYTES = 107;
  private static final Pattern INI_NAME = Pattern.compile("[A-Za-z0-9_.]+");
  private static final Pattern INI_PLAIN_VALUE = Pattern.compile("[A-Za-z0-9_./:+-]*");
  private static final Pattern VERSIONED_BINARY = Pattern.compile("php-fpm(\\d+)\\.(\\d+)");

  /**
   * How to run the pool.
   *
   * @param workers {@code pm.max_children} of the static pool
   * @param requestTerminateTimeoutSeconds {@code request_terminate_timeout}, 0 for none
   * @param ini {@code php_admin_value[name] = value} lines of the pool
   * @param catchWorkersOutput {@code catch_workers_output}: the workers' stdout and stderr go to
   *     the master's error log, i.e. {@link #log()}
   */
  public record Options(int workers, int requestTerminateTimeoutSeconds, Map<String, String> ini,
                        boolean catchWorkersOutput) {

    /**
     * Checks the values and copies the ini map.
     */
    public Options {
      if (workers < 1) {
        throw new IllegalArgumentException("workers must be at least 1: " + workers);
      }
      if (requestTerminateTimeoutSeconds < 0) {
        throw new IllegalArgumentException(
          "requestTerminateTimeoutSeconds must not be negative: " + requestTerminateTimeoutSeconds);
      }
      for (Map.Entry<String, String> entry : ini.entrySet()) {
        if (!INI_NAME.matcher(entry.getKey()).matches()) {
          throw new IllegalArgumentException("bad ini name: " + entry.getKey());
        }
        if (entry.getValue().indexOf('"') >= 0 || entry.getValue().indexOf('\n') >= 0) {
          throw new IllegalArgumentException("ini value with a quote or a newline: " + entry);
        }
      }
      ini = Collections.unmodifiableMap(new LinkedHashMap<>(ini));
    }

    /**
     * @return 4 workers, no request timeout, no ini values, workers' output not caught
     */
    public static Options defaults() {
      return new Options(4, 0, Map.of(), false);
    }

    /**
     * @param workers {@code pm.max_children}
     * @return a copy with that number of workers
     */
    public Options withWorkers(int workers) {
      return new Options(workers, requestTerminateTimeoutSeconds, ini, catchWorkersOutput);
    }

    /**
     * @param seconds {@code request_terminate_timeout}, 0 for none
     * @return a copy with that timeout
     */
    public Options withRequestTerminateTimeoutSeconds(int seconds) {
      return new Options(workers, seconds, ini, catchWorkersOutput);
    }

    /**
     * @param name a php.ini directive, e.g. {@code memory_limit}
     * @param value its value, e.g. {@code 64M}
     * @return a copy with {@code php_admin_value[name] = value} added (or replaced)
     */
    public Options withIni(String name, String value) {
      Map<String, String> copy = new LinkedHashMap<>(ini);
      copy.put(name, value);
      return new Options(workers, requestTerminateTimeoutSeconds, copy, catchWorkersOutput);
    }

    /**
     * @param catchWorkersOutput {@code catch_workers_output}
     * @return a copy with that setting
     */
    public Options withCatchWorkersOutput(boolean catchWorkersOutput) {
      return new Options(workers, requestTerminateTimeoutSeconds, ini, catchWorkersOutput);
    }
  }

  private final Process process;
  private final Path workDir;
  private final Path socket;
  private final Thread shutdownHook;
  private boolean stopped;

  private PhpFpm(Process process, Path workDir, Path socket) {
    this.process = process;
    this.workDir = workDir;
    this.socket = socket;
    this.shutdownHook = new Thread(this::kill, "php-fpm-" + process.pid() + "-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Starts php-fpm with the default {@link Options}.
   *
   * @param workDir where the config, socket and logs go; created if missing
   * @param docroot the scripts' directory
   * @return the running php-fpm, its socket accepting connections and all workers forked
   * @throws IOException when the work directory cannot be written
   * @throws IllegalStateException when php-fpm is not installed or does not come up in 10 s
   */
  public static PhpFpm start(Path workDir, Path docroot) throws IOException {
    return start(workDir, docroot, Options.defaults());
  }

  /**
   * Writes a php-fpm.conf with one static pool into {@code workDir}, starts php-fpm in the
   * foreground and waits until its socket accepts a connection and its workers are forked.
   *
   * @param workDir where the config, socket and logs go; created if missing
   * @param docroot the scripts' directory
   * @param options the pool's settings
   * @return the running php-fpm
   * @throws IOException when the work directory cannot be written
   * @throws IllegalStateException when php-fpm is not installed or does not come up in 10 s (the
   *     message holds its log)
   */
  public static PhpFpm start(Path workDir, Path docroot, Options options) throws IOException {
    String binary = findBinary();
    workDir = Files.createDirectories(workDir).toAbsolutePath().normalize();
    docroot = docroot.toAbsolutePath().normalize();
    Path socket = workDir.resolve("php.sock");
    if (socket.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH_BYTES) {
      throw new IllegalArgumentException("socket path too long for a unix socket: " + socket);
    }
    Files.deleteIfExists(socket);
    Files.deleteIfExists(workDir.resolve("php-fpm.log"));
    boolean root = runsAsRoot();
    if (root) {
      grantReadAccessToOthers(docroot);
    }
    Path config = workDir.resolve("php-fpm.conf");
    Files.writeString(config, renderConfig(workDir, socket, options, root));

    List<String> command = new ArrayList<>(List.of(binary, "-F", "-y", config.toString(),
      "-p", workDir.toString()));
    if (root) {
      command.add("-R");
    }
    Path output = workDir.resolve("php-fpm.out");
    Process process = new ProcessBuilder(command)
      .directory(workDir.toFile())
      .redirectErrorStream(true)
      .redirectOutput(output.toFile())
      .start();
    PhpFpm fpm = new PhpFpm(process, workDir, socket);
    try {
      fpm.awaitReady(options.workers());
    } catch (RuntimeException e) {
      fpm.kill();
      throw e;
    }
    return fpm;
  }

  /**
   * @return the pool's unix socket
   */
  public Path socket() {
    return socket;
  }

  /**
   * @return the php-fpm master's pid
   */
  public long masterPid() {
    return process.pid();
  }

  /**
   * @return the pids of the master's children, i.e. the pool's workers
   */
  public List<Long> workerPids() {
    return process.children().map(ProcessHandle::pid).sorted().collect(Collectors.toList());
  }

  /**
   * Sends SIGKILL to every worker, as a crash would. The master notices and, the pool being
   * static, forks new workers.
   */
  public void killWorkers() {
    process.children().forEach(ProcessHandle::destroyForcibly);
  }

  /**
   * Stops php-fpm: SIGQUIT (graceful stop) to the master, up to 5 s for it to exit, then SIGKILL
   * to the master and whatever is left of its workers. Does nothing when already stopped.
   */
  public synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook runs kill() anyway
    }
    if (process.isAlive()) {
      List<ProcessHandle> descendants = process.descendants().collect(Collectors.toList());
      if (!signal("QUIT")) {
        process.destroy();
      }
      if (!waitFor(process, STOP_TIMEOUT_MILLIS)) {
        process.destroyForcibly();
        waitFor(process, STOP_TIMEOUT_MILLIS);
      }
      descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }
  }

  /**
   * Same as {@link #stop()}.
   */
  @Override
  public void close() {
    stop();
  }

  /**
   * @return the master's error log followed by its stdout and stderr, or what could be read of
   *     them
   */
  public String log() {
    StringBuilder log = new StringBuilder();
    for (String name : List.of("php-fpm.log", "php-fpm.out")) {
      Path file = workDir.resolve(name);
      try {
        if (Files.exists(file)) {
          String content = Files.readString(file, StandardCharsets.UTF_8);
          if (!content.isEmpty()) {
            log.append("--- ").append(file).append('\n').append(content);
            if (!content.endsWith("\n")) {
              log.append('\n');
            }
          }
        }
      } catch (IOException e) {
        log.append("--- ").append(file).append(": ").append(e).append('\n');
      }
    }
    return log.toString();
  }

  private void awaitReady(int workers) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
    boolean accepting = false;
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException("php-fpm exited with status " + process.exitValue()
          + " while starting\n" + log());
      }
      if (!accepting) {
        accepting = accepts(socket);
      }
      if (accepting && process.children().count() >= workers) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("php-fpm did not come up within " + START_TIMEOUT_MILLIS
          + " ms (socket accepting: " + accepting + ", workers: " + process.children().count()
          + " of " + workers + ")\n" + log());
      }
      sleep(POLL_MILLIS);
    }
  }

  /** SIGKILL to the master and its descendants, for failed starts and the shutdown hook. */
  private void kill() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    waitFor(process, STOP_TIMEOUT_MILLIS);
  }

  /** Sends a signal the JDK has no method for, with kill(1). */
  private boolean signal(String name) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
      return kill.waitFor(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS) && kill.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static String renderConfig(Path workDir, Path socket, Options options, boolean root) {
    StringBuilder conf = new StringBuilder();
    conf.append("[global]\n")
      .append("pid = ").append(workDir.resolve("php-fpm.pid")).append('\n')
      .append("error_log = ").append(workDir.resolve("php-fpm.log")).append('\n')
      .append("daemonize = no\n")
      .append('\n')
      .append("[test]\n")
      .append("listen = ").append(socket).append('\n')
      .append("listen.mode = 0666\n");
    if (root) {
      conf.append("user = nobody\n")
        .append("group = ").append(nobodyGroup()).append('\n');
    }
    conf.append("pm = static\n")
      .append("pm.max_children = ").append(options.workers()).append('\n');
    if (options.requestTerminateTimeoutSeconds() > 0) {
      conf.append("request_terminate_timeout = ")
        .append(options.requestTerminateTimeoutSeconds()).append("s\n");
    }
    if (options.catchWorkersOutput()) {
      conf.append("catch_workers_output = yes\n")
        .append("decorate_workers_output = no\n");
    } else {
      conf.append("catch_workers_output = no\n");
    }
    options.ini().forEach((name, value) -> {
      String rendered = INI_PLAIN_VALUE.matcher(value).matches() ? value : '"' + value + '"';
      conf.append("php_admin_value[").append(name).append("] = ").append(rendered).append('\n');
    });
    return conf.toString();
  }

  /** {@code php-fpm} on the PATH, else the newest {@code /usr/sbin/php-fpm8.*}. */
  private static String findBinary() {
    String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty()) {
        Path candidate = Path.of(dir, "php-fpm");
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return candidate.toString();
        }
      }
    }
    try (Stream<Path> sbin = Files.list(Path.of("/usr/sbin"))) {
      Optional<Path> newest = sbin
        .filter(p -> VERSIONED_BINARY.matcher(p.getFileName().toString()).matches())
        .filter(p -> p.getFileName().toString().startsWith("php-fpm8."))
        .filter(Files::isExecutable)
        .max(Comparator.comparingInt(PhpFpm::minorVersion));
      if (newest.isPresent()) {
        return newest.get().toString();
      }
    } catch (IOException e) {
      // no /usr/sbin: fall through
    }
    throw new IllegalStateException(
      "php-fpm not found (neither php-fpm on the PATH nor /usr/sbin/php-fpm8.*); "
        + "run: apt-get install -y php-fpm");
  }

  private static int minorVersion(Path binary) {
    Matcher m = VERSIONED_BINARY.matcher(binary.getFileName().toString());
    return m.matches() ? Integer.parseInt(m.group(2)) : -1;
  }

  private static boolean runsAsRoot() {
    try {
      return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

  /** Debian names nobody's group {@code nogroup}; other systems {@code nobody}. */
  private static String nobodyGroup() {
    try (Stream<String> lines = Files.lines(Path.of("/etc/group"))) {
      return lines.anyMatch(line -> line.startsWith("nogroup:")) ? "nogroup" : "nobody";
    } catch (IOException | UncheckedIOException e) {
      return "nogroup";
    }
  }

  /**
   * o+r on the files of the docroot tree, o+rx on its directories and o+x on its ancestors, so
   * that workers running as nobody can read the scripts.
   */
  private static void grantReadAccessToOthers(Path docroot) throws IOException {
    if (!Files.isDirectory(docroot)) {
      return;
    }
    try (Stream<Path> tree = Files.walk(docroot)) {
      for (Path p : (Iterable<Path>) tree::iterator) {
        if (Files.isSymbolicLink(p)) {
          continue;
        }
        if (Files.isDirectory(p)) {
          addPermissions(p, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE);
        } else {
          addPermissions(p, PosixFilePermission.OTHERS_READ);
        }
      }
    }
    for (Path dir = docroot.getParent(); dir != null; dir = dir.getParent()) {
      addPermissions(dir, PosixFilePermission.OTHERS_EXECUTE);
    }
  }

  private static void addPermissions(Path path, PosixFilePermission... wanted) throws IOException {
    Set<PosixFilePermission> permissions = EnumSet.copyOf(Files.getPosixFilePermissions(path));
    if (permissions.addAll(List.of(wanted))) {
      Files.setPosixFilePermissions(path, permissions);
    }
  }

  private static boolean accepts(Path socket) {
    if (!Files.exists(socket)) {
      return false;
    }
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      return channel.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean waitFor(Process process, long millis) {
    try {
      return process.waitFor(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !process.isAlive();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for php-fpm", e);
    }
  }
}
