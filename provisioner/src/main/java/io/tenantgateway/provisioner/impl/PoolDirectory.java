package io.tenantgateway.provisioner.impl;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Prepares a pool's directory so that the gateway never opens, writes or chowns anything a
 * tenant could have replaced (docs/ARCHITECTURE.md, "Where a pool's files live"):
 * {@code pools/} and {@code pools/<id>/} belong to the gateway's user ({@code 0711}); the
 * configuration is written there (owned by the gateway, readable by the pool's group only) and
 * renamed into place; the socket is bound there, as root, by the first link of the pool's command. The one directory
 * the tenant owns, {@code pools/<id>/tmp} ({@code 0700}), is created once and never entered.
 * Anything found in the gateway's places that it did not make (a symlink, a tenant-owned
 * directory of an older layout) is moved aside into {@code pools/.quarantine/}, unread.
 * Blocking: call from worker threads.
 */
public final class PoolDirectory {

  private static final Logger LOG = LoggerFactory.getLogger(PoolDirectory.class);
  private static final long OWN_UID = new com.sun.security.auth.module.UnixSystem().getUid();

  private PoolDirectory() {
  }

  /**
   * Makes {@code pools/} a directory of the gateway's user, mode {@code 0711}.
   *
   * @param pools the pools directory
   * @throws IOException when it cannot be made so
   */
  public static void preparePoolsDir(Path pools) throws IOException {
    Files.createDirectories(pools.getParent());
    if (!isOwnDirectory(pools) && Files.exists(pools, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(pools + " is not a directory of uid " + OWN_UID + ": remove it");
    }
    if (!Files.exists(pools, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectory(pools);
    }
    Files.setPosixFilePermissions(pools, PosixFilePermissions.fromString("rwx--x--x"));
  }

  /**
   * Prepares the pool's directory, its tmp dir and configuration, and removes a stale socket.
   *
   * @param layout the pool's files
   * @param user the pool's user
   * @param config the rendered php-fpm configuration
   * @throws IOException when a file cannot be written
   */
  static void prepare(PoolLayout layout, TenantIdentity.User user, String config) throws IOException {
    Path dir = layout.dir();
    if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !isOwnDirectory(dir)) {
      LOG.warn("{} was not made by the gateway (a symlink, another owner or an older layout)", dir);
      quarantine(dir);
    }
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectory(dir);
    }
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    Files.deleteIfExists(layout.socket());
    prepareTmp(layout.tmp(), user);
    writeConfig(layout.config(), config, user);
  }

  /**
   * Removes a deleted tenant's pool directory, its tmp dir (sessions, uploads) included, so that
   * nothing passes to a later tenant with the same id. Call only once every process of the tenant
   * is gone (its groups are empty): the directory is first moved into the root-only quarantine,
   * where no other user can reach it, then deleted with {@code rm -rf --one-file-system}, which
   * never follows a symlink.
   *
   * @param layout the pool's files
   * @throws IOException when it cannot be moved or deleted
   */
  static void discard(PoolLayout layout) throws IOException {
    if (!Files.exists(layout.dir(), LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Path moved = quarantine(layout.dir());
    Process rm = new ProcessBuilder("rm", "-rf", "--one-file-system", "--", moved.toString())
      .redirectErrorStream(true).start();
    try {
      String out = new String(rm.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (rm.waitFor() != 0) {
        throw new IOException("rm -rf " + moved + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static void prepareTmp(Path tmp, TenantIdentity.User user) throws IOException {
    if (Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) {
      PosixFileAttributes attrs = Files.readAttributes(tmp, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      long owner = (Integer) Files.getAttribute(tmp, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      if (attrs.isDirectory() && owner == user.uid()) {
        return;
      }
      LOG.warn("{} is not a directory of uid {}", tmp, user.uid());
      quarantine(tmp);
    }
    Files.createDirectory(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    giveTo(tmp, user);
  }

  private static void writeConfig(Path config, String text, TenantIdentity.User user) throws IOException {
    Path next = config.resolveSibling(config.getFileName() + ".next");
    Files.deleteIfExists(next);
    // created 0600, not with the umask: pools/<id>/ is 0711 and its names are known, so a file
    // readable for a moment could be opened by another tenant, and the descriptor kept
    try (var channel = Files.newByteChannel(next, java.util.Set.of(StandardOpenOption.CREATE_NEW,
      StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
      java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
    }
    if (user.switchUser()) {
      // by number: a name lookup reads the group database on every start
      Files.setAttribute(next, "unix:gid", (int) user.gid(), LinkOption.NOFOLLOW_LINKS);
    }
    Files.setPosixFilePermissions(next, PosixFilePermissions.fromString("rw-r-----"));
    Files.move(next, config, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void giveTo(Path path, TenantIdentity.User user) throws IOException {
    if (!user.switchUser()) {
      return;
    }
    Files.setAttribute(path, "unix:uid", (int) user.uid(), LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(path, "unix:gid", (int) user.gid(), LinkOption.NOFOLLOW_LINKS);
  }

  private static boolean isOwnDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    return ((Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS)) == OWN_UID;
  }

  /** Moves a path the gateway did not make out of its way, without reading or following it. */
  private static Path quarantine(Path path) throws IOException {
    Path pools = path.getParent().getFileName().toString().equals("pools") ? path.getParent()
      : path.getParent().getParent();
    Path aside = pools.resolve(".quarantine");
    if (!isOwnDirectory(aside)) {
      if (Files.exists(aside, LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException(aside + " is not the gateway's directory: remove it");
      }
      Files.createDirectory(aside, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    Path target = aside.resolve(pools.relativize(path).toString().replace('/', '-') + "-" + System.nanoTime());
    Files.move(path, target, StandardCopyOption.ATOMIC_MOVE);
    LOG.info("moved {} aside to {}", path, target);
    return target;
  }
}
