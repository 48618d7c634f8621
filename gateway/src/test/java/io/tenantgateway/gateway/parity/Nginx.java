package io.tenantgateway.gateway.parity;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test fixture: the OS package's nginx ({@code /usr/sbin/nginx}) as a child process, with its
 * configuration, pid file, logs and temp paths in a work directory and its own free port on
 * 127.0.0.1. It serves two virtual servers with the configurations the gateway's routing modes
 * copy (README, "Path mapping"), both in front of one FastCGI socket:
 *
 * <ul>
 *   <li>{@code frontControllerHost}: {@code try_files $uri $uri/ /index.php?$args;} and the PHP
 *   location of {@code scriptsHost} (nginx's usual PHP configuration)</li>
 *   <li>{@code scriptsHost}: {@code location ~ [^/]\.php(/|$)} with
 *   {@code fastcgi_split_path_info ^(.+?\.php)(/.*)$;} and PATH_INFO (Debian's
 *   {@code snippets/fastcgi-php.conf}, which keeps {@code $fastcgi_path_info} across
 *   {@code try_files}, nginx ticket 321)</li>
 * </ul>
 *
 * Both use {@code include /etc/nginx/fastcgi_params;} plus
 * {@code fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;}, as the usual
 * nginx + php-fpm sites do. Directory redirects are relative ({@code absolute_redirect off}) and
 * request headers up to 32 KB are accepted, as by the gateway.
 */
public final class Nginx implements AutoCloseable {

  /** The binary of Debian's nginx package. */
  public static final Path BINARY = Path.of("/usr/sbin/nginx");
  private static final long START_TIMEOUT_MILLIS = 10_000;
  private static final long STOP_TIMEOUT_MILLIS = 5_000;
  private static final long POLL_MILLIS = 20;

  private final Process process;
  private final Path workDir;
  private final int port;

  private Nginx(Process process, Path workDir, int port) {
    this.process = process;
    this.workDir = workDir;
    this.port = port;
  }

  /**
   * Writes {@code nginx.conf} into {@code workDir}, starts nginx in the foreground and waits until
   * its port accepts connections.
   *
   * @param workDir prefix directory: configuration, pid, logs, temp paths; created if missing
   * @param docroot the document root of both servers
   * @param fastCgiSocket the php-fpm socket both pass scripts to
   * @param frontControllerHost server_name of the front-controller server
   * @param scriptsHost server_name of the scripts-mode server
   * @return the running nginx
   * @throws IOException when the work directory cannot be written
   * @throws IllegalStateException when nginx is not installed (the message holds the apt-get
   *     command) or does not come up within 10 s (the message holds its error log)
   */
  public static Nginx start(Path workDir, Path docroot, Path fastCgiSocket, String frontControllerHost,
                            String scriptsHost) throws IOException {
    if (!Files.isExecutable(BINARY)) {
      throw new IllegalStateException(BINARY + " not found; the parity tests compare the gateway with the OS "
        + "package's nginx: run apt-get install -y nginx (bin/test does it when run as root)");
    }
    workDir = Files.createDirectories(workDir).toAbsolutePath().normalize();
    Files.createDirectories(workDir.resolve("tmp"));
    int port = freePort();
    Path config = workDir.resolve("nginx.conf");
    Files.writeString(config, renderConfig(workDir, docroot.toAbsolutePath().normalize(), fastCgiSocket, port,
      frontControllerHost, scriptsHost));
    Process process = new ProcessBuilder(List.of(BINARY.toString(), "-p", workDir + "/", "-c", config.toString(),
      "-e", workDir.resolve("error.log").toString(), "-g", "daemon off;"))
      .directory(workDir.toFile())
      .redirectErrorStream(true)
      .redirectOutput(workDir.resolve("nginx.out").toFile())
      .start();
    Nginx nginx = new Nginx(process, workDir, port);
    try {
      nginx.awaitReady();
    } catch (RuntimeException e) {
      nginx.close();
      throw e;
    }
    return nginx;
  }

  /** @return the port nginx listens on, on 127.0.0.1 */
  public int port() {
    return port;
  }

  /** @return nginx's error log and output so far, for failure messages */
  public String log() {
    StringBuilder log = new StringBuilder();
    for (String name : List.of("error.log", "nginx.out")) {
      Path file = workDir.resolve(name);
      try {
        if (Files.exists(file)) {
          log.append("--- ").append(file).append('\n').append(Files.readString(file, StandardCharsets.UTF_8));
        }
      } catch (IOException e) {
        log.append("--- ").append(file).append(": ").append(e).append('\n');
      }
    }
    return log.toString();
  }

  /**
   * Stops nginx: SIGTERM (fast shutdown), then SIGKILL to whatever is left after 5 s.
   */
  @Override
  public void close() {
    List<ProcessHandle> workers = process.descendants().toList();
    process.destroy();
    try {
      if (!process.waitFor(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    workers.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException("nginx exited with status " + process.exitValue() + " while starting\n"
          + log());
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("nginx did not listen on port " + port + " within " + START_TIMEOUT_MILLIS
          + " ms\n" + log());
      }
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for nginx", e);
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress("127.0.0.1", 0));
      return socket.getLocalPort();
    }
  }

  private static String renderConfig(Path workDir, Path docroot, Path socket, int port, String frontControllerHost,
                                     String scriptsHost) {
    String fastcgi = ""
      + "      include /etc/nginx/fastcgi_params;\n"
      + "      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n"
      + "      fastcgi_pass unix:" + socket + ";\n";
    String tmp = workDir.resolve("tmp").toString();
    return (runsAsRoot() ? "user nobody " + nobodyGroup() + ";\n" : "")
      + "worker_processes 1;\n"
      + "pid " + workDir.resolve("nginx.pid") + ";\n"
      + "error_log " + workDir.resolve("error.log") + " warn;\n"
      + "events {\n"
      + "  worker_connections 256;\n"
      + "}\n"
      + "http {\n"
      + "  include /etc/nginx/mime.types;\n"
      + "  default_type application/octet-stream;\n"
      + "  access_log " + workDir.resolve("access.log") + ";\n"
      + "  client_body_temp_path " + tmp + "/body;\n"
      + "  fastcgi_temp_path " + tmp + "/fastcgi;\n"
      + "  proxy_temp_path " + tmp + "/proxy;\n"
      + "  uwsgi_temp_path " + tmp + "/uwsgi;\n"
      + "  scgi_temp_path " + tmp + "/scgi;\n"
      + "  client_max_body_size 8m;\n"
      + "  large_client_header_buffers 4 32k;\n"
      + "  absolute_redirect off;\n"
      + "  server {\n"
      + "    listen 127.0.0.1:" + port + ";\n"
      + "    server_name " + frontControllerHost + ";\n"
      + "    root " + docroot + ";\n"
      + "    index index.php index.html;\n"
      + "    location / {\n"
      + "      try_files $uri $uri/ /index.php?$args;\n"
      + "    }\n"
      + "    location ~ [^/]\\.php(/|$) {\n"
      + "      fastcgi_split_path_info ^(.+?\\.php)(/.*)$;\n"
      + "      try_files $fastcgi_script_name =404;\n"
      + "      set $path_info $fastcgi_path_info;\n"
      + fastcgi
      + "      fastcgi_param PATH_INFO $path_info;\n"
      + "    }\n"
      + "  }\n"
      + "  server {\n"
      + "    listen 127.0.0.1:" + port + ";\n"
      + "    server_name " + scriptsHost + ";\n"
      + "    root " + docroot + ";\n"
      + "    index index.php index.html;\n"
      + "    location ~ [^/]\\.php(/|$) {\n"
      + "      fastcgi_split_path_info ^(.+?\\.php)(/.*)$;\n"
      + "      try_files $fastcgi_script_name =404;\n"
      + "      set $path_info $fastcgi_path_info;\n"
      + fastcgi
      + "      fastcgi_param PATH_INFO $path_info;\n"
      + "    }\n"
      + "  }\n"
      + "}\n";
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
    try {
      return Files.readAllLines(Path.of("/etc/group")).stream().anyMatch(l -> l.startsWith("nogroup:"))
        ? "nogroup" : "nobody";
    } catch (IOException e) {
      return "nogroup";
    }
  }
}
