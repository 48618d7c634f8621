package io.tenantgateway.provisioner.impl;

import io.tenantgateway.provisioner.Isolation;
import io.tenantgateway.provisioner.PoolSpec;
import io.tenantgateway.provisioner.files.Openat2;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders a pool's configuration and spawns its php-fpm master in the foreground. Blocking: call
 * it from a worker thread.
 *
 * <p>The pool socket is bound as root in the gateway's own directory by the first link of the
 * command, s6's {@code s6-ipcserver-socketbinder} (blocking, backlog 511, mode 0600), and handed on
 * as fd 3 (execline's {@code fdmove}, then {@code redirfd} gives stdin /dev/null back), with
 * {@code FPM_SOCKETS} telling php-fpm to use it instead of binding its own: the tenant can never
 * bind or replace the socket, and a request waits in its backlog while php-fpm boots. Then, with
 * namespaces, {@link Bubblewrap}; then, as
 * root, util-linux {@code setpriv} to the tenant's user {@code tg-<id>}, so that neither the master
 * nor its workers hold root; then php-fpm, whose output (its log with {@code --force-stderr}, its
 * workers' output) comes back through a pipe ({@link PoolOutput}). Where cgroups are writable the
 * pool joins the tenant's groups while it is one process held at its first gate ({@link #stage}),
 * before any request is sent to it.
 */
public final class PhpFpmLauncher {

  /** Binds a Unix socket and execs the rest with it as fd 0 (Debian package s6). */
  static final String SOCKET_BINDER = "/usr/bin/s6-ipcserver-socketbinder";
  /** Moves a descriptor (Debian package execline). */
  static final String FDMOVE = "/usr/lib/execline/bin/fdmove";
  /** Opens a file onto a descriptor (Debian package execline). */
  static final String REDIRFD = "/usr/lib/execline/bin/redirfd";

  private final PoolConfigRenderer renderer;
  private final String binary;
  private final TenantIdentity identity;
  private final Cgroups cgroups;
  private final Isolation isolation;

  /**
   * @param renderer renders the pool configuration
   * @param binary the php-fpm executable
   * @param identity decides the Unix user of each pool
   * @param cgroups applies the pool's resource limits
   * @param isolation whether pools run in their own namespaces
   */
  public PhpFpmLauncher(PoolConfigRenderer renderer, String binary, TenantIdentity identity, Cgroups cgroups,
                        Isolation isolation) {
    this.renderer = renderer;
    this.binary = binary;
    this.identity = identity;
    this.cgroups = cgroups;
    this.isolation = isolation;
    if (isolation == Isolation.NAMESPACES && Bubblewrap.missing() != null) {
      throw new IllegalStateException(Bubblewrap.missing());
    }
    for (String tool : List.of(SOCKET_BINDER, FDMOVE, REDIRFD)) {
      if (!Files.isExecutable(Path.of(tool))) {
        throw new IllegalStateException(tool + " not found: apt-get install -y s6 execline");
      }
    }
  }

  /** @return the isolation in force */
  public Isolation isolation() {
    return isolation;
  }

  /**
   * Kills what is left of the tenant's previous pool, prepares its files and spawns it: staged (its
   * socket listening, its sandbox built and checked, in its cgroups), then let run at once.
   *
   * @param spec the pool
   * @param layout its files
   * @return the started pool
   * @throws IOException when the files cannot be written or the process not started
   */
  public PoolProcess launch(PoolSpec spec, PoolLayout layout) throws IOException {
    StagedPool staged = stage(spec, layout);
    try {
      staged.awaitReady();
      return staged.go();
    } catch (IOException e) {
      staged.discard();
      throw e;
    }
  }

  /**
   * Does all of a launch but php-fpm's own start: kills what is left of the tenant's previous pool,
   * prepares its files, spawns the command held at its first gate, moves it into the tenant's
   * cgroups and lets it on: it binds the socket, builds the sandbox, says it is ready and waits, as
   * root, for {@link StagedPool#go}; nothing of the tenant runs until then. Returns without waiting
   * for the build.
   *
   * @param spec the pool
   * @param layout its files
   * @return the staged pool
   * @throws IOException when the files cannot be written, the process not started, not confined, or its
   *     sandbox holds other files than those checked
   */
  public StagedPool stage(PoolSpec spec, PoolLayout layout) throws IOException {
    TenantIdentity.User user = prepare(spec, layout);
    List<Path> procs = cgroups.prepare(spec.id(), spec.limits());
    Command command = command(spec, layout, user);
    Process process = spawn(command.staged(), layout, ProcessBuilder.Redirect.PIPE);
    StagedPool staged = new StagedPool(spec, command, process, user.uid(), procs, layout.socket());
    // one process yet, held at the first gate: the move is one write per group, and what it
    // spawns next is born in the groups (a move of a whole tree held off forks machine-wide)
    joinOrKill(process, procs, spec.id());
    try {
      staged.build();
    } catch (IOException e) {
      staged.discard();
      throw e;
    }
    return staged;
  }

  /**
   * @param staged a staged pool
   * @param spec the pool as it must start now
   * @param layout its files
   * @return true when the staged process would run exactly the command a launch would run now
   *     (the same spec, and the same paths found safe to bind, checked again now)
   * @throws IOException when a path is no longer safe to bind (the staged process is then unusable)
   */
  public boolean matches(StagedPool staged, PoolSpec spec, PoolLayout layout) throws IOException {
    return staged.spec().equals(spec) && staged.command().equals(currentCommand(spec, layout));
  }

  /**
   * @param pool a pool let run from its staged process on a matching spec
   * @param spec the pool as it must run now
   * @param layout its files
   * @return true when it runs exactly the command a launch would run now (the same paths found
   *     safe to bind, checked again now)
   * @throws IOException when a path is no longer safe to bind
   */
  public boolean runsCurrentCommand(PoolProcess pool, PoolSpec spec, PoolLayout layout) throws IOException {
    return pool.command().equals(currentCommand(spec, layout));
  }

  private Command currentCommand(PoolSpec spec, PoolLayout layout) throws IOException {
    return command(spec, layout, identity.userFor(spec.id()));
  }

  private TenantIdentity.User prepare(PoolSpec spec, PoolLayout layout) throws IOException {
    TenantIdentity.User user = identity.userFor(spec.id());
    cgroups.killAll(spec.id());
    PoolDirectory.prepare(layout, user, renderer.render(spec, layout, ""));
    return user;
  }

  /**
   * The command of a pool: s6's socket binder, execline's descriptor moves, bwrap (with namespaces),
   * setpriv (as root), php-fpm. Checks that every path bwrap would bind is reached without a link.
   */
  private Command command(PoolSpec spec, PoolLayout layout, TenantIdentity.User user) throws IOException {
    List<String> sandbox = new ArrayList<>(List.of(SOCKET_BINDER, "-B", "-b", "511", "-a", "0600",
      layout.socket().toString(), FDMOVE, "3", "0", REDIRFD, "-r", "0", "/dev/null"));
    int depth = 0;
    SandboxMounts mounts = SandboxMounts.NONE;
    Isolation effective = isolationOf(spec, user);
    if (effective == Isolation.NAMESPACES) {
      // bwrap mounts as root and follows symlinks: a tenant that can write its tree's parent could
      // swap the tree for a link to another tenant's (checked here, and again inside the sandbox)
      List<SandboxMounts.Bound> bound = new ArrayList<>(List.of(SandboxMounts.pin("root", spec.root()),
        SandboxMounts.pin("tmp dir", layout.tmp()), SandboxMounts.pin("configuration", layout.config())));
      List<Path> readOnly = new ArrayList<>(List.of(layout.config()));
      for (Path path : spec.sandbox().readOnlyPaths()) {
        if (Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          bound.add(SandboxMounts.pin("read-only path", path));
          readOnly.add(path);
        }
      }
      for (Path socket : spec.sandbox().unixSockets()) {
        if (Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          SandboxMounts.Bound pinned = SandboxMounts.pin("unix socket", socket);
          if (pinned.id().type() != Openat2.S_IFSOCK) {
            throw new IOException("unix socket " + socket + " of " + spec.id() + " is not a socket: refused");
          }
          bound.add(pinned);
          readOnly.add(socket);
        }
      }
      sandbox.addAll(Bubblewrap.arguments(spec.id(), List.of(spec.root(), layout.tmp()), readOnly,
        spec.sandbox().privateNetwork()));
      depth = Bubblewrap.MASTER_DEPTH;
      mounts = new SandboxMounts(List.copyOf(bound));
    }
    List<String> pool = new ArrayList<>();
    if (user.switchUser()) {
      pool.addAll(List.of("/usr/bin/setpriv", "--reuid=" + user.uid(), "--regid=" + user.gid(), "--init-groups",
        "--inh-caps=-all"));
    }
    pool.addAll(List.of(binary, "--nodaemonize", "--force-stderr", "--fpm-config", layout.config().toString(),
      "--prefix", layout.tmp().toString()));
    return new Command(sandbox, pool, depth, mounts);
  }

  private static Process spawn(List<String> argv, PoolLayout layout, ProcessBuilder.Redirect input)
    throws IOException {
    ProcessBuilder builder = new ProcessBuilder(argv)
      .directory(layout.dir().toFile())
      .redirectErrorStream(true)
      .redirectInput(input);
    builder.environment().clear();
    builder.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    builder.environment().put("FPM_SOCKETS", layout.socket() + "=3");
    return builder.start();
  }

  /**
   * A pool's command in two parts: what builds its socket and sandbox, and what runs php-fpm in it.
   *
   * @param sandbox socket binder, descriptor moves, bwrap
   * @param pool setpriv and php-fpm
   * @param depth generations from the spawned process to the master
   * @param mounts what the sandbox binds, to be found in it once built
   */
  record Command(List<String> sandbox, List<String> pool, int depth, SandboxMounts mounts) {

    /** Waits for one line on stdin, then runs the rest (POSIX sh, Debian's dash). */
    private static final String HOLD = "read -r build && exec \"$@\"";
    /**
     * Says it is ready (the socket listens, the sandbox is built), waits for one line on descriptor
     * 4, closes it, then runs the rest.
     */
    private static final String WAIT = "echo " + StagedPool.READY + " && read -r go <&4 && exec 4<&- && exec \"$@\"";

    /**
     * @return the staged command: a shell that waits for a first line on stdin (the gate pipe)
     *     before anything is built, then the pipe moved to descriptor 4, the sandbox, and a shell
     *     in it that waits for a second line before the pool's part
     */
    List<String> staged() {
      List<String> all = new ArrayList<>(List.of("/bin/sh", "-c", HOLD, "tenant-gateway-stage", FDMOVE, "4", "0"));
      all.addAll(sandbox);
      all.addAll(List.of("/bin/sh", "-c", WAIT, "tenant-gateway-staged"));
      all.addAll(pool);
      return all;
    }
  }

  /**
   * @return the tenant's isolation, else the gateway's
   * @throws IOException when the tenant's settings cannot be had here
   */
  private Isolation isolationOf(PoolSpec spec, TenantIdentity.User user) throws IOException {
    Isolation effective = spec.sandbox().isolation() != null ? spec.sandbox().isolation() : isolation;
    if (effective == Isolation.NAMESPACES && !user.switchUser()) {
      throw new IOException("isolation namespaces needs the gateway to run as root");
    }
    if (effective == Isolation.NAMESPACES && Bubblewrap.missing() != null) {
      throw new IOException(Bubblewrap.missing());
    }
    if (effective == Isolation.USERS_ONLY && spec.sandbox().privateNetwork()) {
      throw new IOException("network: none needs isolation: namespaces (the pool's own network namespace)");
    }
    return effective;
  }

  /** Moves a spawned process and its descendants into the groups; kills them all when it cannot. */
  private void joinOrKill(Process spawned, List<Path> procs, String tenant) throws IOException {
    try {
      cgroups.join(spawned.toHandle(), procs);
    } catch (IOException | RuntimeException e) {
      spawned.descendants().forEach(ProcessHandle::destroyForcibly);
      spawned.destroyForcibly();
      throw e instanceof IOException ? (IOException) e
        : new IOException("cannot move the pool of " + tenant + " into its cgroups", e);
    }
  }

  /**
   * @param configured an explicit path, or null
   * @return the php-fpm binary: the configured one, {@code php-fpm} on the PATH, or the newest
   *     {@code /usr/sbin/php-fpm*}
   * @throws IllegalStateException with the install command when there is none
   */
  public static String findBinary(String configured) {
    if (configured != null && !configured.isEmpty()) {
      return configured;
    }
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, "php-fpm"))) {
        return Path.of(dir, "php-fpm").toString();
      }
    }
    try (var list = Files.list(Path.of("/usr/sbin"))) {
      return list.filter(p -> p.getFileName().toString().matches("php-fpm[0-9.]+") && Files.isExecutable(p))
        .map(Path::toString).max(String::compareTo)
        .orElseThrow(() -> new IllegalStateException("php-fpm not found: apt-get install -y php-fpm"));
    } catch (IOException e) {
      throw new IllegalStateException("php-fpm not found: apt-get install -y php-fpm", e);
    }
  }
}
