package io.tenantgateway.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tenantgateway.gateway.registry.Tenant;
import io.tenantgateway.gateway.registry.YamlTenantFile;
import io.tenantgateway.gateway.testing.RawHttp;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin API over the file registry ({@code tenants.yaml}), plus what only a file can show: the
 * file is replaced atomically on each write and stays valid, and an edit made by hand reaches the API
 * and routing within a couple of seconds.
 */
class FileRegistryAdminApiTest extends AdminApiContractTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final long PICK_UP_MS = 2_500;

  private Path tenantsFile;

  @Override
  protected Map<String, String> registrySettings(Path workDir) throws Exception {
    Path dir = Files.createDirectories(workDir.resolve("registry"));
    tenantsFile = dir.resolve("tenants.yaml");
    Files.writeString(tenantsFile, "tenants: []\n");
    return Map.of("GATEWAY_REGISTRY", "file", "GATEWAY_REGISTRY_FILE", tenantsFile.toString());
  }

  @Test
  void writesReplaceTheFileAtomicallyAndItStillParses() throws Exception {
    Object before = Files.readAttributes(tenantsFile, BasicFileAttributes.class).fileKey();
    create(tenant("file-write").put("php", new JsonObject().put("max_children", 3)));
    Object after = Files.readAttributes(tenantsFile, BasicFileAttributes.class).fileKey();
    assertNotEquals(before, after, "a new inode renamed over the old one, never written in place");
    try (Stream<Path> files = Files.list(tenantsFile.getParent())) {
      assertEquals(List.of(tenantsFile), files.toList(), "no temporary file left behind");
    }
    Tenant written = YamlTenantFile.read(tenantsFile).stream().filter(t -> t.id().equals("file-write"))
      .findFirst().orElseThrow();
    assertEquals(3, written.php().maxChildren());
    assertEquals(List.of("file-write.admin.test"), written.domains());

    assertEquals(204, admin.delete("/v1/tenants/file-write", null).status());
    assertTrue(YamlTenantFile.read(tenantsFile).stream().noneMatch(t -> t.id().equals("file-write")));
  }

  @Test
  void anEditByHandReachesTheApiAndRouting() throws Exception {
    ObjectNode root = (ObjectNode) YAML.readTree(tenantsFile.toFile());
    ObjectNode edited = ((ArrayNode) root.withArray("tenants")).addObject();
    edited.put("id", "hand-edit");
    edited.putArray("domains").add("hand-edit.admin.test");
    edited.put("docroot", docroot("hand-edit").toString());
    YAML.writeValue(tenantsFile.toFile(), root);

    AdminClient.Reply read = waitFor("hand-edit", 200);
    assertEquals("hand-edit.admin.test", read.json().getJsonArray("domains").getString(0));
    RawHttp.Response served = RawHttp.get(gateway.httpPort(), "hand-edit.admin.test", "/hello.txt");
    assertEquals(200, served.status(), served.text());

    root = (ObjectNode) YAML.readTree(tenantsFile.toFile());
    for (JsonNode tenant : root.withArray("tenants")) {
      if (tenant.get("id").asText().equals("hand-edit")) {
        ((ObjectNode) tenant).putArray("domains").add("renamed.admin.test");
      }
    }
    YAML.writeValue(tenantsFile.toFile(), root);
    long deadline = System.currentTimeMillis() + PICK_UP_MS;
    while (!admin.get("/v1/tenants/hand-edit").json().getJsonArray("domains").getString(0)
      .equals("renamed.admin.test")) {
      assertTrue(System.currentTimeMillis() < deadline, "the changed domain was not picked up");
      Thread.sleep(50);
    }
    assertEquals(200, RawHttp.get(gateway.httpPort(), "renamed.admin.test", "/hello.txt").status());
    assertEquals(404, RawHttp.get(gateway.httpPort(), "hand-edit.admin.test", "/hello.txt").status());
    String current = admin.get("/v1/tenants/hand-edit").header("ETag");
    assertNotEquals(read.header("ETag"), current, "a hand edit changes the version");
    assertEquals(412, admin.delete("/v1/tenants/hand-edit", read.header("ETag")).status());
    assertEquals(204, admin.delete("/v1/tenants/hand-edit", current).status());
  }

  @Test
  void anUnreadableFileRefusesWritesWith503AndRoutingContinues() throws Exception {
    create(tenant("file-keep"));
    String good = Files.readString(tenantsFile);
    Files.writeString(tenantsFile, "tenants: [ {id: broken\n");
    try {
      AdminClient.Reply refused = admin.post("/v1/tenants", tenant("file-new"));
      assertEquals(503, refused.status(), refused.toString());
      refused.error();
      AdminClient.Reply ready = admin.withToken(null).get("/readyz");
      assertEquals(200, ready.status(), "still routing from the last snapshot: " + ready);
      assertEquals(200, RawHttp.get(gateway.httpPort(), "file-keep.admin.test", "/hello.txt").status());
      assertEquals(200, admin.get("/v1/tenants/file-keep").status());
    } finally {
      Files.writeString(tenantsFile, good);
    }
    assertEquals(204, admin.delete("/v1/tenants/file-keep", null).status());
    assertEquals(404, admin.get("/v1/tenants/file-new").status());
  }

  private AdminClient.Reply waitFor(String id, int status) throws Exception {
    long deadline = System.currentTimeMillis() + PICK_UP_MS;
    while (true) {
      AdminClient.Reply reply = admin.get("/v1/tenants/" + id);
      if (reply.status() == status) {
        return reply;
      }
      assertTrue(System.currentTimeMillis() < deadline, id + " not picked up within " + PICK_UP_MS + " ms: " + reply);
      Thread.sleep(50);
    }
  }
}
