package io.tenantgateway.gateway.routing;

import io.tenantgateway.provisioner.files.Openat2;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * What a request path names under a tenant's docroot, and where it really lies. Most paths hold
 * no symlink: one openat2 of the real docroot plus the path with {@code RESOLVE_NO_SYMLINKS} and
 * one statx of the {@code O_PATH} descriptor answer both questions (no link, so the file is where
 * its path says, inside the docroot). A path with a link on the way falls back to the real path.
 * The answer is advice for routing, as nginx's {@code try_files}; the static file server and PHP
 * open the file themselves, where the boundary holds. Files and directories found on the first
 * path are kept a moment in a {@link LookupCache}.
 */
final class DocrootLookup {

  /** What the path names. */
  enum Kind { MISSING, FILE, DIRECTORY, OTHER }

  /** Where the file really lies. */
  enum Place { DOCROOT, READ_ONLY_PATH, OUTSIDE }

  /**
   * @param kind what the path names (through symlinks)
   * @param place where its real path lies
   */
  record Entry(Kind kind, Place place) {
    static final Entry MISSING = new Entry(Kind.MISSING, Place.OUTSIDE);

    boolean isFile() {
      return kind == Kind.FILE;
    }

    boolean isDirectory() {
      return kind == Kind.DIRECTORY;
    }

    boolean inDocroot() {
      return place == Place.DOCROOT;
    }

    boolean readable() {
      return place != Place.OUTSIDE;
    }
  }

  private static final Entry FILE = new Entry(Kind.FILE, Place.DOCROOT);
  private static final Entry DIRECTORY = new Entry(Kind.DIRECTORY, Place.DOCROOT);
  private static final Entry OTHER = new Entry(Kind.OTHER, Place.DOCROOT);
  private static final long PATH_FLAGS = Openat2.O_PATH | Openat2.O_CLOEXEC;

  private DocrootLookup() {
  }

  /**
   * @param cache lookups kept a moment; a file or directory found with no link on the way joins it
   * @param site the tenant
   * @param path a normalised request path (leading slash, no dot segments)
   * @return what it names and where that lies
   */
  static Entry of(LookupCache cache, TenantSite site, String path) {
    Entry kept = cache.get(site, path);
    if (kept != null) {
      return kept;
    }
    int fd = Openat2.open(Openat2.AT_FDCWD, site.realDocroot() + path, PATH_FLAGS,
      Openat2.RESOLVE_NO_SYMLINKS | Openat2.RESOLVE_NO_MAGICLINKS);
    if (fd == -Openat2.ELOOP) {
      return throughLinks(site, path);
    }
    if (fd < 0) {
      return Entry.MISSING;
    }
    try {
      int type = Openat2.fileType(fd);
      Entry found = type == Openat2.S_IFREG ? FILE : type == Openat2.S_IFDIR ? DIRECTORY : OTHER;
      if (found != OTHER) {
        cache.put(site, path, found);
      }
      return found;
    } finally {
      Openat2.close(fd);
    }
  }

  private static Entry throughLinks(TenantSite site, String path) {
    Path file = site.realDocroot().resolve(path.substring(1));
    try {
      BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
      Kind kind = attributes.isRegularFile() ? Kind.FILE : attributes.isDirectory() ? Kind.DIRECTORY : Kind.OTHER;
      Path real = file.toRealPath();
      Place place = real.startsWith(site.realDocroot()) ? Place.DOCROOT
        : site.realReadOnlyPaths().stream().anyMatch(real::startsWith) ? Place.READ_ONLY_PATH : Place.OUTSIDE;
      return new Entry(kind, place);
    } catch (IOException e) {
      return Entry.MISSING;
    }
  }
}
