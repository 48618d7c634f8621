package io.tenantgateway.gateway.admin;

import io.tenantgateway.gateway.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The admin token in root mode. Tenant code runs on the same host and reaches a loopback listener,
 * so as root the admin API never runs without a token: an empty {@code admin.token} means the
 * gateway's own, generated on first start into {@code <run_dir>/admin-token} (mode {@code 0600},
 * owned by root, in a directory no tenant can write) and read from there afterwards.
 */
final class AdminToken {

  private static final Logger LOG = LoggerFactory.getLogger(AdminToken.class);
  /** The file name under the run directory. */
  static final String FILE = "admin-token";

  private AdminToken() {
  }

  /**
   * @param configured {@code admin.token}
   * @param runDir the gateway's run directory
   * @param root true when the gateway runs as root
   * @return the token to use; empty only when not root and none is configured
   * @throws ConfigException when the token file cannot be written or is not the gateway's
   */
  static String resolve(String configured, Path runDir, boolean root) {
    if (!configured.isEmpty() || !root) {
      return configured;
    }
    Path file = runDir.toAbsolutePath().normalize().resolve(FILE);
    try {
      Files.createDirectories(runDir);
      if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
          || (Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS) != 0
          || !PosixFilePermissions.toString(Files.getPosixFilePermissions(file)).equals("rw-------")) {
          throw new ConfigException("admin.token (GATEWAY_ADMIN_TOKEN): " + file + " is not a root-owned 0600 file;"
            + " remove it or set a token");
        }
        String token = Files.readString(file, StandardCharsets.UTF_8).trim();
        if (!token.isEmpty()) {
          LOG.info("admin API token read from {} (admin.token is empty)", file);
          return token;
        }
      }
      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      String token = HexFormat.of().formatHex(random);
      Path next = file.resolveSibling(FILE + ".next");
      Files.deleteIfExists(next);
      // created 0600 at once, not chmodded after: a file readable for a moment could be opened
      try (var channel = Files.newByteChannel(next, java.util.Set.of(StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap((token + "\n").getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
      }
      Files.move(next, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      LOG.warn("admin.token is empty and the gateway runs as root: generated an admin token into {} (root only);"
        + " use it as 'Authorization: Bearer <token>'", file);
      return token;
    } catch (IOException e) {
      throw new ConfigException("admin.token (GATEWAY_ADMIN_TOKEN): empty, and no token could be generated into "
        + file + ": " + e.getMessage());
    }
  }
}
