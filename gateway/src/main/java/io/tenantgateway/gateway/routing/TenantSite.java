package io.tenantgateway.gateway.routing;

import io.tenantgateway.fcgi.FcgiEndpoint;
import io.tenantgateway.gateway.registry.Tenant;
import io.tenantgateway.provisioner.PoolLease;
import io.tenantgateway.provisioner.Isolation;
import io.tenantgateway.provisioner.PoolLimits;
import io.tenantgateway.provisioner.PoolSandbox;
import io.tenantgateway.provisioner.PoolSpec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A tenant as the request path needs it: the definition plus values derived once per registry
 * snapshot (real docroot for containment checks, the FastCGI endpoint, the SERVER_NAME).
 */
public final class TenantSite {

  private final Tenant tenant;
  private final Path docroot;
  private final Path realDocroot;
  private final List<Path> realReadOnlyPaths;
  private final FcgiEndpoint endpoint;
  private final String serverName;
  private final PoolSpec poolSpec;
  private final PoolLease backendLease;
  private final ConcurrencyLimit concurrency;

  /**
   * @param tenant the validated tenant
   */
  public TenantSite(Tenant tenant) {
    this.tenant = tenant;
    this.docroot = Path.of(tenant.docroot());
    this.realDocroot = realPathOrSelf(docroot);
    this.realReadOnlyPaths = tenant.readOnlyPaths().stream().map(p -> realPathOrSelf(Path.of(p))).toList();
    this.endpoint = tenant.backend() == null ? null : FcgiEndpoint.parse(tenant.backend(), tenant.php().maxChildren());
    this.backendLease = endpoint == null ? null : PoolLease.unmanaged(endpoint);
    this.poolSpec = new PoolSpec(tenant.id(), docroot, tenant.php().maxChildren(), tenant.php().idleTimeoutSeconds(),
      tenant.php().requestTimeoutSeconds(), tenant.php().ini(), tenant.php().env(),
      new PoolLimits(tenant.limits().memoryMb(), tenant.limits().cpuPercent(), tenant.limits().pids()),
      new PoolSandbox(Isolation.named(tenant.isolation().mode()), tenant.isolation().privateNetwork(),
        tenant.isolation().unixSockets().stream().map(Path::of).toList(), Path.of(tenant.root()),
        tenant.readOnlyPaths().stream().map(Path::of).toList()));
    this.concurrency = new ConcurrencyLimit(tenant.limits().maxConcurrent());
    this.serverName = tenant.domains().stream().filter(d -> !d.startsWith("*.")).findFirst().orElse(null);
  }

  private static Path realPathOrSelf(Path docroot) {
    try {
      return docroot.toRealPath();
    } catch (IOException e) {
      return docroot.toAbsolutePath().normalize();
    }
  }

  /** @return the tenant definition */
  public Tenant tenant() {
    return tenant;
  }

  /** @return the tenant id */
  public String id() {
    return tenant.id();
  }

  /** @return the docroot as configured (DOCUMENT_ROOT) */
  public Path docroot() {
    return docroot;
  }

  /** @return the docroot with symlinks resolved; nothing outside it is served or executed */
  public Path realDocroot() {
    return realDocroot;
  }

  /**
   * @return the tenant's {@code read_only_paths} with symlinks resolved: a static file of the docroot
   *     that is a link into one of them is served when everyone may read it (Debian's packaged apps
   *     link their assets into {@code /usr/share/javascript})
   */
  public List<Path> realReadOnlyPaths() {
    return realReadOnlyPaths;
  }

  /** @return the lease of every request to the unmanaged backend, or null for a managed pool */
  public PoolLease backendLease() {
    return backendLease;
  }

  /** @return the cap on the tenant's script requests in flight ({@code limits.max_concurrent}) */
  public ConcurrencyLimit concurrency() {
    return concurrency;
  }

  /** @return the managed pool's spec (used when {@link #endpoint()} is null) */
  public PoolSpec poolSpec() {
    return poolSpec;
  }

  /** @return the unmanaged backend, or null when the provisioner runs the pool */
  public FcgiEndpoint endpoint() {
    return endpoint;
  }

  /**
   * @param requestHost the normalised Host of the request
   * @return SERVER_NAME: the first exact domain, as nginx gives the first server_name; the request
   *     host when the tenant has only wildcards
   */
  public String serverName(String requestHost) {
    return serverName != null ? serverName : requestHost;
  }
}
