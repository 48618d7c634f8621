package io.tenantgateway.gateway.registry;

import java.nio.file.Path;
import java.util.List;

/**
 * Which unmanaged {@code backend} addresses a tenant may name. Never one inside the gateway's run
 * directory: those are the gateway's own sockets (other tenants' pools, the admin socket), and a
 * tenant routed to another's pool would run its requests as that tenant. With
 * {@code registry.backend_prefixes} set, only addresses that start with one of them
 * ({@code unix:/run/php/}, {@code tcp:10.0.0.}).
 *
 * @param prefixes the allowed prefixes; empty allows every address outside the run directory
 * @param runDir the gateway's run directory
 */
public record BackendPolicy(List<String> prefixes, Path runDir) {

  /**
   * Copies the list, normalises the run directory.
   */
  public BackendPolicy {
    prefixes = List.copyOf(prefixes);
    runDir = runDir.toAbsolutePath().normalize();
  }

  /**
   * @param tenant a parsed tenant
   * @throws InvalidTenantException naming {@code backend} when its address is not allowed
   */
  public void check(Tenant tenant) {
    String backend = tenant.backend();
    if (backend == null) {
      return;
    }
    if (backend.startsWith("unix:") && Path.of(backend.substring(5)).toAbsolutePath().normalize().startsWith(runDir)) {
      throw new InvalidTenantException(tenant.id(), "backend", "'" + backend + "' lies in the gateway's run directory "
        + runDir + ", whose sockets are the gateway's own");
    }
    String normalised = backend.startsWith("unix:")
      ? "unix:" + Path.of(backend.substring(5)).normalize() : backend;
    if (!prefixes.isEmpty() && prefixes.stream().noneMatch(normalised::startsWith)) {
      throw new InvalidTenantException(tenant.id(), "backend", "'" + backend + "' does not start with one of "
        + "registry.backend_prefixes " + prefixes);
    }
  }
}
