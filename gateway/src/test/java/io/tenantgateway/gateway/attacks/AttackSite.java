package io.tenantgateway.gateway.attacks;

import io.tenantgateway.gateway.Gateway;
import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.testing.PhpFpm;
import io.tenantgateway.gateway.testing.RawHttp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Test fixture of the attack tests: a docroot, a real php-fpm whose every script execution is
 * written to a hits file first ({@code auto_prepend_file}), and a gateway in front of it with two
 * tenants, {@code site.test} (front-controller) and {@code scripts.test} (scripts mode), both with
 * {@code max_body_mb: 1} and {@code max_children: 1}: the gateway holds one connection to the pool
 * and queues the rest in FIFO order, so once a later request has run, every earlier one that was
 * forwarded at all has run too ({@link #assertNotExecuted}).
 */
final class AttackSite implements AutoCloseable {

  /** Largest request body of both tenants. */
  static final int MAX_BODY_MB = 1;

  final Path work;
  final Path docroot;
  final Path outside;
  private final Path hits;
  private final PhpFpm php;
  private final List<Gateway> gateways = new ArrayList<>();

  private AttackSite(Path work, Path docroot, Path outside, Path hits, PhpFpm php) {
    this.work = work;
    this.docroot = docroot;
    this.outside = outside;
    this.hits = hits;
    this.php = php;
  }

  /**
   * Writes the docroot (see {@link #writeDocroot}) and starts php-fpm.
   *
   * @param name a prefix for the temp directory
   * @return the site, without a gateway yet
   * @throws IOException on file errors
   */
  static AttackSite start(String name) throws IOException {
    Path work = Files.createTempDirectory(name);
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx--x--x"));
    Path docroot = Files.createDirectories(work.resolve("public"));
    Path outside = Files.createDirectories(work.resolve("outside"));
    Path lib = Files.createDirectories(work.resolve("lib"));
    Path scratch = Files.createDirectories(work.resolve("scratch"));
    Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.setPosixFilePermissions(lib, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path hits = scratch.resolve("hits.log");
    Path prepend = lib.resolve("prepend.php");
    Files.writeString(prepend, "<?php\nfile_put_contents('" + hits + "', $_SERVER['REQUEST_METHOD'] . ' '"
      + " . $_SERVER['REQUEST_URI'] . ' ' . $_SERVER['SCRIPT_FILENAME'] . \"\\n\", FILE_APPEND | LOCK_EX);\n");
    Files.setPosixFilePermissions(prepend, PosixFilePermissions.fromString("rw-r--r--"));
    writeDocroot(docroot, outside);
    PhpFpm php = PhpFpm.start(work.resolve("fpm"), docroot, PhpFpm.Options.defaults().withWorkers(2)
      .withIni("auto_prepend_file", prepend.toString()));
    return new AttackSite(work, docroot, outside, hits, php);
  }

  private static void writeDocroot(Path docroot, Path outside) throws IOException {
    Files.writeString(docroot.resolve("index.php"), "<?php echo \"front \" . $_SERVER['REQUEST_URI'] . \"\\n\";\n");
    Files.writeString(docroot.resolve("hit.php"), "<?php echo \"hit\\n\";\n");
    Files.writeString(docroot.resolve("dump.php"), "<?php\n"
      + "$server = [];\n"
      + "foreach ($_SERVER as $k => $v) { if (is_string($v)) { $server[$k] = $v; } }\n"
      + "$input = file_get_contents('php://input');\n"
      + "header('Content-Type: application/json');\n"
      + "echo json_encode(['server' => $server, 'ini_auto_append' => ini_get('auto_append_file'),"
      + " 'ini_display_errors' => ini_get('display_errors'), 'input' => $input],"
      + " JSON_INVALID_UTF8_SUBSTITUTE);\n");
    Files.writeString(docroot.resolve("headers.php"), "<?php\n"
      + "foreach ($_GET['h'] ?? [] as $h) { header($h, false); }\n"
      + "echo \"body\\n\";\n");
    Files.writeString(docroot.resolve("stream.php"), "<?php\nwhile (ob_get_level()) { ob_end_flush(); }\n"
      + "echo \"first\\n\"; flush(); usleep(200000);"
      + " echo \"second\\n\";\n");
    Files.writeString(outside.resolve("secret.php"), "<?php echo \"OUTSIDE-RAN\\n\";\n");
    Files.writeString(outside.resolve("secret.txt"), "OUTSIDE-SECRET\n");
  }

  /**
   * Starts a gateway in front of the pool.
   *
   * @param extraEnv settings beyond the test defaults, e.g. {@code GATEWAY_TRUSTED_PROXIES}
   * @param extraTenants more tenant entries (YAML list items), or empty
   * @return the gateway's HTTP port
   * @throws Exception when it does not start
   */
  int gateway(Map<String, String> extraEnv, String extraTenants) throws Exception {
    Path tenants = work.resolve("tenants-" + gateways.size() + ".yaml");
    Files.writeString(tenants, "tenants:\n"
      + tenant("site", "site.test", "front-controller", "unix:" + php.socket())
      + tenant("scripts", "scripts.test", "scripts", "unix:" + php.socket())
      + extraTenants);
    Map<String, String> env = new HashMap<>(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_REGISTRY_FILE", tenants.toString(),
      "GATEWAY_FCGI_READ_TIMEOUT_MS", "5000",
      "GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf",
      "GATEWAY_RUN_DIR", work.resolve("run-" + gateways.size()).toString(),
      "GATEWAY_ACCESS_LOG_FORMAT", "off"));
    env.putAll(extraEnv);
    Gateway gateway = Gateway.start(GatewayConfig.load(env)).await(30, TimeUnit.SECONDS);
    gateways.add(gateway);
    return gateway.httpPort();
  }

  /**
   * @param id tenant id
   * @param domain its one domain
   * @param mode routing mode
   * @param backend {@code unix:...} or {@code tcp:...}
   * @return a YAML list item
   */
  String tenant(String id, String domain, String mode, String backend) {
    return "  - id: " + id + "\n"
      + "    domains: [\"" + domain + "\"]\n"
      + "    docroot: \"" + docroot + "\"\n"
      + "    routing: { mode: " + mode + " }\n"
      + "    php: { max_children: 1, request_timeout_s: 10 }\n"
      + "    limits: { max_body_mb: " + MAX_BODY_MB + " }\n"
      + "    backend: \"" + backend + "\"\n";
  }

  /**
   * @return every script execution so far: {@code METHOD REQUEST_URI SCRIPT_FILENAME}
   * @throws IOException on read errors
   */
  List<String> hits() throws IOException {
    return Files.exists(hits) ? Files.readAllLines(hits) : List.of();
  }

  /**
   * Asserts that no script ran with {@code marker} in its request URI: first a sentinel request
   * runs through the same tenant's FIFO, so that a request forwarded earlier has finished by then.
   *
   * @param port the gateway
   * @param marker a string unique to the request that must not have run
   * @throws IOException on I/O errors
   */
  void assertNotExecuted(int port, String marker) throws IOException {
    String sentinel = "/hit.php?sentinel=" + System.nanoTime();
    assertEquals(200, RawHttp.get(port, "site.test", sentinel).status(), "the pool still serves");
    List<String> all = hits();
    assertTrue(all.stream().anyMatch(h -> h.contains(sentinel)), "the hits file works: " + all);
    for (String hit : all) {
      assertTrue(!hit.contains(marker), "PHP ran " + hit);
    }
  }

  @Override
  public void close() throws Exception {
    for (Gateway gateway : gateways) {
      gateway.stop().await(10, TimeUnit.SECONDS);
    }
    php.close();
    try (Stream<Path> tree = Files.walk(work)) {
      tree.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
