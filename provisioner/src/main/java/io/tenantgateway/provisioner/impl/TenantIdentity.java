package io.tenantgateway.provisioner.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Which Unix user a tenant's pool runs as. As root: a system user {@code tg-<id>} per tenant,
 * created when missing (no shell, no home). Otherwise: the gateway's own user for every pool.
 * Blocking: call from worker threads.
 */
public final class TenantIdentity {

  /** Prefix of every tenant user name. */
  public static final String USER_PREFIX = "tg-";
  /** The comment (GECOS) of a tenant user: this prefix and the tenant id, the record of its claim. */
  static final String CLAIM = "tenant-gateway tenant ";

  private final boolean root;
  private final java.util.Map<String, User> users = new java.util.concurrent.ConcurrentHashMap<>();
  private final long ownUid;
  private final long ownGid;
  private final long uidMin;
  private final long uidMax;

  /**
   * A Unix identity.
   *
   * @param name the user name
   * @param uid the uid
   * @param gid the primary gid
   * @param switchUser true when the master must be started as this user
   */
  public record User(String name, long uid, long gid, boolean switchUser) {
  }

  private TenantIdentity(boolean root, long ownUid, long ownGid, long uidMin, long uidMax) {
    this.root = root;
    this.ownUid = ownUid;
    this.ownGid = ownGid;
    this.uidMin = uidMin;
    this.uidMax = uidMax;
  }

  /**
   * @param uidMin lowest uid (and gid) a tenant user may have
   * @param uidMax highest uid (and gid) a tenant user may have
   * @return the identity policy this process can apply
   */
  public static TenantIdentity detect(long uidMin, long uidMax) {
    com.sun.security.auth.module.UnixSystem self = new com.sun.security.auth.module.UnixSystem();
    return new TenantIdentity(self.getUid() == 0, self.getUid(), self.getGid(), uidMin, uidMax);
  }

  /** @return the gateway's own uid */
  public long ownUid() {
    return ownUid;
  }

  /** @return true when pools run as per-tenant users */
  public boolean perTenantUsers() {
    return root;
  }

  /** @return a line for the start-up log and the pool listing */
  public String describe() {
    return root
      ? "per-tenant Unix users (" + USER_PREFIX + "<id>, uids " + uidMin + "-" + uidMax
        + "), php-fpm master started as that user"
      : "not root: every pool runs as the gateway's own user (uid " + ownUid + "); tenants are not isolated "
        + "from each other";
  }

  /**
   * @param tenantId the tenant id
   * @return the user its pool runs as (created when missing, as root)
   * @throws IOException when the user cannot be created or looked up
   */
  public User userFor(String tenantId) throws IOException {
    if (!root) {
      return new User(System.getProperty("user.name"), ownUid, ownGid, false);
    }
    User known = users.get(tenantId);
    if (known != null) {
      return known;
    }
    String name = userName(tenantId);
    Libc.Account entry = Libc.user(name);
    if (entry == null) {
      try {
        run("useradd", "--system", "--no-create-home", "--comment", CLAIM + tenantId, "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
          "--user-group", "-K", "SYS_UID_MIN=" + uidMin, "-K", "SYS_UID_MAX=" + uidMax,
          "-K", "SYS_GID_MIN=" + uidMin, "-K", "SYS_GID_MAX=" + uidMax, name);
      } catch (IOException failed) {
        if (Libc.user(name) == null) {
          throw failed;
        }
      }
      entry = Libc.user(name);
    }
    if (entry == null) {
      throw new IOException("cannot find the Unix user " + name + " just created");
    }
    if (!claimedBy(entry, name, tenantId)) {
      throw new IOException("the Unix user " + name + " belongs to another tenant (" + entry.gecos() + "), not to '"
        + tenantId + "': two tenants never share a user");
    }
    long uid = entry.uid();
    long gid = entry.gid();
    if (uid < uidMin || uid > uidMax) {
      throw new IOException("the Unix user " + name + " exists with uid " + uid + ", outside the tenant range "
        + uidMin + "-" + uidMax + " (provisioner.uid_min/uid_max): it is not the gateway's; remove it or change the"
        + " range");
    }
    User user = new User(name, uid, gid, true);
    users.put(tenantId, user);
    return user;
  }

  /**
   * A user is a tenant's when its comment names that tenant; a user of an older gateway, without
   * the comment, only under the tenant's exact name {@code tg-<id>}.
   */
  private static boolean claimedBy(Libc.Account entry, String name, String tenantId) {
    String gecos = entry.gecos() == null ? "" : entry.gecos();
    if (gecos.startsWith(CLAIM)) {
      return gecos.equals(CLAIM + tenantId);
    }
    return name.equals(USER_PREFIX + tenantId);
  }

  /**
   * @param tenantId the tenant id
   * @return its user name, at most 32 characters
   */
  public static String userName(String tenantId) {
    String name = USER_PREFIX + tenantId;
    if (name.length() <= 32) {
      return name;
    }
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
        .digest(tenantId.getBytes(StandardCharsets.UTF_8));
      return USER_PREFIX + tenantId.substring(0, 16) + "-" + java.util.HexFormat.of().formatHex(digest, 0, 6);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void run(String... command) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish");
      }
      if (process.exitValue() != 0) {
        throw new IOException(command[0] + " " + command[command.length - 1] + " failed (exit "
          + process.exitValue() + "): " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
