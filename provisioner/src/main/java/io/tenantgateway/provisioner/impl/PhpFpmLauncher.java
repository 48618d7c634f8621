package io.tenantgateway.provisioner.impl;

import io.tenantgateway.provisioner.PoolSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders a pool's configuration and spawns its php-fpm master in the foreground. Blocking: call
 * it from a worker thread.
 *
 * <p>When the gateway runs as root, each tenant gets a system user {@code tg-<id>} (created when
 * missing, no shell, no home) and the master itself is started as that user through util-linux
 * {@code setpriv}, so that neither the master nor its workers hold root. Otherwise every pool runs
 * as the gateway's own user. Where cgroups are writable, the master is moved into the tenant's groups
 * (memory, CPU, pids) right after the spawn, while php-fpm starts up, and {@link #launch} returns only
 * once it and any worker it forked meanwhile are in them (see {@link Cgroups#join}): nothing is sent
 * to the pool before that.
 */
public final class PhpFpmLauncher {

  private final PoolConfigRenderer renderer;
  private final String binary;
  private final TenantIdentity identity;
  private final Cgroups cgroups;

  /**
   * @param renderer renders the pool configuration
   * @param binary the php-fpm executable
   * @param identity decides the Unix user of each pool
   */
  public PhpFpmLauncher(PoolConfigRenderer renderer, String binary, TenantIdentity identity) {
    this(renderer, binary, identity, Cgroups.none());
  }

  /**
   * @param renderer renders the pool configuration
   * @param binary the php-fpm executable
   * @param identity decides the Unix user of each pool
   * @param cgroups applies the pool's resource limits
   */
  public PhpFpmLauncher(PoolConfigRenderer renderer, String binary, TenantIdentity identity, Cgroups cgroups) {
    this.renderer = renderer;
    this.binary = binary;
    this.identity = identity;
    this.cgroups = cgroups;
  }

  /**
   * @param spec the pool
   * @param layout its files
   * @return the master process and the uid it runs as
   * @throws IOException when the files cannot be written or the process not started
   */
  public Launched launch(PoolSpec spec, PoolLayout layout) throws IOException {
    TenantIdentity.User user = identity.userFor(spec.id());
    Files.createDirectories(layout.tmp());
    Files.deleteIfExists(layout.socket());
    Files.deleteIfExists(layout.pidFile());
    String config = renderer.render(spec, layout, "");
    Files.writeString(layout.config(), config, StandardCharsets.UTF_8);
    identity.handOver(user, layout.dir(), layout.tmp());
    List<String> command = new ArrayList<>();
    if (user.switchUser()) {
      command.addAll(List.of("setpriv", "--reuid=" + user.uid(), "--regid=" + user.gid(), "--init-groups",
        "--inh-caps=-all"));
    }
    command.addAll(List.of(binary, "--nodaemonize", "--fpm-config", layout.config().toString(),
      "--prefix", layout.dir().toString()));
    ProcessBuilder builder = new ProcessBuilder(command)
      .directory(layout.dir().toFile())
      .redirectErrorStream(true)
      .redirectOutput(ProcessBuilder.Redirect.appendTo(layout.log().toFile()));
    builder.environment().clear();
    builder.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    Process process = builder.start();
    try {
      // the groups' limits are written while php-fpm starts; the move itself waits for the kernel
      // (an RCU grace period), php-fpm meanwhile loads its extensions
      cgroups.join(process.toHandle(), cgroups.prepare(spec.id(), spec.limits()));
    } catch (IOException | RuntimeException e) {
      if (!process.isAlive()) {
        // php-fpm stopped by itself (a broken configuration): the start fails with its log
        return new Launched(process, user.uid());
      }
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      throw e instanceof IOException ? (IOException) e
        : new IOException("cannot move php-fpm into the cgroups of " + spec.id(), e);
    }
    return new Launched(process, user.uid());
  }

  /**
   * A started master.
   *
   * @param process the php-fpm master
   * @param uid the uid it runs as
   */
  public record Launched(Process process, long uid) {
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
