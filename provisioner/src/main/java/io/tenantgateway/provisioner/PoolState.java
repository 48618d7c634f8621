package io.tenantgateway.provisioner;

/**
 * The life of a pool (docs/ARCHITECTURE.md): {@code STOPPED → STARTING → RUNNING → STOPPING → STOPPED}; an
 * unexpected exit goes to {@code CRASHED}, after repeated crashes to {@code FAILED}.
 */
public enum PoolState {
  /** No process; the next request starts one. */
  STOPPED,
  /** php-fpm spawned, not answering its ping yet; requests wait. */
  STARTING,
  /** Answering requests. */
  RUNNING,
  /** Asked to stop; in-flight requests finish, new ones wait for the next start. */
  STOPPING,
  /** Exited unexpectedly; the next request restarts it after a back-off. */
  CRASHED,
  /** Crashed too often; requests get 503 at once until the cool-down passes or an operator restarts it. */
  FAILED
}
