package io.tenantgateway.gateway.testing;

import io.tenantgateway.gateway.registry.MariaDbSettings;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;

/**
 * Test fixture: a fresh, uniquely named database on a real MariaDB server, dropped by {@link #close()}.
 *
 * <pre>
 * try (TestDatabase db = TestDatabase.create()) {
 *   MariaDbTenantStore store = MariaDbTenantStore.open(db.settings(1000));
 * }
 * </pre>
 *
 * <p>The server is {@code 127.0.0.1:3306} as {@code root} without a password, or the one in
 * {@value #URL_VARIABLE} (a JDBC URL of a server, e.g. {@code jdbc:mariadb://db.test:3306/}) with
 * {@value #USER_VARIABLE} and {@value #PASSWORD_VARIABLE}. When no server answers, {@link #create()}
 * fails and says how to get one: tests never skip for a missing database.
 */
public final class TestDatabase implements AutoCloseable {

  /** The environment variable naming another server. */
  public static final String URL_VARIABLE = "GATEWAY_TEST_DB_URL";
  /** The user on that server ({@code root} when unset). */
  public static final String USER_VARIABLE = "GATEWAY_TEST_DB_USER";
  /** The password of that user (empty when unset). */
  public static final String PASSWORD_VARIABLE = "GATEWAY_TEST_DB_PASSWORD";
  /** The server used when {@value #URL_VARIABLE} is unset. */
  public static final String DEFAULT_SERVER_URL = "jdbc:mariadb://127.0.0.1:3306/";
  /** Every database this fixture creates starts with this, to find leftovers. */
  public static final String NAME_PREFIX = "tg_test_";

  private static final int CONNECT_TIMEOUT_MILLIS = 3_000;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String serverUrl;
  private final String user;
  private final String password;
  private final String name;
  private final List<String> created = new ArrayList<>();

  private TestDatabase(String serverUrl, String user, String password, String name) {
    this.serverUrl = serverUrl;
    this.user = user;
    this.password = password;
    this.name = name;
  }

  /**
   * Creates an empty database with a new name on the test server.
   *
   * @return the fixture
   * @throws IllegalStateException when no server answers (the message says what to do)
   */
  public static TestDatabase create() {
    String url = System.getenv(URL_VARIABLE);
    String user = System.getenv().getOrDefault(USER_VARIABLE, "root");
    String password = System.getenv().getOrDefault(PASSWORD_VARIABLE, "");
    String server = new MariaDbSettings(url == null || url.isBlank() ? DEFAULT_SERVER_URL : url, user, password, 1,
      CONNECT_TIMEOUT_MILLIS).serverUrl();
    TestDatabase db = new TestDatabase(server, user, password, newName());
    db.execute("CREATE DATABASE `" + db.name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
    db.created.add(db.name);
    return db;
  }

  /** @return a name no test used: {@value #NAME_PREFIX} and 12 random hex digits */
  private static String newName() {
    byte[] random = new byte[6];
    RANDOM.nextBytes(random);
    return NAME_PREFIX + HexFormat.of().formatHex(random);
  }

  /** @return the database's name */
  public String name() {
    return name;
  }

  /** @return the JDBC URL of the database */
  public String jdbcUrl() {
    return urlOf(name);
  }

  /**
   * @return the JDBC URL of another database on the same server that does not exist yet; it is
   *     dropped by {@link #close()} when something creates it
   */
  public String missingDatabaseUrl() {
    String other = newName();
    created.add(other);
    return urlOf(other);
  }

  /** @return the user */
  public String user() {
    return user;
  }

  /**
   * @param timeoutMillis the store's timeout
   * @return settings for a store on this database, pool of 4
   */
  public MariaDbSettings settings(long timeoutMillis) {
    return new MariaDbSettings(jdbcUrl(), user, password, 4, timeoutMillis);
  }

  /**
   * @return a new connection to the database (the caller closes it)
   * @throws SQLException when it cannot connect
   */
  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), properties());
  }

  /** Drops every database this fixture created. */
  @Override
  public void close() {
    for (String database : created) {
      execute("DROP DATABASE IF EXISTS `" + database + "`");
    }
  }

  private String urlOf(String database) {
    int query = serverUrl.indexOf('?');
    return query < 0 ? serverUrl + database : serverUrl.substring(0, query) + database + serverUrl.substring(query);
  }

  private void execute(String sql) {
    try (Connection connection = DriverManager.getConnection(serverUrl, properties());
         Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("no usable MariaDB at " + serverUrl + " as '" + user + "' (" + e.getMessage()
        + "). Run bin/test, which starts MariaDB (and installs it when missing), or set " + URL_VARIABLE + " (and "
        + USER_VARIABLE + ", " + PASSWORD_VARIABLE + ") to a server where the tests may create databases.", e);
    }
  }

  private Properties properties() {
    Properties properties = new Properties();
    properties.setProperty("user", user);
    properties.setProperty("password", password);
    properties.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_MILLIS));
    return properties;
  }
}
