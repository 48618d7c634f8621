-- The shared tenant registry: one row per tenant and one row per domain.
--
-- tenants.definition is the tenant JSON of DESIGN.md, as the admin API shows it; the gateway reads
-- it back with TenantParser. tenants.version counts writes (1 after create) for If-Match.
-- tenant_domains exists for its primary key: a domain belongs to one tenant, enforced by the
-- database even when two gateways write at the same time.
-- DATETIME rather than TIMESTAMP, which ends in 2038; the gateway's sessions run in UTC.

CREATE TABLE tenants (
  id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  definition JSON NOT NULL,
  version BIGINT NOT NULL DEFAULT 1,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  CONSTRAINT tenants_version_positive CHECK (version > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE tenant_domains (
  domain VARCHAR(253) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  tenant_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  PRIMARY KEY (domain),
  KEY tenant_domains_tenant (tenant_id),
  CONSTRAINT tenant_domains_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
