-- An append-only log of every write: who changed which tenant, when, and to what. Added after the
-- first release, so tenants that already exist get a 'create' entry with their current definition.
--
-- The log outlives deleted tenants, so tenant_id has no foreign key. definition is the tenant JSON
-- after the change, NULL for a deletion. The gateway also reads MAX(id) as part of its change
-- marker: every write through a gateway moves it, which is how other gateways notice.

CREATE TABLE tenant_changes (
  id BIGINT NOT NULL AUTO_INCREMENT,
  tenant_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  action ENUM ('create', 'replace', 'delete') NOT NULL,
  actor VARCHAR(255) NOT NULL,
  version BIGINT NOT NULL,
  changed_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  definition JSON NULL,
  PRIMARY KEY (id),
  KEY tenant_changes_tenant (tenant_id, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

INSERT INTO tenant_changes (tenant_id, action, actor, version, changed_at, definition)
SELECT id, 'create', 'migration V2', version, created_at, definition
FROM tenants
ORDER BY id;
