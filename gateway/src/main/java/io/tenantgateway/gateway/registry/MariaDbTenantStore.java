package io.tenantgateway.gateway.registry;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.tenantgateway.gateway.config.ConfigException;
import io.vertx.core.json.JsonObject;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The shared registry in MariaDB, for several gateways serving the same tenants.
 *
 * <p>Tables (created by the Flyway migrations in {@code db/migration}): {@code tenants} holds each
 * tenant's JSON and its version (1 after create, +1 per replace); {@code tenant_domains} gives each
 * domain one owner through its primary key, so two gateways writing at once cannot both take a
 * domain; {@code tenant_changes} is an append-only log of every write with its actor.
 *
 * <p>Every write is one transaction. Connections come from a HikariCP pool whose connect and socket
 * timeouts are the settings' {@code timeoutMillis}: when the server cannot be reached a call fails
 * with {@link RegistryException.Reason#UNAVAILABLE} in about that time instead of hanging, and works
 * again once the server is back, without reopening the store. Blocking (JDBC): call it from a worker
 * thread only.
 */
public final class MariaDbTenantStore implements TenantStore {

  /** The name of the connection pool, as HikariCP logs it. */
  public static final String POOL_NAME = "tenant-registry";
  /** Where the schema migrations are on the class path. */
  public static final String MIGRATIONS = "classpath:db/migration";

  private static final Logger LOG = LoggerFactory.getLogger(MariaDbTenantStore.class);

  /** Migrations may wait for another gateway's migration lock, so their reads wait longer. */
  private static final long MIGRATION_SOCKET_TIMEOUT_MILLIS = 120_000;
  /** Attempts of a write that the server chose as a deadlock victim. */
  private static final int WRITE_ATTEMPTS = 3;
  /** Longest actor kept in the change log ({@code tenant_changes.actor}). */
  private static final int MAX_ACTOR_LENGTH = 255;
  private static final int ER_DUP_ENTRY = 1062;
  private static final int ER_ACCESS_DENIED = 1045;
  private static final int ER_DBACCESS_DENIED = 1044;
  private static final String DEADLOCK_STATE = "40001";

  private final MariaDbSettings settings;
  private final HikariDataSource pool;

  private MariaDbTenantStore(MariaDbSettings settings, HikariDataSource pool) {
    this.settings = settings;
    this.pool = pool;
  }

  /**
   * Creates the database when missing, connects (HikariCP) and migrates the schema. Blocking.
   *
   * @param settings where the database is
   * @return the store
   * @throws ConfigException when the server cannot be reached, refuses the user, or the schema cannot
   *     be migrated; the message names the URL and the user, never the password
   */
  public static MariaDbTenantStore open(MariaDbSettings settings) {
    createDatabaseIfMissing(settings);
    migrate(settings);
    HikariDataSource pool;
    try {
      pool = dataSource(settings, POOL_NAME, settings.poolSize(), settings.timeoutMillis());
    } catch (RuntimeException e) {
      throw startFailure(settings, e);
    }
    MariaDbTenantStore store = new MariaDbTenantStore(settings, pool);
    LOG.info("registry: {} ready, pool of {}", store.describe(), settings.poolSize());
    return store;
  }

  @Override
  public List<StoredTenant> loadAll() {
    return inConnection("loadAll", connection -> {
      List<StoredTenant> tenants = new ArrayList<>();
      try (PreparedStatement select = connection.prepareStatement(
        "SELECT id, version, definition FROM tenants ORDER BY id");
           ResultSet rows = select.executeQuery()) {
        while (rows.next()) {
          StoredTenant tenant = parseRow(rows.getString(1), rows.getLong(2), rows.getString(3));
          if (tenant != null) {
            tenants.add(tenant);
          }
        }
      }
      return tenants;
    });
  }

  @Override
  public StoredTenant create(Tenant tenant, String actor) {
    String definition = tenant.toJson().encode();
    StoredTenant created = inTransaction("create " + tenant.id(), connection -> {
      insertTenant(connection, tenant, definition);
      insertDomains(connection, tenant);
      appendChange(connection, tenant.id(), "create", actor, 1, definition);
      return new StoredTenant(tenant, 1);
    });
    LOG.info("registry: created {} by {}", tenant.id(), actor);
    return created;
  }

  @Override
  public StoredTenant replace(Tenant tenant, Long expectedVersion, String actor) {
    String definition = tenant.toJson().encode();
    StoredTenant replaced = inTransaction("replace " + tenant.id(), connection -> {
      long version = lockRow(connection, tenant.id(), expectedVersion).version() + 1;
      updateTenant(connection, tenant.id(), definition, version);
      deleteDomains(connection, tenant.id());
      insertDomains(connection, tenant);
      appendChange(connection, tenant.id(), "replace", actor, version, definition);
      return new StoredTenant(tenant, version);
    });
    LOG.info("registry: replaced {} by {}, version {}", tenant.id(), actor, replaced.version());
    return replaced;
  }

  @Override
  public StoredTenant delete(String id, Long expectedVersion, String actor) {
    StoredTenant deleted = inTransaction("delete " + id, connection -> {
      Row row = lockRow(connection, id, expectedVersion);
      StoredTenant before = parseRow(id, row.version(), row.definition());
      if (before == null) {
        throw new IllegalStateException("tenant '" + id + "' has an invalid definition in the database; replace it "
          + "with a valid one, then delete it");
      }
      try (PreparedStatement delete = connection.prepareStatement("DELETE FROM tenants WHERE id = ?")) {
        delete.setString(1, id);
        delete.executeUpdate();
      }
      appendChange(connection, id, "delete", actor, row.version(), null);
      return before;
    });
    LOG.info("registry: deleted {} by {}", id, actor);
    return deleted;
  }

  /**
   * {@inheritDoc}
   *
   * <p>The last change-log id, the number of tenants and the last {@code updated_at}: every write
   * through a gateway moves the first, and rows inserted, deleted or updated by hand move the others.
   */
  @Override
  public String changeMarker() {
    return inConnection("changeMarker", connection -> {
      try (PreparedStatement select = connection.prepareStatement(
        "SELECT (SELECT COALESCE(MAX(id), 0) FROM tenant_changes), (SELECT COUNT(*) FROM tenants), "
          + "(SELECT MAX(updated_at) FROM tenants)");
           ResultSet row = select.executeQuery()) {
        row.next();
        return row.getLong(1) + "/" + row.getLong(2) + "/" + row.getString(3);
      }
    });
  }

  @Override
  public String describe() {
    return "mariadb " + settings.redactedUrl() + " as " + settings.user();
  }

  @Override
  public long timeoutMillis() {
    return settings.timeoutMillis();
  }

  @Override
  public void close() {
    pool.close();
    LOG.info("registry: {} closed", describe());
  }

  // ---- opening

  private static void createDatabaseIfMissing(MariaDbSettings settings) {
    String database = settings.database();
    Properties properties = driverProperties(settings, settings.timeoutMillis());
    properties.setProperty("user", settings.user());
    properties.setProperty("password", settings.password());
    try (Connection connection = DriverManager.getConnection(settings.serverUrl(), properties)) {
      if (databaseExists(connection, database)) {
        return;
      }
      try (PreparedStatement create = connection.prepareStatement("CREATE DATABASE IF NOT EXISTS `" + database
        + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")) {
        create.execute();
      }
      LOG.info("registry: created database {} on {}", database, settings.serverUrl());
    } catch (SQLException e) {
      throw startFailure(settings, e);
    }
  }

  private static boolean databaseExists(Connection connection, String database) throws SQLException {
    try (PreparedStatement select = connection.prepareStatement(
      "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?")) {
      select.setString(1, database);
      try (ResultSet rows = select.executeQuery()) {
        return rows.next();
      }
    }
  }

  private static void migrate(MariaDbSettings settings) {
    try (HikariDataSource migrations = dataSource(settings, POOL_NAME + "-migration", 1,
      MIGRATION_SOCKET_TIMEOUT_MILLIS)) {
      MigrateResult result = Flyway.configure(MariaDbTenantStore.class.getClassLoader())
        .dataSource(migrations)
        .locations(MIGRATIONS)
        .failOnMissingLocations(true)
        .load()
        .migrate();
      LOG.info("registry: schema of {} at version {} ({} migrations applied now)", settings.redactedUrl(),
        result.targetSchemaVersion != null ? result.targetSchemaVersion : result.initialSchemaVersion,
        result.migrationsExecuted);
    } catch (FlywayException e) {
      throw new ConfigException("cannot migrate the registry database " + settings.redactedUrl() + " as user '"
        + settings.user() + "': " + e.getMessage());
    } catch (RuntimeException e) {
      throw startFailure(settings, e);
    }
  }

  /**
   * @param socketTimeoutMillis the longest wait for an answer to a query
   */
  private static HikariDataSource dataSource(MariaDbSettings settings, String name, int size,
                                             long socketTimeoutMillis) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(name);
    config.setJdbcUrl(settings.jdbcUrl());
    config.setUsername(settings.user());
    config.setPassword(settings.password());
    config.setMaximumPoolSize(size);
    config.setConnectionTimeout(settings.timeoutMillis());
    config.setValidationTimeout(Math.max(250, settings.timeoutMillis() / 2));
    config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    config.setConnectionInitSql("SET time_zone = '+00:00', innodb_lock_wait_timeout = "
      + Math.max(1, settings.timeoutMillis() / 1000));
    config.setDataSourceProperties(driverProperties(settings, socketTimeoutMillis));
    return new HikariDataSource(config);
  }

  private static Properties driverProperties(MariaDbSettings settings, long socketTimeoutMillis) {
    Properties properties = new Properties();
    properties.setProperty("connectTimeout", Long.toString(settings.timeoutMillis()));
    properties.setProperty("socketTimeout", Long.toString(socketTimeoutMillis));
    return properties;
  }

  private static ConfigException startFailure(MariaDbSettings settings, Exception e) {
    String where = settings.redactedUrl() + " as user '" + settings.user() + "'";
    SQLException sql = findSql(e);
    if (sql != null && (sql.getErrorCode() == ER_ACCESS_DENIED || sql.getErrorCode() == ER_DBACCESS_DENIED)) {
      return new ConfigException("the registry database " + where + " refused access: " + sql.getMessage()
        + ". Set GATEWAY_DB_USER and GATEWAY_DB_PASSWORD to an account that may create and use the database.");
    }
    return new ConfigException("cannot reach the registry database " + where + ": " + rootMessage(e)
      + ". Start MariaDB (e.g. 'service mariadb start') or point the gateway at a running server with "
      + "GATEWAY_DB_URL, GATEWAY_DB_USER and GATEWAY_DB_PASSWORD.");
  }

  // ---- writes

  private static void insertTenant(Connection connection, Tenant tenant, String definition) throws SQLException {
    try (PreparedStatement insert = connection.prepareStatement(
      "INSERT INTO tenants (id, definition, version) VALUES (?, ?, 1)")) {
      insert.setString(1, tenant.id());
      insert.setString(2, definition);
      insert.executeUpdate();
    } catch (SQLException e) {
      if (e.getErrorCode() == ER_DUP_ENTRY) {
        throw new RegistryException(RegistryException.Reason.CONFLICT, "id", "tenant '" + tenant.id()
          + "' already exists", e);
      }
      throw e;
    }
  }

  private static void updateTenant(Connection connection, String id, String definition, long version)
    throws SQLException {
    try (PreparedStatement update = connection.prepareStatement(
      "UPDATE tenants SET definition = ?, version = ? WHERE id = ?")) {
      update.setString(1, definition);
      update.setLong(2, version);
      update.setString(3, id);
      update.executeUpdate();
    }
  }

  private static void deleteDomains(Connection connection, String id) throws SQLException {
    try (PreparedStatement delete = connection.prepareStatement("DELETE FROM tenant_domains WHERE tenant_id = ?")) {
      delete.setString(1, id);
      delete.executeUpdate();
    }
  }

  /**
   * One statement per domain, so that the primary key violation names the domain at fault; the
   * database, not a check before the insert, decides who owns a domain.
   */
  private static void insertDomains(Connection connection, Tenant tenant) throws SQLException {
    try (PreparedStatement insert = connection.prepareStatement(
      "INSERT INTO tenant_domains (domain, tenant_id) VALUES (?, ?)")) {
      for (int i = 0; i < tenant.domains().size(); i++) {
        insert.setString(1, tenant.domains().get(i));
        insert.setString(2, tenant.id());
        try {
          insert.executeUpdate();
        } catch (SQLException e) {
          if (e.getErrorCode() == ER_DUP_ENTRY) {
            throw domainConflict(connection, tenant, i, e);
          }
          throw e;
        }
      }
    }
  }

  private static RegistryException domainConflict(Connection connection, Tenant tenant, int index,
                                                  SQLException cause) throws SQLException {
    String domain = tenant.domains().get(index);
    String owner = null;
    try (PreparedStatement select = connection.prepareStatement(
      "SELECT tenant_id FROM tenant_domains WHERE domain = ?")) {
      select.setString(1, domain);
      try (ResultSet rows = select.executeQuery()) {
        if (rows.next()) {
          owner = rows.getString(1);
        }
      }
    }
    return new RegistryException(RegistryException.Reason.CONFLICT, "domains[" + index + "]", "'" + domain
      + "' already belongs to " + (owner == null ? "another tenant" : "tenant '" + owner + "'"), cause);
  }

  private static void appendChange(Connection connection, String id, String action, String actor, long version,
                                   String definition) throws SQLException {
    String who = actor == null || actor.isBlank() ? "unknown" : actor;
    try (PreparedStatement insert = connection.prepareStatement(
      "INSERT INTO tenant_changes (tenant_id, action, actor, version, definition) VALUES (?, ?, ?, ?, ?)")) {
      insert.setString(1, id);
      insert.setString(2, action);
      insert.setString(3, who.length() > MAX_ACTOR_LENGTH ? who.substring(0, MAX_ACTOR_LENGTH) : who);
      insert.setLong(4, version);
      insert.setString(5, definition);
      insert.executeUpdate();
    }
  }

  /** A tenant row as a write reads it, locked until the transaction ends. */
  private record Row(long version, String definition) {
  }

  private static Row lockRow(Connection connection, String id, Long expectedVersion) throws SQLException {
    Row row;
    try (PreparedStatement select = connection.prepareStatement(
      "SELECT version, definition FROM tenants WHERE id = ? FOR UPDATE")) {
      select.setString(1, id);
      try (ResultSet rows = select.executeQuery()) {
        row = rows.next() ? new Row(rows.getLong(1), rows.getString(2)) : null;
      }
    }
    if (row == null) {
      throw new RegistryException(RegistryException.Reason.NOT_FOUND, null, "no tenant '" + id + "'");
    }
    if (expectedVersion != null && expectedVersion != row.version()) {
      throw new RegistryException(RegistryException.Reason.VERSION_MISMATCH, null, "tenant '" + id
        + "' is at version " + row.version() + ", not " + expectedVersion);
    }
    return row;
  }

  // ---- reading

  /** @return the tenant, or null (logged) when its definition is no longer valid */
  private StoredTenant parseRow(String id, long version, String definition) {
    try {
      Tenant tenant = TenantParser.parse(new JsonObject(definition), false);
      if (!tenant.id().equals(id)) {
        throw new IllegalArgumentException("its definition has the id '" + tenant.id() + "'");
      }
      return new StoredTenant(tenant, version);
    } catch (RuntimeException e) {
      LOG.warn("registry: tenant '{}' in {} skipped, its definition is not valid: {}", id, describe(),
        e.getMessage());
      return null;
    }
  }

  // ---- connections and failures

  /** Work done with a connection. */
  @FunctionalInterface
  private interface Work<T> {
    T run(Connection connection) throws SQLException;
  }

  private <T> T inConnection(String what, Work<T> work) {
    try (Connection connection = pool.getConnection()) {
      return work.run(connection);
    } catch (SQLException e) {
      throw failure(what, e);
    }
  }

  /** Runs the work in one transaction, again when the server chose it as a deadlock victim. */
  private <T> T inTransaction(String what, Work<T> work) {
    for (int attempt = 1; ; attempt++) {
      try (Connection connection = pool.getConnection()) {
        return commit(connection, work);
      } catch (SQLException e) {
        if (!DEADLOCK_STATE.equals(e.getSQLState()) || attempt == WRITE_ATTEMPTS) {
          throw failure(what, e);
        }
        LOG.debug("registry: {} was a deadlock victim, attempt {}", what, attempt);
      }
    }
  }

  private static <T> T commit(Connection connection, Work<T> work) throws SQLException {
    connection.setAutoCommit(false);
    try {
      T result = work.run(connection);
      connection.commit();
      return result;
    } catch (SQLException | RuntimeException e) {
      try {
        connection.rollback();
      } catch (SQLException rollback) {
        e.addSuppressed(rollback);
      }
      throw e;
    }
  }

  private RegistryException failure(String what, SQLException e) {
    if (isConnectionFailure(e)) {
      return new RegistryException(RegistryException.Reason.UNAVAILABLE, null, "registry database unreachable: "
        + rootMessage(e) + " (" + settings.redactedUrl() + ", " + what + ")", e);
    }
    LOG.error("registry: {} failed in {}", what, describe(), e);
    return new RegistryException(RegistryException.Reason.UNAVAILABLE, null, "registry database error: "
      + e.getMessage() + " (" + settings.redactedUrl() + ", " + what + ")", e);
  }

  private static boolean isConnectionFailure(SQLException e) {
    if (e instanceof SQLTransientConnectionException || e instanceof SQLNonTransientConnectionException
      || e instanceof SQLTimeoutException || e instanceof SQLRecoverableException
      || (e.getSQLState() != null && e.getSQLState().startsWith("08"))) {
      return true;
    }
    for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
      if (cause instanceof IOException || cause instanceof SQLTransientConnectionException
        || cause instanceof SQLNonTransientConnectionException) {
        return true;
      }
    }
    return false;
  }

  private static SQLException findSql(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof SQLException sql) {
        return sql;
      }
    }
    return null;
  }

  /** @return the outer message, with the innermost cause's when it adds something */
  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String outer = String.valueOf(e.getMessage());
    String inner = root.getMessage();
    return root == e || inner == null || outer.contains(inner) ? outer : outer + ": " + inner;
  }
}
