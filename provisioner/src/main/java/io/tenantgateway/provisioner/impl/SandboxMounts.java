package io.tenantgateway.provisioner.impl;

import io.tenantgateway.provisioner.files.Openat2;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The paths bwrap binds into a pool's sandbox, each with the identity of the file found there when
 * the command was made: opened with openat2 and {@code RESOLVE_NO_SYMLINKS}, so the kernel refuses a
 * link anywhere on the way in the same step that finds the file. bwrap resolves the paths again when
 * it mounts them, as root and following links; a tenant that can write a tree's parent can swap the
 * tree for a link to another tenant's between the two. So once the sandbox is built, the files at
 * the same paths inside it must be the ones checked, or the sandbox is discarded.
 *
 * @param bound the paths and their identities
 */
record SandboxMounts(List<Bound> bound) {

  /** No sandbox, nothing bound. */
  static final SandboxMounts NONE = new SandboxMounts(List.of());

  private static final long PATH_FLAGS = Openat2.O_PATH | Openat2.O_CLOEXEC;

  /**
   * A path bound into the sandbox.
   *
   * @param path the path, the same outside and inside
   * @param id the file found there without a link
   */
  record Bound(Path path, Openat2.FileId id) {
  }

  /**
   * @param what what the path is, for the error
   * @param path a path to bind
   * @return the path with the identity of its file
   * @throws IOException when there is a symlink on the way, or the file cannot be opened
   */
  static Bound pin(String what, Path path) throws IOException {
    int fd = Openat2.open(Openat2.AT_FDCWD, path.toString(), PATH_FLAGS,
      Openat2.RESOLVE_NO_SYMLINKS | Openat2.RESOLVE_NO_MAGICLINKS);
    if (fd == -Openat2.ELOOP) {
      throw new IOException(what + " " + path + " is a symlink or lies under one: refused, since the pool would"
        + " mount what it points to; use the real path");
    }
    if (fd < 0) {
      throw new IOException(what + " " + path + " cannot be opened (errno " + -fd + ")");
    }
    try {
      Openat2.FileId id = Openat2.identity(fd);
      if (id == null) {
        throw new IOException("cannot stat " + what + " " + path);
      }
      return new Bound(path, id);
    } finally {
      Openat2.close(fd);
    }
  }

  /**
   * Checks that every path inside the sandbox of a process holds the file that was checked.
   *
   * @param pid a process inside the built sandbox
   * @param tenant the tenant, for the error
   * @throws IOException when one holds another file (the sandbox must then be discarded)
   */
  void verifyInside(long pid, String tenant) throws IOException {
    if (bound.isEmpty()) {
      return;
    }
    int root = Openat2.open(Openat2.AT_FDCWD, "/proc/" + pid + "/root", PATH_FLAGS | Openat2.O_DIRECTORY, 0);
    if (root < 0) {
      throw new IOException("cannot open the root of the sandbox of " + tenant + " (errno " + -root + ")");
    }
    try {
      for (Bound b : bound) {
        int fd = Openat2.open(root, b.path().toString(), PATH_FLAGS,
          Openat2.RESOLVE_IN_ROOT | Openat2.RESOLVE_NO_SYMLINKS | Openat2.RESOLVE_NO_MAGICLINKS);
        Openat2.FileId inside = fd < 0 ? null : Openat2.identity(fd);
        if (fd >= 0) {
          Openat2.close(fd);
        }
        if (!b.id().equals(inside)) {
          throw new IOException("the sandbox of " + tenant + " holds another file at " + b.path() + " than the one"
            + " checked (the path was swapped while the sandbox was built): refused");
        }
      }
    } finally {
      Openat2.close(root);
    }
  }
}
