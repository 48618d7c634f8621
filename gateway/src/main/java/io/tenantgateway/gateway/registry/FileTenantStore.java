package io.tenantgateway.gateway.registry;

import io.tenantgateway.gateway.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The embedded default store: {@code conf/tenants.yaml}. Every write re-reads the file (so an edit
 * made by hand is never overwritten by a stale copy), checks the cross-tenant rules and replaces the
 * file atomically ({@link YamlTenantFile#write}). A tenant's version is a hash of its definition, so
 * it survives restarts and changes when the file is edited by hand.
 */
public final class FileTenantStore implements TenantStore {

  private static final Logger LOG = LoggerFactory.getLogger(FileTenantStore.class);

  private final Path file;

  /**
   * @param file the tenants file
   */
  public FileTenantStore(Path file) {
    this.file = file;
  }

  /** @return the file the tenants live in */
  public Path file() {
    return file;
  }

  @Override
  public synchronized List<StoredTenant> loadAll() {
    return YamlTenantFile.read(file).stream()
      .map(FileTenantStore::stored)
      .sorted(Comparator.comparing(StoredTenant::id))
      .toList();
  }

  @Override
  public synchronized StoredTenant create(Tenant tenant, String actor) {
    List<Tenant> tenants = new ArrayList<>(readForWrite());
    if (indexOf(tenants, tenant.id()) >= 0) {
      throw new RegistryException(RegistryException.Reason.CONFLICT, "id", "tenant '" + tenant.id()
        + "' already exists");
    }
    checkDomains(tenants, tenant);
    tenants.add(tenant);
    writeAll(tenants, "created " + tenant.id(), actor);
    return stored(tenant);
  }

  @Override
  public synchronized StoredTenant replace(Tenant tenant, Long expectedVersion, String actor) {
    List<Tenant> tenants = new ArrayList<>(readForWrite());
    int at = existing(tenants, tenant.id(), expectedVersion);
    checkDomains(tenants, tenant);
    tenants.set(at, tenant);
    writeAll(tenants, "replaced " + tenant.id(), actor);
    return stored(tenant);
  }

  @Override
  public synchronized StoredTenant delete(String id, Long expectedVersion, String actor) {
    List<Tenant> tenants = new ArrayList<>(readForWrite());
    int at = existing(tenants, id, expectedVersion);
    Tenant removed = tenants.remove(at);
    writeAll(tenants, "deleted " + id, actor);
    return stored(removed);
  }

  @Override
  public String changeMarker() {
    try {
      BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
      return attributes.lastModifiedTime().toInstant() + "/" + attributes.size() + "/" + attributes.fileKey();
    } catch (NoSuchFileException e) {
      return "missing";
    } catch (IOException e) {
      throw new RegistryException(RegistryException.Reason.UNAVAILABLE, null, "cannot read " + file + ": "
        + e.getMessage(), e);
    }
  }

  @Override
  public String describe() {
    return "file " + file;
  }

  @Override
  public void close() {
  }

  private static StoredTenant stored(Tenant tenant) {
    return new StoredTenant(tenant, TenantVersion.of(tenant));
  }

  private List<Tenant> readForWrite() {
    try {
      return YamlTenantFile.read(file);
    } catch (ConfigException e) {
      throw new RegistryException(RegistryException.Reason.UNAVAILABLE, null,
        "the tenants file cannot be read, fix it first: " + e.getMessage(), e);
    }
  }

  private static int indexOf(List<Tenant> tenants, String id) {
    for (int i = 0; i < tenants.size(); i++) {
      if (tenants.get(i).id().equals(id)) {
        return i;
      }
    }
    return -1;
  }

  private static int existing(List<Tenant> tenants, String id, Long expectedVersion) {
    int at = indexOf(tenants, id);
    if (at < 0) {
      throw new RegistryException(RegistryException.Reason.NOT_FOUND, null, "no tenant '" + id + "'");
    }
    long current = TenantVersion.of(tenants.get(at));
    if (expectedVersion != null && expectedVersion != current) {
      throw new RegistryException(RegistryException.Reason.VERSION_MISMATCH, null, "tenant '" + id
        + "' is at version " + current + ", not " + expectedVersion);
    }
    return at;
  }

  private static void checkDomains(List<Tenant> tenants, Tenant tenant) {
    for (Tenant other : tenants) {
      if (other.id().equals(tenant.id())) {
        continue;
      }
      for (int d = 0; d < tenant.domains().size(); d++) {
        if (other.domains().contains(tenant.domains().get(d))) {
          throw new RegistryException(RegistryException.Reason.CONFLICT, "domains[" + d + "]", "'"
            + tenant.domains().get(d) + "' already belongs to tenant '" + other.id() + "'");
        }
      }
    }
  }

  private void writeAll(List<Tenant> tenants, String what, String actor) {
    try {
      YamlTenantFile.write(file, tenants);
    } catch (IOException e) {
      throw new RegistryException(RegistryException.Reason.UNAVAILABLE, null, "cannot write " + file + ": "
        + e.getMessage(), e);
    }
    LOG.info("registry: {} by {} in {}", what, actor, file);
  }
}
