package io.tenantgateway.gateway.registry;

import io.tenantgateway.gateway.config.ConfigException;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Where the MariaDB registry is and how long to wait for it.
 *
 * @param jdbcUrl e.g. {@code jdbc:mariadb://127.0.0.1:3306/tenant_gateway}; the database is created
 *     when missing
 * @param user the user
 * @param password the password (never logged)
 * @param poolSize connections kept open
 * @param timeoutMillis longest wait for a connection or a query
 */
public record MariaDbSettings(String jdbcUrl, String user, String password, int poolSize, long timeoutMillis) {

  /** {@code jdbc:mariadb[:ha-mode]://hosts[/database][?options]}. */
  private static final Pattern URL = Pattern.compile(
    "(jdbc:(?:mariadb|mysql)(?::[a-z-]+)?://[^/?]+)(?:/([^?]*))?(?:\\?(.*))?", Pattern.CASE_INSENSITIVE);
  /** Database names the store accepts: no quoting surprises. */
  private static final Pattern DATABASE = Pattern.compile("[A-Za-z0-9_$-]{1,64}");

  /**
   * Checks the values.
   *
   * @throws ConfigException when the URL is not a MariaDB URL naming a database, or a number is out of
   *     range
   */
  public MariaDbSettings {
    if (jdbcUrl == null || !URL.matcher(jdbcUrl).matches()) {
      throw new ConfigException("registry.db_url (GATEWAY_DB_URL): expected jdbc:mariadb://host:port/database, got '"
        + redact(String.valueOf(jdbcUrl)) + "'");
    }
    if (poolSize < 1) {
      throw new ConfigException("registry.db_pool_size (GATEWAY_DB_POOL_SIZE): at least 1, got " + poolSize);
    }
    if (timeoutMillis < 250) {
      throw new ConfigException("registry.db_timeout_ms (GATEWAY_DB_TIMEOUT_MS): at least 250, got " + timeoutMillis);
    }
    user = user == null ? "" : user;
    password = password == null ? "" : password;
  }

  /**
   * @return the database named by the URL
   * @throws ConfigException when the URL names none, or a name that needs quoting
   */
  public String database() {
    String name = part(2);
    if (name == null || !DATABASE.matcher(name).matches()) {
      throw new ConfigException("registry.db_url (GATEWAY_DB_URL): expected a database name of letters, digits, "
        + "_, $ or - after the host, e.g. jdbc:mariadb://127.0.0.1:3306/tenant_gateway; got '" + redactedUrl() + "'");
    }
    return name;
  }

  /** @return the URL without the database, to connect before the database exists */
  public String serverUrl() {
    String options = part(3);
    return part(1) + "/" + (options == null ? "" : "?" + options);
  }

  /** @return the URL without any password option, for logs and messages */
  public String redactedUrl() {
    return redact(jdbcUrl);
  }

  @Override
  public String toString() {
    return "MariaDbSettings[" + redactedUrl() + ", user " + user + "]";
  }

  private String part(int group) {
    Matcher matcher = URL.matcher(jdbcUrl);
    if (!matcher.matches()) {
      throw new IllegalStateException("checked by the constructor");
    }
    String value = matcher.group(group);
    return value == null || value.isEmpty() ? null : value;
  }

  private static String redact(String url) {
    int query = url.indexOf('?');
    if (query < 0) {
      return url;
    }
    String options = Stream.of(url.substring(query + 1).split("&"))
      .filter(option -> !option.toLowerCase(Locale.ROOT).split("=", 2)[0].contains("password"))
      .collect(Collectors.joining("&"));
    return url.substring(0, query) + (options.isEmpty() ? "" : "?" + options);
  }
}
