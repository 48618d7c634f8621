package io.tenantgateway.gateway.config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Files that hold secrets (the admin token, the database password, tenants' {@code env}) must be
 * readable by their owner only: a tenant's code runs on the same host, as another user.
 */
public final class SecretFiles {

  private static final Logger LOG = LoggerFactory.getLogger(SecretFiles.class);

  private SecretFiles() {
  }

  /**
   * Logs a warning when others than the file's owner may read it.
   *
   * @param file the file
   * @param holds what secret it holds, for the message
   * @return true when it was readable by group or others
   */
  public static boolean warnIfOthersCanRead(Path file, String holds) {
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
        LOG.warn("{} holds {} and is readable by others than its owner: chmod 600 {}", file, holds, file);
        return true;
      }
    } catch (IOException | UnsupportedOperationException e) {
      LOG.debug("cannot read the permissions of {}: {}", file, e.getMessage());
    }
    return false;
  }
}
