package io.tenantgateway.gateway.testing;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The real gateway ({@code io.tenantgateway.gateway.Main}) in a child JVM, for what only a process
 * shows: signals, exit codes, running as another user. Its output goes to {@link #log()}.
 */
public final class GatewayProcess implements AutoCloseable {

  private final Process process;
  private final Path log;

  private GatewayProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /**
   * Starts the gateway and waits until it listens (or exits).
   *
   * @param workDir a directory for the copied class path and the log
   * @param env the {@code GATEWAY_*} variables
   * @param runAs a user to start it as through setpriv, or null for the test's own user
   * @return the running process
   */
  public static GatewayProcess start(Path workDir, Map<String, String> env, String runAs) throws Exception {
    String classpath = copyClasspath(workDir.resolve("cp"));
    Path log = workDir.resolve("gateway.log");
    List<String> command = new ArrayList<>();
    if (runAs != null) {
      command.addAll(List.of("setpriv", "--reuid=" + runAs, "--regid=" + runAs, "--clear-groups", "--"));
    }
    command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", classpath,
      "io.tenantgateway.gateway.Main"));
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
      .redirectOutput(log.toFile());
    builder.environment().putAll(env);
    builder.environment().put("HOME", workDir.toString());
    GatewayProcess gateway = new GatewayProcess(builder.start(), log);
    gateway.waitFor(() -> gateway.logText().contains("gateway listening") || !gateway.process.isAlive(), 60,
      "gateway start");
    return gateway;
  }

  /** @return the process */
  public Process process() {
    return process;
  }

  /** @return the gateway's output */
  public Path log() {
    return log;
  }

  /** @return the gateway's output so far */
  public String logText() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "";
    }
  }

  /**
   * @param name a signal name, e.g. {@code HUP}
   */
  public void signal(String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
    if (kill.waitFor() != 0) {
      throw new IOException("kill -" + name + " failed");
    }
  }

  /**
   * @param condition what to wait for
   * @param seconds how long at most
   * @param what for the failure message
   */
  public void waitFor(BooleanSupplier condition, int seconds, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + ": not within " + seconds + " s; log:\n" + logText());
      }
      Thread.sleep(50);
    }
  }

  /**
   * Reads {@code /proc/<pid>/cmdline} itself: php-fpm rewrites its process title, which
   * {@link ProcessHandle.Info#commandLine()} does not report.
   *
   * @param dir a directory
   * @return processes whose command line names a path under it
   */
  public static List<ProcessHandle> processesUnder(Path dir) {
    String needle = dir + "/";
    return ProcessHandle.allProcesses()
      .filter(p -> p.pid() != ProcessHandle.current().pid())
      .filter(p -> {
        try {
          byte[] cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
          return new String(cmdline, java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' ').contains(needle);
        } catch (IOException e) {
          return false;
        }
      })
      .toList();
  }

  /** @return a free TCP port on this machine */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Copies the test JVM's class path where any user can read it (/root is private). */
  private static String copyClasspath(Path target) throws IOException, InterruptedException {
    Files.createDirectories(target);
    List<String> entries = new ArrayList<>();
    int n = 0;
    for (String entry : classpathEntries()) {
      Path source = Path.of(entry);
      if (!Files.exists(source) || source.toString().contains("test-classes")) {
        continue;
      }
      Path copy = target.resolve((n++) + "-" + source.getFileName());
      if (Files.isDirectory(source)) {
        try (Stream<Path> tree = Files.walk(source)) {
          for (Path file : (Iterable<Path>) tree::iterator) {
            Path to = copy.resolve(source.relativize(file).toString());
            if (Files.isDirectory(file)) {
              Files.createDirectories(to);
            } else {
              Files.copy(file, to, StandardCopyOption.REPLACE_EXISTING);
            }
          }
        }
      } else {
        Files.copy(source, copy);
      }
      entries.add(copy.toString());
    }
    Process chmod = new ProcessBuilder("chmod", "-R", "a+rX", target.toString()).start();
    if (chmod.waitFor() != 0) {
      throw new IOException("chmod failed");
    }
    return String.join(File.pathSeparator, entries);
  }

  /** The class path, also when surefire passes it in a manifest-only jar. */
  private static List<String> classpathEntries() throws IOException {
    String[] entries = System.getProperty("java.class.path").split(File.pathSeparator);
    if (entries.length == 1 && entries[0].endsWith(".jar")) {
      try (JarFile jar = new JarFile(entries[0])) {
        String manifestPath = jar.getManifest().getMainAttributes().getValue("Class-Path");
        if (manifestPath != null) {
          List<String> fromManifest = new ArrayList<>();
          for (String url : manifestPath.trim().split("\\s+")) {
            fromManifest.add(Path.of(URI.create(url)).toString());
          }
          return fromManifest;
        }
      }
    }
    return List.of(entries);
  }
}
