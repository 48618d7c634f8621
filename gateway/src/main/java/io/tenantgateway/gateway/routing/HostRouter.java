package io.tenantgateway.gateway.routing;

import io.tenantgateway.gateway.registry.Tenant;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Host name → tenant, from one immutable registry snapshot. Exact domains first, then the longest
 * matching {@code *.} wildcard (which, as in nginx, matches subdomains at any depth but not the bare
 * domain). Case, a port and a trailing dot are ignored.
 */
public final class HostRouter {

  private final Map<String, TenantSite> exact = new HashMap<>();
  private final Map<String, TenantSite> wildcard = new HashMap<>();

  /**
   * @param tenants the snapshot; disabled tenants are routed too (the caller decides what to answer)
   */
  public HostRouter(List<Tenant> tenants) {
    this(tenants.stream().map(TenantSite::new).toList());
  }

  private HostRouter(Collection<TenantSite> sites) {
    for (TenantSite site : sites) {
      for (String domain : site.tenant().domains()) {
        if (domain.startsWith("*.")) {
          wildcard.put(domain.substring(2), site);
        } else {
          exact.put(domain, site);
        }
      }
    }
  }

  /**
   * @param sites the sites of one registry snapshot
   * @return a router over them
   */
  public static HostRouter forSites(Collection<TenantSite> sites) {
    return new HostRouter(sites);
  }

  /**
   * @param host a host name as the client sent it, without port
   * @return the tenant's site, or null when no tenant serves the host
   */
  public TenantSite route(String host) {
    String name = normalize(host);
    if (name == null) {
      return null;
    }
    TenantSite site = exact.get(name);
    if (site != null) {
      return site;
    }
    for (int dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
      site = wildcard.get(name.substring(dot + 1));
      if (site != null) {
        return site;
      }
    }
    return null;
  }

  /**
   * @param host a host name
   * @return lower case without a trailing dot, or null when empty
   */
  public static String normalize(String host) {
    if (host == null) {
      return null;
    }
    String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    return name.isEmpty() ? null : name.toLowerCase(Locale.ROOT);
  }
}
