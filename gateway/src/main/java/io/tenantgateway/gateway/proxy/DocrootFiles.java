package io.tenantgateway.gateway.proxy;

import io.tenantgateway.provisioner.files.Openat2;
import jnr.constants.platform.Errno;
import jnr.constants.platform.OpenFlags;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;

/**
 * Opens a file of a tenant's docroot so that the kernel vouches for where it lies, at the moment of
 * the open (docs/ARCHITECTURE.md, static files). The docroot is opened by its real path with no
 * symlink anywhere on the way ({@code RESOLVE_NO_SYMLINKS}: a docroot its tenant swapped for a link
 * is refused at once), then the file relative to that directory's descriptor with
 * {@code RESOLVE_BENEATH}: a symlink may point elsewhere inside the docroot, never out of it, and a
 * link flipped between the request mapper's check and this open changes nothing. {@code O_NONBLOCK}
 * keeps a FIFO from hanging the event loop; only a regular file is handed out ({@link Openat2}).
 * A link out of the docroot into one of the tenant's {@code read_only_paths} (Debian's phpMyAdmin
 * links its scripts' libraries into {@code /usr/share/javascript}) is opened the same way beneath
 * that directory, and served only when its mode lets everyone read it.
 *
 * <p>The file is handed out as a {@link FileChannel} opened through {@code /proc/self/fd/<n>}
 * (the kernel's link to the very file the descriptor holds, not a path walk), so that Vert.x can
 * send it with sendfile(2).
 */
public final class DocrootFiles {

  private static final long DIRECTORY_FLAGS = OpenFlags.O_RDONLY.longValue() | OpenFlags.O_DIRECTORY.longValue()
    | OpenFlags.O_CLOEXEC.longValue();
  private static final long FILE_FLAGS = OpenFlags.O_RDONLY.longValue() | OpenFlags.O_NONBLOCK.longValue()
    | OpenFlags.O_NOCTTY.longValue() | OpenFlags.O_CLOEXEC.longValue();

  /** What an open gave. */
  public sealed interface Result {
  }

  /**
   * A regular file inside the docroot, open for reading; the caller closes the channel.
   *
   * @param channel the file
   * @param size its size in bytes at the open
   * @param lastModifiedMillis its modification time
   */
  public record Opened(FileChannel channel, long size, long lastModifiedMillis) implements Result {
  }

  /**
   * Not served.
   *
   * @param status the HTTP status to answer (404, or 403 for a file the gateway may not read)
   * @param reason why, for the log
   */
  public record Refused(int status, String reason) implements Result {
  }

  private DocrootFiles() {
  }

  /**
   * @param realDocroot the docroot's real path, as resolved when the registry snapshot was taken
   * @param relative the file's path below the docroot, normalised (no dot segments, no leading slash)
   * @return the opened file or why not
   */
  public static Result open(Path realDocroot, String relative) {
    return open(realDocroot, List.of(), relative);
  }

  /**
   * Opens a file of the docroot; a symlink out of it is followed only into one of
   * {@code sharedRoots}, beneath that directory's descriptor again, and only to a file everyone may
   * read: the gateway reads as root, and must not hand out what the tenant's own user could not.
   *
   * @param realDocroot the docroot's real path, as resolved when the registry snapshot was taken
   * @param sharedRoots real paths of directories the tenant may read besides ({@code read_only_paths})
   * @param relative the file's path below the docroot, normalised (no dot segments, no leading slash)
   * @return the opened file or why not
   */
  public static Result open(Path realDocroot, List<Path> sharedRoots, String relative) {
    int fd = openBeneath(realDocroot, relative);
    if (fd == -Errno.EXDEV.intValue() && !sharedRoots.isEmpty()) {
      return openShared(realDocroot, sharedRoots, relative);
    }
    return opened(fd, relative, false);
  }

  private static Result openShared(Path realDocroot, List<Path> sharedRoots, String relative) {
    Path target;
    try {
      target = realDocroot.resolve(relative).toRealPath();
    } catch (IOException e) {
      return new Refused(404, relative + ": " + e.getMessage());
    }
    for (Path root : sharedRoots) {
      if (target.startsWith(root) && !target.equals(root)) {
        return opened(openBeneath(root, root.relativize(target).toString()), relative, true);
      }
    }
    return new Refused(404, relative + ": EXDEV (a symlink leaving the docroot and its read_only_paths)");
  }

  /** @return the descriptor of {@code relative} opened beneath {@code dir}, or a negative errno */
  private static int openBeneath(Path dir, String relative) {
    int dirFd = Openat2.open(Openat2.AT_FDCWD, dir.toString(), DIRECTORY_FLAGS,
      Openat2.RESOLVE_NO_SYMLINKS | Openat2.RESOLVE_NO_MAGICLINKS);
    if (dirFd < 0) {
      return dirFd;
    }
    try {
      return Openat2.open(dirFd, relative, FILE_FLAGS, Openat2.RESOLVE_BENEATH | Openat2.RESOLVE_NO_MAGICLINKS);
    } finally {
      Openat2.close(dirFd);
    }
  }

  private static Result opened(int fd, String relative, boolean mustBeWorldReadable) {
    if (fd < 0) {
      Errno errno = Errno.valueOf(-fd);
      return new Refused(errno == Errno.EACCES ? 403 : 404, relative + ": " + errno.name()
        + (errno == Errno.EXDEV ? " (a symlink leaving the docroot)"
        : errno == Errno.ELOOP ? " (a symlink on the way to the docroot or in it)" : ""));
    }
    try {
      Path self = Path.of("/proc/self/fd/" + fd);
      PosixFileAttributes attributes = Files.readAttributes(self, PosixFileAttributes.class);
      if (!attributes.isRegularFile()) {
        return new Refused(404, relative + ": not a regular file");
      }
      if (mustBeWorldReadable && !attributes.permissions().contains(PosixFilePermission.OTHERS_READ)) {
        return new Refused(403, relative + ": a file of read_only_paths that not everyone may read");
      }
      return new Opened(FileChannel.open(self, StandardOpenOption.READ), attributes.size(),
        attributes.lastModifiedTime().toMillis());
    } catch (IOException e) {
      return new Refused(404, relative + ": " + e.getMessage());
    } finally {
      Openat2.close(fd);
    }
  }
}
