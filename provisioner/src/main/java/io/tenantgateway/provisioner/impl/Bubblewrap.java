package io.tenantgateway.provisioner.impl;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The bubblewrap ({@code bwrap}, Debian package {@code bubblewrap}) command line that gives a pool a
 * private view of the system: its own PID, IPC, UTS and mount namespaces; a root holding only the
 * system's read-only {@code /usr} and {@code /etc}, a private {@code /proc}, {@code /dev},
 * {@code /tmp} and {@code /dev/shm}, and the pool's own paths (docroot, tmp dir, configuration) at
 * the same paths as outside, so SCRIPT_FILENAME and {@code open_basedir} stay valid. Nothing of
 * other tenants, of the gateway's run directory or of its home is mounted. bwrap runs as root and
 * execs the rest of the command (setpriv, php-fpm) as PID 2 of the namespace under its own init:
 * when the master exits the init exits, and the kernel kills every process left in the namespace.
 * {@code --die-with-parent} ties the sandbox to the gateway.
 */
final class Bubblewrap {

  /** The binary. */
  static final String BINARY = "/usr/bin/bwrap";
  /** Generations from the bwrap process to the php-fpm master (bwrap, its init, the master). */
  static final int MASTER_DEPTH = 2;
  private static final List<String> SYSTEM_TREES = List.of("/usr", "/etc");
  private static final Set<String> OWN_MOUNTS = Set.of("/tmp", "/run", "/dev", "/dev/shm", "/proc");
  private static final List<String> MERGED_DIRS = List.of("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32");
  /** Where programs look for daemons' sockets ({@code mysqli.default_socket} is below /var/run). */
  private static final Path VAR_RUN = Path.of("/var/run");

  /**
   * The arguments for the system's own directories, which belong to root and the operator: read
   * once, as the gateway starts (a change of /bin or /var/run takes a restart).
   */
  private static final List<String> SYSTEM_VIEW = systemView();

  private Bubblewrap() {
  }

  private static List<String> systemView() {
    List<String> args = new ArrayList<>();
    for (String dir : MERGED_DIRS) {
      Path path = Path.of(dir);
      if (Files.isSymbolicLink(path)) {
        args.addAll(List.of("--symlink", linkTarget(path), dir));
      } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
        args.addAll(List.of("--ro-bind", dir, dir));
      }
    }
    args.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp",
      "--perms", "1777", "--tmpfs", "/dev/shm", "--perms", "0755", "--dir", "/run"));
    if (Files.isSymbolicLink(VAR_RUN)) {
      args.addAll(List.of("--perms", "0755", "--dir", "/var", "--symlink", linkTarget(VAR_RUN), VAR_RUN.toString()));
    }
    return List.copyOf(args);
  }

  /**
   * @param hostname the UTS name inside (the tenant id)
   * @param readWrite paths bound read-write at the same place (docroot, tmp dir)
   * @param readOnly paths bound read-only at the same place (the pool configuration, Unix sockets)
   * @param privateNetwork true for an own network namespace with loopback only
   * @return the bwrap arguments, ending with {@code --}; the command follows
   */
  static List<String> arguments(String hostname, List<Path> readWrite, List<Path> readOnly, boolean privateNetwork) {
    List<String> args = new ArrayList<>(List.of(BINARY, "--unshare-pid", "--unshare-ipc", "--unshare-uts",
      "--die-with-parent", "--new-session", "--hostname", hostname, "--chdir", "/"));
    if (privateNetwork) {
      args.add("--unshare-net");
    }
    for (String tree : SYSTEM_TREES) {
      args.addAll(List.of("--ro-bind", tree, tree));
    }
    args.addAll(SYSTEM_VIEW);
    Set<Path> parents = new LinkedHashSet<>();
    List<Path> all = new ArrayList<>(readWrite);
    all.addAll(readOnly);
    for (Path path : all) {
      if (!visibleAlready(path)) {
        for (Path p = path.toAbsolutePath().getParent(); p != null && p.getParent() != null; p = p.getParent()) {
          if (!OWN_MOUNTS.contains(p.toString())) {
            parents.add(p);
          }
        }
      }
    }
    parents.stream().sorted().forEach(p -> args.addAll(List.of("--perms", "0755", "--dir", p.toString())));
    for (Path path : readWrite) {
      if (!visibleAlready(path)) {
        args.addAll(List.of("--bind", path.toString(), path.toString()));
      }
    }
    for (Path path : readOnly) {
      if (!visibleAlready(path)) {
        args.addAll(List.of("--ro-bind", path.toString(), path.toString()));
      }
    }
    args.add("--");
    return args;
  }

  /** @return the target of a host system link ({@code /bin -> usr/bin}, {@code /var/run -> /run}) */
  private static String linkTarget(Path link) {
    try {
      return Files.readSymbolicLink(link).toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static boolean visibleAlready(Path path) {
    String p = path.toAbsolutePath().normalize().toString();
    return SYSTEM_TREES.stream().anyMatch(tree -> p.equals(tree) || p.startsWith(tree + "/"));
  }

  /** @return null when bwrap is installed, else what to run */
  static String missing() {
    return Files.isExecutable(Path.of(BINARY)) ? null
      : BINARY + " not found: apt-get install -y bubblewrap (or set provisioner.isolation: users-only)";
  }
}
