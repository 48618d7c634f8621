package io.tenantgateway.gateway;

import io.tenantgateway.fcgi.BufferLeaks;
import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.testing.PhpFpm;
import io.tenantgateway.gateway.testing.RawHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The responses go from php-fpm to the client in the pooled buffers they were read into
 * (docs/ARCHITECTURE.md, "Response bodies without copies"): with Netty's leak detector tracking
 * every buffer, each way a response can go leaves none unreleased.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ResponseBuffersGatewayTest {

  private static final byte[] PATTERN = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private Path work;
  private PhpFpm php;
  private Gateway gateway;
  private int port;

  @BeforeAll
  void start() throws Exception {
    BufferLeaks.watch();
    work = Files.createTempDirectory("gw-buffers");
    Path docroot = work.resolve("public");
    Files.createDirectories(docroot);
    try (InputStream big = ResponseBuffersGatewayTest.class.getResourceAsStream("/docroot/big.php")) {
      Files.copy(big, docroot.resolve("big.php"));
    }
    php = PhpFpm.start(work.resolve("fpm"), docroot, PhpFpm.Options.defaults().withWorkers(2));
    Path tenants = work.resolve("tenants.yaml");
    Files.writeString(tenants, "tenants:\n"
      + "  - id: site\n"
      + "    domains: [\"site.test\"]\n"
      + "    docroot: \"" + docroot + "\"\n"
      + "    routing: { mode: scripts }\n"
      + "    php: { max_children: 2 }\n"
      + "    backend: \"unix:" + php.socket() + "\"\n");
    gateway = Gateway.start(GatewayConfig.load(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_REGISTRY_FILE", tenants.toString(),
      "GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf",
      "GATEWAY_RUN_DIR", work.resolve("run").toString()))).await(30, TimeUnit.SECONDS);
    port = gateway.httpPort();
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (gateway != null) {
        gateway.stop().await(10, TimeUnit.SECONDS);
      }
      if (php != null) {
        php.close();
      }
    } finally {
      BufferLeaks.unwatch();
    }
  }

  @AfterEach
  void nothingLeaked() {
    assertEquals(List.of(), BufferLeaks.collect(), "every buffer a response was read into was released");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 8191, 65536, 131072, 1 << 20})
  void downloadsArriveExact(int size) throws Exception {
    RawHttp.Response r = RawHttp.get(port, "site.test", "/big.php?n=" + size);
    assertEquals(200, r.status());
    assertArrayEquals(pattern(size), r.body());
  }

  @Test
  void headOfABigResponse() throws Exception {
    try (RawHttp http = new RawHttp(port)) {
      http.send("HEAD /big.php?n=300000 HTTP/1.1\r\nHost: site.test\r\n\r\n");
      RawHttp.Response r = http.read(true);
      assertEquals(200, r.status());
      assertEquals(0, r.body().length);
    }
    assertEquals(200, RawHttp.get(port, "site.test", "/big.php?n=10").status(), "the connection to php-fpm is fine");
  }

  @Test
  void aClientGoneMidDownload() throws Exception {
    try (RawHttp http = new RawHttp(port, 16 * 1024)) {
      http.send("GET /big.php?n=" + (20 << 20) + " HTTP/1.1\r\nHost: site.test\r\n\r\n");
      assertEquals(200, http.readHead().status());
      byte[] some = http.input().readNBytes(100_000);
      assertEquals(100_000, some.length);
    }
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(pattern(70_000), RawHttp.get(port, "site.test", "/big.php?n=70000").body(),
        "both workers serve again");
    }
  }

  @Test
  void moreDownloadsThanWorkers() throws Exception {
    ExecutorService clients = Executors.newFixedThreadPool(6);
    try {
      List<Future<RawHttp.Response>> downloads = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        downloads.add(clients.submit(() -> RawHttp.get(port, "site.test", "/big.php?n=" + (1 << 20))));
      }
      for (Future<RawHttp.Response> d : downloads) {
        RawHttp.Response r = d.get(30, TimeUnit.SECONDS);
        assertEquals(200, r.status());
        assertTrue(r.complete());
        assertArrayEquals(pattern(1 << 20), r.body());
      }
    } finally {
      clients.shutdownNow();
    }
  }

  private static byte[] pattern(int size) {
    byte[] out = new byte[size];
    for (int i = 0; i < size; i++) {
      out[i] = PATTERN[i % PATTERN.length];
    }
    return out;
  }
}
