package io.tenantgateway.gateway.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tenantgateway.gateway.Gateway;
import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.config.Setting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code docker-compose.yml} and the {@code Dockerfile}, read as files (no container engine runs
 * here): services, pinned images, ports, mounts, health checks, start order, and a gateway
 * environment made only of real settings. The seed script runs against a real gateway.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ComposeFileTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  /** A service that runs once and exits: no health check. */
  private static final String ONE_SHOT = "seed";
  /** A tag with a version number, e.g. 1.27.3-alpine or 3.9.9-eclipse-temurin-17. */
  private static final Pattern VERSION_TAG = Pattern.compile("\\d+\\.\\d+(\\.\\d+)?\\b.*");
  private static final Pattern DIGEST = Pattern.compile("@sha256:[0-9a-f]{64}$");

  private static JsonNode compose() throws IOException {
    return YAML.readTree(DeployFiles.read("docker-compose.yml"));
  }

  private static JsonNode service(String name) throws IOException {
    JsonNode service = compose().path("services").path(name);
    assertFalse(service.isMissingNode(), "docker-compose.yml has no service " + name);
    return service;
  }

  @Test
  void theServicesExist() throws IOException {
    Set<String> names = new TreeSet<>();
    compose().path("services").fieldNames().forEachRemaining(names::add);
    assertEquals(Set.of("nginx", "gateway", "mariadb", ONE_SHOT), names);
    assertTrue(service("gateway").path("build").asText().equals("."), "the gateway is built from the Dockerfile");
  }

  @Test
  void everyPulledImageIsPinned() throws IOException {
    compose().path("services").fields().forEachRemaining(entry -> {
      JsonNode service = entry.getValue();
      if (service.has("build")) {
        return; // its image name only tags the local build; the Dockerfile's bases are checked below
      }
      String image = service.path("image").asText(null);
      assertNotNull(image, entry.getKey() + " has neither image nor build");
      assertPinned(entry.getKey(), image);
    });
  }

  @Test
  void dockerfileBasesArePinnedAndTheBuildIsTheReadmeOne() {
    String dockerfile = DeployFiles.read("Dockerfile");
    List<String> bases = instructions(dockerfile, "FROM").stream().map(from -> from.split("\\s+")[0])
      .collect(Collectors.toList());
    assertEquals(2, bases.size(), "a build stage and a runtime stage: " + bases);
    bases.forEach(base -> assertPinned("Dockerfile", base));
    assertTrue(bases.get(0).startsWith("maven:") && bases.get(0).contains("eclipse-temurin-17"), bases.get(0));
    assertTrue(bases.get(1).startsWith("debian:12"), bases.get(1));
    assertTrue(instructions(dockerfile, "RUN").stream().anyMatch(run -> run.endsWith("mvn -B -q -DskipTests package")),
      "the build runs README's command");
    String packages = dockerfile.substring(dockerfile.indexOf("apt-get install"));
    for (String pkg : List.of("openjdk-17-jre-headless", "php8.2-fpm", "util-linux", "procps", "curl")) {
      assertTrue(packages.contains(pkg), "runtime installs " + pkg);
    }
  }

  @Test
  void dockerfileLayoutIsTheOneBinGatewayExpects() {
    String dockerfile = DeployFiles.read("Dockerfile");
    String binGateway = DeployFiles.read("bin/gateway");
    assertTrue(binGateway.contains("gateway/target/gateway-*.jar") && binGateway.contains("gateway/target/lib"),
      "bin/gateway looks for gateway/target/gateway-*.jar and gateway/target/lib");
    assertTrue(dockerfile.contains("WORKDIR /opt/tenant-gateway"), dockerfile);
    assertTrue(dockerfile.contains("COPY --from=build /src/gateway/target/gateway-*.jar gateway/target/"), dockerfile);
    assertTrue(dockerfile.contains("COPY --from=build /src/gateway/target/lib/ gateway/target/lib/"), dockerfile);
    assertTrue(dockerfile.contains("COPY bin/gateway bin/gateway"), dockerfile);
    String entrypoint = instructions(dockerfile, "ENTRYPOINT").get(0);
    assertTrue(entrypoint.contains("\"/opt/tenant-gateway/bin/gateway\""), entrypoint);
    for (String conf : instructions(dockerfile, "COPY").stream().filter(c -> c.startsWith("conf/"))
      .flatMap(c -> List.of(c.split("\\s+")).stream()).filter(c -> !c.equals("conf/")).collect(Collectors.toList())) {
      assertTrue(Files.isRegularFile(DeployFiles.repo().resolve(conf)), "Dockerfile copies " + conf);
    }
  }

  @Test
  void dockerignoreKeepsWhatTheBuildReads() {
    List<String> ignored = DeployFiles.read(".dockerignore").lines().map(String::trim)
      .filter(l -> !l.isEmpty() && !l.startsWith("#")).collect(Collectors.toList());
    assertTrue(ignored.contains("**/target"), "a local build's output stays out of the context");
    for (String needed : List.of("pom.xml", "fcgi-client", "provisioner", "gateway", "bin", "conf", "src", "**/src",
      "conf/gateway.yaml", "conf/php-fpm-pool.conf", "conf/tenants.yaml", "bin/gateway")) {
      assertFalse(ignored.contains(needed) || ignored.contains(needed + "/") || ignored.contains("*"),
        ".dockerignore must not leave out " + needed);
    }
  }

  @Test
  void portsMatchTheDockerfile() throws IOException {
    Set<Integer> exposed = instructions(DeployFiles.read("Dockerfile"), "EXPOSE").stream()
      .flatMap(e -> List.of(e.split("\\s+")).stream()).map(Integer::valueOf).collect(Collectors.toSet());
    assertEquals(Set.of(8080, 9180), exposed);
    String healthcheck = String.join(" ", instructions(DeployFiles.read("Dockerfile"), "HEALTHCHECK"));
    assertTrue(healthcheck.matches(".*http://127\\.0\\.0\\.1:\\$\\{GATEWAY_ADMIN_PORT:-9180}/healthz.*"),
      "the image's health check asks the admin /healthz: " + healthcheck);

    assertEquals(List.of("80:80"), texts(service("nginx").path("ports")));
    assertFalse(service("mariadb").has("ports"), "MariaDB is reachable on the compose network only");
    JsonNode gateway = service("gateway");
    for (String published : texts(gateway.path("ports"))) {
      String[] parts = published.split(":");
      assertEquals(3, parts.length, "host address:host port:container port, got " + published);
      assertEquals("127.0.0.1", parts[0], "the admin API is published on the host's loopback only");
      assertTrue(exposed.contains(Integer.valueOf(parts[2])), published + " is EXPOSEd");
    }
    for (String port : texts(gateway.path("expose"))) {
      assertTrue(exposed.contains(Integer.valueOf(port)), port + " is EXPOSEd");
    }
    assertTrue(texts(gateway.path("healthcheck").path("test")).contains("http://127.0.0.1:9180/healthz"),
      "the compose health check asks the admin /healthz");
    Matcher upstream = Pattern.compile("server gateway:(\\d+);").matcher(DeployFiles.read("deploy/nginx/tenant-gateway.conf"));
    assertTrue(upstream.find(), "the compose nginx proxies to the gateway service");
    assertTrue(exposed.contains(Integer.valueOf(upstream.group(1))), "nginx's upstream port is EXPOSEd");
    String adminUrl = service(ONE_SHOT).path("environment").path("ADMIN_URL").asText();
    assertEquals("http://gateway:9180", adminUrl);
  }

  @Test
  void mountedFilesExistAndTheDemoDocrootsAreMounted() throws IOException {
    Path repo = DeployFiles.repo();
    JsonNode compose = compose();
    compose.path("services").fields().forEachRemaining(entry -> {
      for (String volume : texts(entry.getValue().path("volumes"))) {
        String source = volume.split(":")[0];
        if (source.startsWith("./")) {
          assertTrue(Files.exists(repo.resolve(source)), entry.getKey() + " mounts " + source + ", which is missing");
          assertTrue(volume.endsWith(":ro"), entry.getKey() + " mounts " + volume + " read-only");
        } else {
          assertTrue(compose.path("volumes").has(source), source + " is a declared named volume");
        }
      }
    });
    Map<String, Path> mounts = docrootMounts();
    assertEquals(Set.of("/srv/tenants/alpha", "/srv/tenants/beta"), mounts.keySet());
    for (JsonNode tenant : seedTenants()) {
      Path docroot = onHost(tenant.path("docroot").asText(), mounts);
      assertTrue(Files.isRegularFile(docroot.resolve("index.php")),
        "tenant " + tenant.path("id").asText() + ": its docroot is a demo site mounted into the gateway: " + docroot);
    }
    assertTrue(texts(service("mariadb").path("volumes")).contains("mariadb-data:/var/lib/mysql"));
  }

  @Test
  void everyLongRunningServiceHasAHealthCheck() throws IOException {
    compose().path("services").fields().forEachRemaining(entry -> {
      if (entry.getKey().equals(ONE_SHOT)) {
        assertEquals("no", entry.getValue().path("restart").asText(), "the one-shot seed is not restarted");
        return;
      }
      List<String> test = texts(entry.getValue().path("healthcheck").path("test"));
      assertTrue(test.size() > 1 && (test.get(0).equals("CMD") || test.get(0).equals("CMD-SHELL")),
        entry.getKey() + " has a health check: " + test);
    });
    List<String> mariadb = texts(service("mariadb").path("healthcheck").path("test"));
    assertTrue(mariadb.containsAll(List.of("healthcheck.sh", "--connect", "--innodb_initialized"))
      || String.join(" ", mariadb).contains("mariadb-admin ping"), mariadb.toString());
  }

  @Test
  void startOrderIsMariadbGatewaySeedNginx() throws IOException {
    assertEquals(Map.of("gateway", "service_healthy", ONE_SHOT, "service_completed_successfully"),
      conditions(service("nginx")));
    assertEquals(Map.of("mariadb", "service_healthy"), conditions(service("gateway")));
    assertEquals(Map.of("gateway", "service_healthy"), conditions(service(ONE_SHOT)));
    assertEquals(Map.of(), conditions(service("mariadb")));
    assertTrue(service("nginx").path("depends_on").path("gateway").path("restart").asBoolean(),
      "nginx resolves the gateway's address at start: it restarts with a recreated gateway");
  }

  @Test
  void theGatewayEnvironmentNamesOnlyRealSettings() throws IOException {
    Set<String> settings = GatewayConfig.SETTINGS.stream().map(Setting::env).collect(Collectors.toSet());
    Map<String, String> env = environment(service("gateway"));
    for (String name : env.keySet()) {
      assertTrue(settings.contains(name), "gateway environment: " + name + " is not the variable of any setting in"
        + " GatewayConfig.SETTINGS");
    }
    assertEquals("mariadb", env.get("GATEWAY_REGISTRY"));
    assertEquals("0.0.0.0", env.get("GATEWAY_ADMIN_HOST"));
    assertFalse(env.getOrDefault("GATEWAY_ADMIN_TOKEN", "").isBlank(), "off loopback the admin API needs a token");

    Matcher url = Pattern.compile("jdbc:mariadb://mariadb:3306/([a-z_]+)").matcher(env.get("GATEWAY_DB_URL"));
    assertTrue(url.matches(), env.get("GATEWAY_DB_URL"));
    Map<String, String> db = environment(service("mariadb"));
    assertEquals(url.group(1), db.get("MARIADB_DATABASE"), "MariaDB creates the database the gateway uses");
    assertEquals(env.get("GATEWAY_DB_USER"), db.get("MARIADB_USER"));
    assertEquals(env.get("GATEWAY_DB_PASSWORD"), db.get("MARIADB_PASSWORD"));
    assertEquals(env.get("GATEWAY_ADMIN_TOKEN"), environment(service(ONE_SHOT)).get("ADMIN_TOKEN"),
      "the seed uses the gateway's admin token");
  }

  /**
   * The seed service's script and tenant files against a real gateway's admin API (file registry,
   * the compose mounts mapped back to the repository): both tenants registered, and a second run
   * (the next {@code docker compose up}) succeeds without changing them.
   */
  @Test
  void theSeedScriptRegistersTheDemoTenantsOnce(@TempDir Path work) throws Exception {
    Path curl = Path.of("/usr/bin/curl");
    if (!Files.isExecutable(curl)) {
      fail("curl is missing (the seed script uses it): apt-get install -y curl");
    }
    Path seedDir = Files.createDirectories(work.resolve("tenants"));
    Map<String, Path> mounts = docrootMounts();
    for (JsonNode tenant : seedTenants()) {
      com.fasterxml.jackson.databind.node.ObjectNode local = (com.fasterxml.jackson.databind.node.ObjectNode) tenant.deepCopy();
      local.put("docroot", onHost(tenant.path("docroot").asText(), mounts).toString());
      Files.writeString(seedDir.resolve(tenant.path("id").asText() + ".json"), local.toString());
    }
    Path tenants = work.resolve("tenants.yaml");
    Files.writeString(tenants, "tenants: []\n");
    Path repo = DeployFiles.repo();
    String token = "seed-test-token";
    Gateway gateway = Gateway.start(GatewayConfig.load(Map.of(
      "GATEWAY_CONFIG", repo.resolve("conf/gateway.yaml").toString(),
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_ADMIN_TOKEN", token,
      "GATEWAY_REGISTRY_FILE", tenants.toString(),
      "GATEWAY_POOL_TEMPLATE", repo.resolve("conf/php-fpm-pool.conf").toString(),
      "GATEWAY_RUN_DIR", work.resolve("run").toString()))).await(30, TimeUnit.SECONDS);
    try {
      Map<String, String> env = Map.of("ADMIN_URL", "http://127.0.0.1:" + gateway.adminPort(), "ADMIN_TOKEN", token,
        "SEED_DIR", seedDir.toString());
      String first = runSeed(env, work);
      assertTrue(first.contains("registered alpha") && first.contains("registered beta"), first);
      HttpClient http = HttpClient.newHttpClient();
      for (String id : List.of("alpha", "beta")) {
        HttpResponse<String> read = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + gateway.adminPort() + "/v1/tenants/" + id))
          .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, read.statusCode(), read.body());
        assertTrue(read.body().contains(id + ".localhost"), read.body());
      }
      String again = runSeed(env, work);
      assertTrue(again.contains("alpha already registered") && again.contains("beta already registered"), again);
    } finally {
      gateway.stop().await(30, TimeUnit.SECONDS);
    }
  }

  private static String runSeed(Map<String, String> env, Path work) throws Exception {
    ProcessBuilder builder = new ProcessBuilder("/bin/sh", DeployFiles.repo().resolve("deploy/seed-tenants.sh").toString())
      .redirectErrorStream(true).redirectOutput(work.resolve("seed.out").toFile());
    builder.environment().putAll(env);
    Process seed = builder.start();
    assertTrue(seed.waitFor(30, TimeUnit.SECONDS), "seed script finished");
    String out = Files.readString(work.resolve("seed.out"), StandardCharsets.UTF_8);
    assertEquals(0, seed.exitValue(), out);
    return out;
  }

  private static List<JsonNode> seedTenants() throws IOException {
    JsonNode seed = service(ONE_SHOT);
    String dir = texts(seed.path("volumes")).stream().filter(v -> v.contains(":/seed/tenants:"))
      .map(v -> v.split(":")[0]).findFirst().orElseThrow(() -> new AssertionError("seed mounts no /seed/tenants"));
    List<JsonNode> tenants = new ArrayList<>();
    try (var files = Files.list(DeployFiles.repo().resolve(dir))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().collect(Collectors.toList())) {
        tenants.add(new ObjectMapper().readTree(file.toFile()));
      }
    }
    assertEquals(List.of("alpha", "beta"), tenants.stream().map(t -> t.path("id").asText()).collect(Collectors.toList()));
    return tenants;
  }

  /** @return the gateway's bind mounts of the repository: container path to repository path */
  private static Map<String, Path> docrootMounts() throws IOException {
    Map<String, Path> mounts = new LinkedHashMap<>();
    for (String volume : texts(service("gateway").path("volumes"))) {
      String[] parts = volume.split(":");
      if (parts[0].startsWith("./")) {
        mounts.put(parts[1], DeployFiles.repo().resolve(parts[0]).normalize());
      }
    }
    return mounts;
  }

  private static Path onHost(String containerPath, Map<String, Path> mounts) {
    for (Map.Entry<String, Path> mount : mounts.entrySet()) {
      if (containerPath.startsWith(mount.getKey() + "/")) {
        return mount.getValue().resolve(containerPath.substring(mount.getKey().length() + 1));
      }
    }
    throw new AssertionError(containerPath + " is under none of the gateway's mounts " + mounts.keySet());
  }

  private static void assertPinned(String where, String image) {
    if (DIGEST.matcher(image).find()) {
      return;
    }
    int slash = image.lastIndexOf('/');
    int colon = image.lastIndexOf(':');
    assertTrue(colon > slash, where + ": image " + image + " has no tag");
    String tag = image.substring(colon + 1);
    assertFalse(tag.equals("latest"), where + ": image " + image + " uses latest");
    assertTrue(VERSION_TAG.matcher(tag).matches(), where + ": image " + image + " is not pinned to a version");
  }

  private static List<String> instructions(String dockerfile, String keyword) {
    List<String> out = new ArrayList<>();
    String joined = dockerfile.replaceAll("\\\\\\n", " ");
    for (String line : joined.split("\n")) {
      String trimmed = line.trim();
      if (trimmed.startsWith(keyword + " ")) {
        String rest = trimmed.substring(keyword.length()).trim();
        while (rest.matches("--\\S+\\s.*")) {
          rest = rest.replaceFirst("^--\\S+\\s+", ""); // flags such as --from=build, --interval=10s
        }
        out.add(rest);
      }
    }
    return out;
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(node -> out.add(node.asText()));
    return out;
  }

  private static Map<String, String> conditions(JsonNode service) {
    Map<String, String> out = new HashMap<>();
    service.path("depends_on").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().path("condition").asText()));
    return out;
  }

  private static Map<String, String> environment(JsonNode service) {
    JsonNode env = service.path("environment");
    assertTrue(env.isObject(), "environment is a map");
    Map<String, String> out = new LinkedHashMap<>();
    env.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }
}
