package io.tenantgateway.provisioner;

import java.nio.file.Path;
import java.util.Map;

/**
 * What the provisioner needs to run one tenant's pool. Two specs that are equal give the same
 * php-fpm configuration; a changed spec means a restart.
 *
 * @param id the tenant id, {@code [a-z0-9][a-z0-9-]{0,31}}
 * @param docroot the document root, inside {@link #root()} (open_basedir is that tree, the pool's
 *     private tmp dir and the sandbox's read-only paths)
 * @param maxChildren {@code pm.max_children}
 * @param idleTimeoutSeconds no request for this long stops the pool
 * @param requestTimeoutSeconds {@code request_terminate_timeout}
 * @param ini operator ini values, as {@code php_admin_value}
 * @param env environment variables of the workers
 * @param limits memory, CPU and process limits (cgroups)
 * @param sandbox the tenant's isolation and network
 */
public record PoolSpec(String id, Path docroot, int maxChildren, int idleTimeoutSeconds, int requestTimeoutSeconds,
                       Map<String, String> ini, Map<String, String> env, PoolLimits limits, PoolSandbox sandbox) {

  /**
   * Copies the maps.
   */
  public PoolSpec {
    ini = Map.copyOf(ini);
    env = Map.copyOf(env);
    limits = limits == null ? PoolLimits.NONE : limits;
    sandbox = sandbox == null ? PoolSandbox.DEFAULT : sandbox;
  }

  /** @return the tree the pool may read and write: the sandbox's root, else the docroot */
  public Path root() {
    return sandbox.root() != null ? sandbox.root() : docroot;
  }

  /**
   * A pool with the gateway's isolation and the host's network.
   *
   * @param id the tenant id
   * @param docroot the document root
   * @param maxChildren {@code pm.max_children}
   * @param idleTimeoutSeconds idle time before the pool stops
   * @param requestTimeoutSeconds {@code request_terminate_timeout}
   * @param ini operator ini values
   * @param env worker environment
   * @param limits memory, CPU and process limits
   */
  public PoolSpec(String id, Path docroot, int maxChildren, int idleTimeoutSeconds, int requestTimeoutSeconds,
                  Map<String, String> ini, Map<String, String> env, PoolLimits limits) {
    this(id, docroot, maxChildren, idleTimeoutSeconds, requestTimeoutSeconds, ini, env, limits, PoolSandbox.DEFAULT);
  }

  /**
   * A pool without resource limits.
   *
   * @param id the tenant id
   * @param docroot the document root
   * @param maxChildren {@code pm.max_children}
   * @param idleTimeoutSeconds idle time before the pool stops
   * @param requestTimeoutSeconds {@code request_terminate_timeout}
   * @param ini operator ini values
   * @param env worker environment
   */
  public PoolSpec(String id, Path docroot, int maxChildren, int idleTimeoutSeconds, int requestTimeoutSeconds,
                  Map<String, String> ini, Map<String, String> env) {
    this(id, docroot, maxChildren, idleTimeoutSeconds, requestTimeoutSeconds, ini, env, PoolLimits.NONE,
      PoolSandbox.DEFAULT);
  }
}
