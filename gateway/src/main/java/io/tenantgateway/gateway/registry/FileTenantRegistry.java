package io.tenantgateway.gateway.registry;

import java.nio.file.Path;
import java.util.List;

/**
 * The embedded default registry: tenants read from a YAML file at start.
 */
public final class FileTenantRegistry implements TenantRegistry {

  private final Path file;
  private volatile List<Tenant> tenants;

  /**
   * Reads the file at once; an invalid file fails here, so the gateway refuses to start.
   *
   * @param file the tenants file
   */
  public FileTenantRegistry(Path file) {
    this.file = file;
    this.tenants = YamlTenantFile.read(file);
  }

  /** @return the file the tenants come from */
  public Path file() {
    return file;
  }

  @Override
  public List<Tenant> tenants() {
    return tenants;
  }
}
