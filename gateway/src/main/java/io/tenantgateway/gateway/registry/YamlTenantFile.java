package io.tenantgateway.gateway.registry;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tenantgateway.gateway.config.ConfigException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code tenants.yaml}: a top-level {@code tenants:} list of tenant objects. Any invalid tenant,
 * a repeated id or a domain claimed twice fails the whole file with the file, tenant and field named.
 */
public final class YamlTenantFile {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
    .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final ObjectMapper YAML_WRITER = new ObjectMapper(YAMLFactory.builder()
    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).build());

  private static final String HEADER = "# Tenants of this gateway (docs/ARCHITECTURE.md, \"Tenant\"). Written by the admin API;\n"
    + "# hand edits are picked up without a restart. Comments are not kept.\n";

  private YamlTenantFile() {
  }

  /**
   * @param file the YAML file
   * @return the tenants in file order
   * @throws ConfigException when the file cannot be read or holds an invalid tenant
   */
  public static List<Tenant> read(Path file) {
    JsonObject root = readYamlObject(file);
    for (String key : root.fieldNames()) {
      if (!key.equals("tenants")) {
        throw new ConfigException(file + ": unknown top-level field '" + key + "' (expected 'tenants')");
      }
    }
    Object list = root.getValue("tenants");
    if (list == null) {
      return List.of();
    }
    if (!(list instanceof JsonArray)) {
      throw new ConfigException(file + ": 'tenants' must be a list");
    }
    List<Tenant> tenants = new ArrayList<>();
    Map<String, String> domainOwner = new HashMap<>();
    JsonArray array = (JsonArray) list;
    for (int i = 0; i < array.size(); i++) {
      Object item = array.getValue(i);
      if (!(item instanceof JsonObject)) {
        throw new ConfigException(file + ": tenants[" + i + "] must be an object");
      }
      Tenant tenant;
      try {
        tenant = TenantParser.parse((JsonObject) item);
      } catch (InvalidTenantException e) {
        throw new ConfigException(file + ": tenants[" + i + "]: " + e.getMessage());
      }
      for (Tenant other : tenants) {
        if (other.id().equals(tenant.id())) {
          throw new ConfigException(file + ": tenants[" + i + "]: tenant '" + tenant.id()
            + "', field 'id': defined twice");
        }
      }
      for (int d = 0; d < tenant.domains().size(); d++) {
        String owner = domainOwner.putIfAbsent(tenant.domains().get(d), tenant.id());
        if (owner != null) {
          throw new ConfigException(file + ": tenants[" + i + "]: tenant '" + tenant.id() + "', field 'domains["
            + d + "]': '" + tenant.domains().get(d) + "' already belongs to tenant '" + owner + "'");
        }
      }
      tenants.add(tenant);
    }
    return List.copyOf(tenants);
  }

  /**
   * Replaces the file atomically: the new content goes to a temporary file in the same directory,
   * is forced to disk and renamed over the old one, so a reader (or a crash) sees the old file or the
   * new one, never half of one. Comments in the old file are not kept.
   *
   * @param file the tenants file
   * @param tenants the tenants to keep, in order
   * @throws IOException when it cannot be written; the old file is then unchanged
   */
  public static void write(Path file, List<Tenant> tenants) throws IOException {
    JsonArray list = new JsonArray();
    tenants.forEach(tenant -> list.add(tenant.toJson()));
    Object plain = YAML.readValue(new JsonObject().put("tenants", list).encode(), Object.class);
    String yaml = HEADER + YAML_WRITER.writeValueAsString(plain);
    Path dir = file.toAbsolutePath().getParent();
    Path temp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
    try {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer bytes = ByteBuffer.wrap(yaml.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
        channel.force(true);
      }
      ownerOnly(temp);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Tenants' env values are secrets: the file is readable by its owner only. */
  private static void ownerOnly(Path file) throws IOException {
    Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
  }

  /**
   * @param file a YAML file whose top level is a mapping
   * @return its content as JSON (an empty object for an empty file)
   * @throws ConfigException when it cannot be read or parsed
   */
  public static JsonObject readYamlObject(Path file) {
    Object parsed;
    try (JsonParser parser = YAML.createParser(file.toFile())) {
      // an empty or comments-only file has no token at all; readValue would call that an error
      parsed = parser.nextToken() == null ? null : YAML.readValue(parser, Object.class);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read: " + e.getMessage());
    }
    if (parsed == null) {
      return new JsonObject();
    }
    if (!(parsed instanceof Map)) {
      throw new ConfigException(file + ": the top level must be a mapping");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> map = (Map<String, Object>) parsed;
    return new JsonObject(map);
  }
}
