package io.tenantgateway.gateway.deploy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Test fixture: the system's nginx with a minimal main configuration in a work directory whose
 * {@code http {}} includes one file, for {@code nginx -t} or as a running server.
 */
final class Nginx implements AutoCloseable {

  /** Debian's nginx. */
  static final Path BINARY = Path.of("/usr/sbin/nginx");

  private final Process process;
  private final Path dir;

  private Nginx(Process process, Path dir) {
    this.process = process;
    this.dir = dir;
  }

  /** Fails the test with the install command when nginx is missing. */
  static void requireInstalled() {
    if (!Files.isExecutable(BINARY)) {
      fail(BINARY + " is missing: apt-get install -y nginx (bin/test installs it)");
    }
  }

  /**
   * Writes {@code nginx.conf} into {@code dir}: one worker, pid, logs and temp files in {@code dir},
   * and {@code include} of the given file inside {@code http {}}.
   *
   * @param dir the work directory (nginx's prefix)
   * @param include the http-context file to include
   * @return the main configuration file
   */
  static Path mainConfig(Path dir, Path include) throws IOException {
    Files.createDirectories(dir);
    // workers run as nobody when the test runs as root; they must reach the temp directories
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    String text = "worker_processes 1;\n"
      + "pid " + dir.resolve("nginx.pid") + ";\n"
      + "error_log " + dir.resolve("error.log") + " info;\n"
      + "events { worker_connections 256; }\n"
      + "http {\n"
      + "  access_log " + dir.resolve("access.log") + ";\n"
      + "  client_body_temp_path " + dir.resolve("client_body") + ";\n"
      + "  proxy_temp_path " + dir.resolve("proxy") + ";\n"
      + "  fastcgi_temp_path " + dir.resolve("fastcgi") + ";\n"
      + "  uwsgi_temp_path " + dir.resolve("uwsgi") + ";\n"
      + "  scgi_temp_path " + dir.resolve("scgi") + ";\n"
      + "  include " + include.toAbsolutePath() + ";\n"
      + "}\n";
    Path conf = dir.resolve("nginx.conf");
    Files.writeString(conf, text);
    return conf;
  }

  /**
   * Runs {@code nginx -t} on a main configuration written by {@link #mainConfig}.
   *
   * @param dir the work directory
   * @return nginx's output; the test fails when the configuration is refused
   */
  static String test(Path dir) throws IOException, InterruptedException {
    Process check = new ProcessBuilder(BINARY.toString(), "-t", "-p", dir.toString(), "-e",
      dir.resolve("error.log").toString(), "-c", dir.resolve("nginx.conf").toString()).redirectErrorStream(true).start();
    String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!check.waitFor(30, TimeUnit.SECONDS) || check.exitValue() != 0) {
      fail("nginx -t refused the configuration:\n" + out + "\n" + Files.readString(dir.resolve("nginx.conf")));
    }
    return out;
  }

  /**
   * Starts nginx in the foreground on a main configuration written by {@link #mainConfig} and waits
   * until it accepts on {@code port}.
   *
   * @param dir the work directory
   * @param port the port its server listens on (127.0.0.1)
   * @return the running nginx
   */
  static Nginx start(Path dir, int port) throws IOException, InterruptedException {
    // -e: the start-up log before the configuration is read (Debian's default needs root)
    Process process = new ProcessBuilder(BINARY.toString(), "-p", dir.toString(), "-e", dir.resolve("error.log").toString(),
      "-c", dir.resolve("nginx.conf").toString(), "-g", "daemon off;")
      .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();
    Nginx nginx = new Nginx(process, dir);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (Socket probe = new Socket()) {
        probe.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return nginx;
      } catch (IOException notYet) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          nginx.close();
          fail("nginx did not start on port " + port + ":\n" + nginx.log());
        }
        Thread.sleep(20);
      }
    }
  }

  /** @return a port that was free a moment ago */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /**
   * Replaces each {@code from} by its {@code to}, each exactly once, so that a shipped file that
   * changed shape fails the test instead of being tested unchanged.
   *
   * @param text the file
   * @param pairs from, to, from, to...
   * @return the rewritten text
   */
  static String rewrite(String text, List<String> pairs) {
    String out = text;
    for (int i = 0; i < pairs.size(); i += 2) {
      String from = pairs.get(i);
      int first = out.indexOf(from);
      if (first < 0 || out.indexOf(from, first + 1) >= 0) {
        fail("expected exactly one '" + from + "' in the configuration");
      }
      out = out.replace(from, pairs.get(i + 1));
    }
    return out;
  }

  /** @return nginx's error log and output */
  String log() {
    StringBuilder out = new StringBuilder();
    for (String name : List.of("error.log", "nginx.out")) {
      try {
        if (Files.exists(dir.resolve(name))) {
          out.append(Files.readString(dir.resolve(name)));
        }
      } catch (IOException e) {
        out.append(name).append(": ").append(e.getMessage());
      }
    }
    return out.toString();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy(); // SIGTERM: fast shutdown of master and workers
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }
}
