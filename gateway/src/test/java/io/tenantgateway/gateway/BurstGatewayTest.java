package io.tenantgateway.gateway;

import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.testing.RawHttp;
import io.tenantgateway.provisioner.PoolState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11: a burst to an idle tenant with default limits (max_concurrent 32, max_children 5) is
 * absorbed, as nginx + php-fpm hold it in the listen backlog: 100, then 500 concurrent requests all
 * answer 200, from one activation. Meanwhile another tenant is served before the flood is over.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BurstGatewayTest {

  private Path work;
  private Gateway gateway;
  private ExecutorService clients;

  @BeforeAll
  void start() throws Exception {
    work = Files.createTempDirectory("gw-burst");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path docroot = Files.createDirectories(work.resolve("public"));
    Files.setPosixFilePermissions(docroot, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(docroot.resolve("slow.php"), "<?php usleep(20000); echo 'ok';");
    Files.setPosixFilePermissions(docroot.resolve("slow.php"), PosixFilePermissions.fromString("rw-r--r--"));
    StringBuilder tenants = new StringBuilder("tenants:\n");
    for (String id : new String[] {"burst", "flood", "calm"}) {
      tenants.append("  - id: ").append(id).append("\n    domains: [\"").append(id).append(".test\"]\n")
        .append("    docroot: \"").append(docroot).append("\"\n");
    }
    Files.writeString(work.resolve("tenants.yaml"), tenants);
    gateway = Gateway.start(GatewayConfig.load(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_ACCESS_LOG_FORMAT", "off",
      "GATEWAY_REGISTRY_FILE", work.resolve("tenants.yaml").toString(),
      "GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf",
      "GATEWAY_POOL_ISOLATION", "users-only",
      "GATEWAY_RUN_DIR", work.resolve("run").toString()))).await(30, TimeUnit.SECONDS);
    clients = Executors.newFixedThreadPool(500);
  }

  @AfterAll
  void stop() throws Exception {
    if (clients != null) {
      clients.shutdownNow();
    }
    if (gateway != null) {
      gateway.stop().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void burstsToAnIdleTenantAreAllServedByOneActivation() throws Exception {
    assertEquals(PoolState.STOPPED, state("burst"));
    assertEquals(Map.of(200, 100), burst(100), "100 at once");
    assertEquals(Map.of(200, 500), burst(500), "500 at once");
    assertEquals(1L, activations("burst"), "one activation for all of them");
  }

  @Test
  void aFloodedTenantDoesNotHoldUpAnother() throws Exception {
    assertEquals(200, RawHttp.get(gateway.httpPort(), "calm.test", "/slow.php").status());
    AtomicInteger outstanding = new AtomicInteger(500);
    List<CompletableFuture<Integer>> flood = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      flood.add(CompletableFuture.supplyAsync(() -> {
        try {
          return RawHttp.get(gateway.httpPort(), "flood.test", "/slow.php").status();
        } catch (java.io.IOException e) {
          return -1;
        } finally {
          outstanding.decrementAndGet();
        }
      }, clients));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (gateway.pools().statuses().stream().filter(s -> s.tenant().equals("flood")).mapToLong(s -> s.requests())
      .sum() < 50) {
      assertTrue(System.nanoTime() < deadline, "the flood reached its pool");
      Thread.sleep(5);
    }
    assertEquals(200, RawHttp.get(gateway.httpPort(), "calm.test", "/slow.php").status());
    int left = outstanding.get();
    assertTrue(left > 0, "the other tenant was served while the flood was still waiting (" + left + " left)");
    for (CompletableFuture<Integer> f : flood) {
      assertEquals(200, f.get(60, TimeUnit.SECONDS));
    }
  }

  private Map<Integer, Integer> burst(int n) throws Exception {
    List<CompletableFuture<Integer>> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(CompletableFuture.supplyAsync(() -> {
        try {
          return RawHttp.get(gateway.httpPort(), "burst.test", "/slow.php").status();
        } catch (java.io.IOException e) {
          return -1;
        }
      }, clients));
    }
    Map<Integer, Integer> statuses = new TreeMap<>();
    for (CompletableFuture<Integer> f : all) {
      statuses.merge(f.get(60, TimeUnit.SECONDS), 1, Integer::sum);
    }
    return statuses;
  }

  private PoolState state(String tenant) {
    return gateway.pools().statuses().stream().filter(s -> s.tenant().equals(tenant)).map(s -> s.state())
      .findFirst().orElse(PoolState.STOPPED);
  }

  /** @return the tenant's pool starts, from the Prometheus scrape of the admin API */
  private long activations(String tenant) throws Exception {
    String token = Files.readString(work.resolve("run/admin-token")).trim();
    HttpResponse<String> scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
      URI.create("http://127.0.0.1:" + gateway.adminPort() + "/metrics")).header("Authorization", "Bearer " + token)
      .build(), HttpResponse.BodyHandlers.ofString());
    String line = scrape.body().lines().filter(l -> l.startsWith("gateway_pool_activations_total{")
      && l.contains("tenant=\"" + tenant + "\"")).findFirst().orElseThrow(() -> new AssertionError(scrape.body()));
    return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
  }
}
