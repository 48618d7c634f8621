package io.tenantgateway.gateway.registry;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.TreeSet;

/**
 * The version of a tenant kept in a file: a hash of its definition in a canonical form (keys sorted),
 * so it is the same on every node and after every restart, and changes with any edit.
 */
public final class TenantVersion {

  private TenantVersion() {
  }

  /**
   * @param tenant a tenant
   * @return a positive 63-bit hash of its definition
   */
  public static long of(Tenant tenant) {
    StringBuilder canonical = new StringBuilder();
    append(canonical, tenant.toJson());
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
      long value = ByteBuffer.wrap(digest).getLong() & Long.MAX_VALUE;
      return value == 0 ? 1 : value;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private static void append(StringBuilder out, Object value) {
    if (value instanceof JsonObject object) {
      out.append('{');
      for (String key : new TreeSet<>(object.fieldNames())) {
        out.append(JsonArray.of(key).encode()).append(':');
        append(out, object.getValue(key));
        out.append(',');
      }
      out.append('}');
    } else if (value instanceof JsonArray array) {
      out.append('[');
      for (Object item : array) {
        append(out, item);
        out.append(',');
      }
      out.append(']');
    } else {
      out.append(JsonArray.of(value).encode());
    }
  }
}
