package io.tenantgateway.provisioner.files;

import jnr.constants.platform.Errno;
import jnr.constants.platform.OpenFlags;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

import java.nio.charset.StandardCharsets;

/**
 * openat2(2) (Linux 5.6), statx(2) and close(2), for walks whose every step the kernel checks:
 * {@code RESOLVE_BENEATH} keeps a lookup under a directory descriptor, {@code RESOLVE_NO_SYMLINKS}
 * refuses any symlink on the way. Failures come back as negative errno values, never as exceptions,
 * so the request path can branch on them cheaply.
 */
public final class Openat2 {

  /** The current directory as a {@code dirfd}: the path is taken as it is. */
  public static final int AT_FDCWD = -100;
  /** No magic links ({@code /proc/<pid>/fd/...}) on the way. */
  public static final long RESOLVE_NO_MAGICLINKS = 0x02;
  /** No symlink at all on the way (ELOOP). */
  public static final long RESOLVE_NO_SYMLINKS = 0x04;
  /** Nothing outside the directory descriptor's tree, by {@code ..} or by a symlink (EXDEV). */
  public static final long RESOLVE_BENEATH = 0x08;
  /** The directory descriptor is the root of the lookup, as after a chroot. */
  public static final long RESOLVE_IN_ROOT = 0x10;
  /** {@code O_DIRECTORY}. */
  public static final long O_DIRECTORY = OpenFlags.O_DIRECTORY.longValue();
  /** {@code O_CLOEXEC}. */
  public static final long O_CLOEXEC = OpenFlags.O_CLOEXEC.longValue();
  /** {@code ELOOP}: a symlink on the way of a {@code RESOLVE_NO_SYMLINKS} lookup. */
  public static final int ELOOP = Errno.ELOOP.intValue();
  /** A socket. */
  public static final int S_IFSOCK = 0140000;
  /** {@code O_PATH}: a descriptor that only names the file; opening it reads nothing. */
  public static final long O_PATH = 010000000;

  /** {@code S_IFMT} and its regular-file and directory values, for {@link #fileType}. */
  public static final int S_IFMT = 0170000;
  /** A regular file. */
  public static final int S_IFREG = 0100000;
  /** A directory. */
  public static final int S_IFDIR = 0040000;

  private static final long SYS_OPENAT2 = 437;
  private static final long OPEN_HOW_SIZE = 24;
  private static final int AT_EMPTY_PATH = 0x1000;
  private static final int STATX_TYPE = 0x1;
  private static final int STATX_INO = 0x100;
  private static final int STATX_SIZE = 256;
  private static final int STX_MODE = 28;
  private static final int STX_INO = 32;
  private static final int STX_DEV_MAJOR = 136;
  private static final int STX_DEV_MINOR = 140;
  private static final byte[] EMPTY_PATH = {0};

  /** The libc calls used; openat2 has no glibc wrapper and goes through syscall(2). */
  public interface Libc {
    /**
     * @param number the system call
     * @param dirfd the directory descriptor
     * @param path the NUL-terminated path
     * @param how {@code struct open_how}
     * @param size its size
     * @return the new descriptor, or -1 with errno set
     */
    @SaveError
    long syscall(long number, int dirfd, @In byte[] path, @In Pointer how, long size);

    /**
     * @param dirfd a descriptor
     * @param path the NUL-terminated path (empty with AT_EMPTY_PATH)
     * @param flags AT_* flags
     * @param mask the fields wanted
     * @param buffer {@code struct statx}
     * @return 0, or -1 with errno set
     */
    @SaveError
    int statx(int dirfd, @In byte[] path, int flags, int mask, @Out Pointer buffer);

    /**
     * @param fd a descriptor
     * @return 0, or -1 with errno set
     */
    int close(int fd);
  }

  private static final Libc LIBC = LibraryLoader.create(Libc.class).load("c");
  private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);
  private static final ThreadLocal<Pointer> HOW = ThreadLocal.withInitial(
    () -> Memory.allocateDirect(RUNTIME, (int) OPEN_HOW_SIZE, true));
  private static final ThreadLocal<Pointer> STATX = ThreadLocal.withInitial(
    () -> Memory.allocateDirect(RUNTIME, STATX_SIZE, true));

  private Openat2() {
  }

  /**
   * @param dirfd the directory the path is relative to, or {@link #AT_FDCWD}
   * @param path the path
   * @param flags {@code O_*} flags
   * @param resolve {@code RESOLVE_*} flags
   * @return the new descriptor, or a negative errno
   */
  public static int open(int dirfd, String path, long flags, long resolve) {
    Pointer how = HOW.get();
    how.putLong(0, flags);
    how.putLong(8, 0);
    how.putLong(16, resolve);
    long fd = LIBC.syscall(SYS_OPENAT2, dirfd, cString(path), how, OPEN_HOW_SIZE);
    return fd >= 0 ? (int) fd : -RUNTIME.getLastError();
  }

  /**
   * @param fd an open descriptor (an {@code O_PATH} one will do)
   * @return the file's type bits ({@code st_mode & S_IFMT}), or a negative errno
   */
  public static int fileType(int fd) {
    Pointer buffer = STATX.get();
    if (LIBC.statx(fd, EMPTY_PATH, AT_EMPTY_PATH, STATX_TYPE, buffer) != 0) {
      return -RUNTIME.getLastError();
    }
    return buffer.getShort(STX_MODE) & S_IFMT;
  }

  /**
   * Which file a descriptor names, as the kernel tells it: equal identities are the same file.
   *
   * @param device the device of its file system, {@code major:minor}
   * @param inode its inode number
   * @param type its type bits ({@code st_mode & S_IFMT})
   */
  public record FileId(String device, long inode, int type) {
  }

  /**
   * @param fd an open descriptor (an {@code O_PATH} one will do)
   * @return the identity of the file it names, or null when statx fails
   */
  public static FileId identity(int fd) {
    Pointer buffer = STATX.get();
    if (LIBC.statx(fd, EMPTY_PATH, AT_EMPTY_PATH, STATX_TYPE | STATX_INO, buffer) != 0) {
      return null;
    }
    return new FileId(Integer.toUnsignedString(buffer.getInt(STX_DEV_MAJOR)) + ":"
      + Integer.toUnsignedString(buffer.getInt(STX_DEV_MINOR)), buffer.getLong(STX_INO),
      buffer.getShort(STX_MODE) & S_IFMT);
  }

  /**
   * @param fd a descriptor to close
   */
  public static void close(int fd) {
    LIBC.close(fd);
  }

  private static byte[] cString(String path) {
    byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
    byte[] cString = new byte[bytes.length + 1];
    System.arraycopy(bytes, 0, cString, 0, bytes.length);
    return cString;
  }
}
