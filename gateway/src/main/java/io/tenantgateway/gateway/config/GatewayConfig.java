package io.tenantgateway.gateway.config;

import io.tenantgateway.gateway.proxy.TrustedProxies;
import io.tenantgateway.gateway.registry.YamlTenantFile;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway's settings: defaults, overridden by {@code conf/gateway.yaml}, overridden by
 * {@code GATEWAY_*} environment variables. A wrong value fails start-up with the file or variable
 * and the field named.
 */
public final class GatewayConfig {

  /** Environment variable naming the settings file. */
  public static final String CONFIG_ENV = "GATEWAY_CONFIG";
  /** Settings file used when {@link #CONFIG_ENV} is not set. */
  public static final String DEFAULT_FILE = "conf/gateway.yaml";

  /** Every setting, in README order. */
  public static final List<Setting> SETTINGS = List.of(
    Setting.text("http.host", "GATEWAY_HTTP_HOST", "0.0.0.0", "address the HTTP listener binds"),
    Setting.number("http.port", "GATEWAY_HTTP_PORT", 8080, 0, 65535, "HTTP listener port (0: any free port)"),
    Setting.number("http.max_header_size", "GATEWAY_HTTP_MAX_HEADER_SIZE", 32768, 1024, 1 << 20,
      "largest request header block in bytes (431 above it)"),
    Setting.number("http.max_initial_line_length", "GATEWAY_HTTP_MAX_LINE", 8192, 256, 1 << 20,
      "longest request line in bytes (414 above it)"),
    Setting.number("http.idle_timeout_s", "GATEWAY_HTTP_IDLE_TIMEOUT", 60, 1, 86400,
      "a client connection silent this long is closed"),
    Setting.number("http.header_timeout_s", "GATEWAY_HTTP_HEADER_TIMEOUT", 20, 1, 3600,
      "a request head (request line and headers) must be complete this long after its first byte, or after "
        + "the connection opened; else the connection is closed (slowloris)"),
    Setting.number("http.drain_timeout_s", "GATEWAY_HTTP_DRAIN_TIMEOUT", 30, 0, 3600,
      "on SIGTERM, how long requests in flight may take to finish before connections are closed"),
    Setting.number("http.body_buffer_kb", "GATEWAY_HTTP_BODY_BUFFER_KB", 64, 0, 1 << 20,
      "request bodies up to this are read into memory before they go to PHP; longer ones into a spool file"),
    Setting.number("http.body_memory_mb", "GATEWAY_HTTP_BODY_MEMORY_MB", 64, 0, 1 << 20,
      "request bodies in memory, all requests together; beyond it they are spooled"),
    Setting.number("http.max_chunked_body_mb", "GATEWAY_HTTP_MAX_CHUNKED_BODY_MB", 16, 0, 1024,
      "chunked request bodies are buffered up to this size to learn CONTENT_LENGTH (413 above it)"),
    Setting.text("http.trusted_proxies", "GATEWAY_TRUSTED_PROXIES", "",
      "addresses and CIDR ranges (comma-separated) whose Forwarded/X-Forwarded-* headers are believed"),
    Setting.number("event_loops", "GATEWAY_EVENT_LOOPS", 0, 0, 1024,
      "event loops serving HTTP (0: half the CPU cores, at least one)"),
    Setting.text("access_log.format", "GATEWAY_ACCESS_LOG_FORMAT", "json",
      "access log lines: json, combined (nginx's, then tenant, request id and times) or off"),
    Setting.text("access_log.file", "GATEWAY_ACCESS_LOG_FILE", "", "access log file (empty: stdout)"),
    Setting.text("admin.host", "GATEWAY_ADMIN_HOST", "127.0.0.1", "address the admin listener binds"),
    Setting.number("admin.port", "GATEWAY_ADMIN_PORT", 9180, 0, 65535, "admin API port"),
    Setting.text("admin.token", "GATEWAY_ADMIN_TOKEN", "", "bearer token of the admin API"),
    Setting.number("admin.max_body_kb", "GATEWAY_ADMIN_MAX_BODY_KB", 64, 1, 10_240,
      "largest admin API request body (413 above it)"),
    Setting.number("admin.max_auth_failures", "GATEWAY_ADMIN_MAX_AUTH_FAILURES", 10, 1, 1_000_000,
      "wrong admin tokens from one address within admin.auth_window_s before its attempts get 429"),
    Setting.number("admin.auth_window_s", "GATEWAY_ADMIN_AUTH_WINDOW_S", 60, 1, 86_400,
      "window that counts wrong admin tokens, and how long an address that reached the limit gets 429"),
    Setting.text("registry.type", "GATEWAY_REGISTRY", "file", "where tenants live: file or mariadb"),
    Setting.text("registry.file", "GATEWAY_REGISTRY_FILE", "conf/tenants.yaml", "tenants file of the file registry"),
    Setting.text("registry.db_url", "GATEWAY_DB_URL", "jdbc:mariadb://127.0.0.1:3306/tenant_gateway",
      "JDBC URL of the MariaDB registry"),
    Setting.text("registry.db_user", "GATEWAY_DB_USER", "root", "MariaDB user"),
    Setting.text("registry.db_password", "GATEWAY_DB_PASSWORD", "", "MariaDB password"),
    Setting.number("registry.db_pool_size", "GATEWAY_DB_POOL_SIZE", 4, 1, 100, "MariaDB connections kept by the gateway"),
    Setting.number("registry.db_timeout_ms", "GATEWAY_DB_TIMEOUT_MS", 2000, 250, 60_000,
      "longest wait for a MariaDB connection or query; admin writes answer 503 after it"),
    Setting.number("registry.poll_ms", "GATEWAY_REGISTRY_POLL_MS", 1000, 100, 60_000,
      "how often the registry looks for changes made by other gateways or by hand"),
    Setting.text("registry.backend_prefixes", "GATEWAY_BACKEND_PREFIXES", "",
      "prefixes an unmanaged backend must start with, comma-separated (empty: any outside run_dir)"),
    Setting.text("run_dir", "GATEWAY_RUN_DIR", "run", "sockets, pid files and rendered pool configs"),
    Setting.text("provisioner.template", "GATEWAY_POOL_TEMPLATE", "conf/php-fpm-pool.conf",
      "php-fpm pool template rendered per tenant"),
    Setting.text("provisioner.php_fpm", "GATEWAY_PHP_FPM", "", "php-fpm binary (empty: php-fpm on PATH or newest /usr/sbin/php-fpm*)"),
    Setting.number("provisioner.start_timeout_ms", "GATEWAY_POOL_START_TIMEOUT_MS", 10_000, 100, 600_000,
      "longest pool start, spawn to answered ping (503 after)"),
    Setting.number("provisioner.stop_grace_ms", "GATEWAY_POOL_STOP_GRACE_MS", 10_000, 0, 600_000,
      "graceful stop (SIGQUIT) before SIGKILL"),
    Setting.number("provisioner.max_waiters", "GATEWAY_POOL_MAX_WAITERS", 1024, 1, 1_000_000,
      "requests that may wait per starting pool (503 beyond)"),
    Setting.number("provisioner.max_crashes", "GATEWAY_POOL_MAX_CRASHES", 5, 1, 1000,
      "crashes within a minute that make a pool FAILED"),
    Setting.number("provisioner.failed_cooldown_ms", "GATEWAY_POOL_FAILED_COOLDOWN_MS", 60_000, 0, 86_400_000,
      "how long a FAILED pool answers 503"),
    Setting.number("provisioner.max_active_pools", "GATEWAY_MAX_ACTIVE_POOLS", 0, 0, 100_000,
      "most pools running at once (0: no limit); one more stops the least recently used idle pool"),
    Setting.number("provisioner.uid_min", "GATEWAY_POOL_UID_MIN", 70_000, 1000, 2_000_000_000,
      "lowest uid/gid of a tenant user tg-<id> (as root)"),
    Setting.number("provisioner.uid_max", "GATEWAY_POOL_UID_MAX", 99_999, 1000, 2_000_000_000,
      "highest uid/gid of a tenant user; an existing tg-<id> user outside the range is refused"),
    Setting.text("provisioner.isolation", "GATEWAY_POOL_ISOLATION", "",
      "namespaces (own PID, IPC, UTS and mount namespaces through bubblewrap; the default as root) or users-only"),
    Setting.number("fastcgi.connect_timeout_ms", "GATEWAY_FCGI_CONNECT_TIMEOUT_MS", 5000, 1, 600_000,
      "time to connect to a pool socket"),
    Setting.number("fastcgi.read_timeout_ms", "GATEWAY_FCGI_READ_TIMEOUT_MS", 60_000, 1, 86_400_000,
      "longest silence from a pool while a response is awaited (504)"),
    Setting.number("fastcgi.queue_timeout_ms", "GATEWAY_FCGI_QUEUE_TIMEOUT_MS", 30_000, 1, 86_400_000,
      "longest wait for a free pool connection (503)"),
    Setting.number("fastcgi.max_queue", "GATEWAY_FCGI_MAX_QUEUE", 1024, 0, 1_000_000,
      "requests that may wait per pool for a connection (503 beyond)"),
    Setting.number("fastcgi.pool_idle_timeout_ms", "GATEWAY_FCGI_POOL_IDLE_TIMEOUT_MS", 30_000, 0, 86_400_000,
      "an unused kept-alive pool connection is closed after this"),
    Setting.number("fastcgi.max_response_header_size", "GATEWAY_FCGI_MAX_RESPONSE_HEADER_SIZE", 65536, 1024,
      1 << 20, "largest response header block a script may send (502 above it)")
  );

  private final Map<String, Object> values;

  private GatewayConfig(Map<String, Object> values) {
    this.values = values;
  }

  /**
   * Loads the settings.
   *
   * @param env the environment (usually {@code System.getenv()})
   * @return the settings
   * @throws ConfigException naming the file or variable and the field of a wrong value
   */
  public static GatewayConfig load(Map<String, String> env) {
    String named = env.get(CONFIG_ENV);
    Path file = Path.of(named != null ? named : DEFAULT_FILE);
    JsonObject yaml;
    if (Files.exists(file)) {
      yaml = YamlTenantFile.readYamlObject(file);
    } else if (named != null) {
      throw new ConfigException(CONFIG_ENV + "=" + named + ": file not found");
    } else {
      yaml = new JsonObject();
    }
    rejectUnknown(yaml, "", file);
    for (String secret : new String[] {"admin.token", "registry.db_password"}) {
      Object value = lookup(yaml, secret);
      if (value != null && !value.toString().isEmpty()) {
        SecretFiles.warnIfOthersCanRead(file, secret);
      }
    }
    Map<String, Object> values = new LinkedHashMap<>();
    for (Setting setting : SETTINGS) {
      Object value = setting.defaultValue();
      Object fromFile = lookup(yaml, setting.path());
      if (fromFile != null) {
        value = convert(setting, fromFile, file + ": " + setting.path());
      }
      String fromEnv = setting.env() == null ? null : env.get(setting.env());
      if (fromEnv != null) {
        value = convert(setting, fromEnv, setting.env());
      }
      values.put(setting.path(), value);
    }
    String accessLog = (String) values.get("access_log.format");
    if (!List.of("json", "combined", "off").contains(accessLog)) {
      throw new ConfigException("access_log.format (GATEWAY_ACCESS_LOG_FORMAT): expected json, combined or off, got '"
        + accessLog + "'");
    }
    try {
      TrustedProxies.parse((String) values.get("http.trusted_proxies"));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("http.trusted_proxies (GATEWAY_TRUSTED_PROXIES): " + e.getMessage());
    }
    String registry = (String) values.get("registry.type");
    if (!registry.equals("file") && !registry.equals("mariadb")) {
      throw new ConfigException("registry.type (GATEWAY_REGISTRY): expected file or mariadb, got '"
        + registry + "'");
    }
    return new GatewayConfig(values);
  }

  /**
   * @param path a setting path
   * @return its value (a String or a Long)
   */
  public Object value(String path) {
    return require(path);
  }

  /**
   * @param path a setting path
   * @return its string value
   */
  public String string(String path) {
    return (String) require(path);
  }

  /**
   * @param path a setting path
   * @return its numeric value
   */
  public long number(String path) {
    return (Long) require(path);
  }

  /**
   * @param path a setting path
   * @return its numeric value as an int
   */
  public int integer(String path) {
    return Math.toIntExact(number(path));
  }

  private Object require(String path) {
    Object value = values.get(path);
    if (value == null) {
      throw new IllegalArgumentException("no setting " + path);
    }
    return value;
  }

  private static Object lookup(JsonObject yaml, String path) {
    String[] parts = path.split("\\.");
    Object current = yaml;
    for (String part : parts) {
      if (!(current instanceof JsonObject)) {
        return null;
      }
      current = ((JsonObject) current).getValue(part);
    }
    return current;
  }

  private static void rejectUnknown(JsonObject yaml, String prefix, Path file) {
    for (String key : yaml.fieldNames()) {
      String path = prefix + key;
      Object value = yaml.getValue(key);
      if (key.contains(".")) {
        throw new ConfigException(file + ": " + path + ": unknown setting (nest the keys instead of a dotted name)");
      }
      boolean isGroup = SETTINGS.stream().anyMatch(s -> s.path().startsWith(path + "."));
      if (value == null && isGroup) {
        continue; // a group whose entries are all commented out
      }
      if (value instanceof JsonObject) {
        if (!isGroup) {
          throw new ConfigException(file + ": " + path + ": unknown setting");
        }
        rejectUnknown((JsonObject) value, path + ".", file);
      } else if (SETTINGS.stream().noneMatch(s -> s.path().equals(path))) {
        throw new ConfigException(file + ": " + path + ": unknown setting");
      }
    }
  }

  private static Object convert(Setting setting, Object raw, String where) {
    if (!setting.isNumber()) {
      if (!(raw instanceof String)) {
        // YAML reads 0123 as 83, 0x1F as 31 and yes as true: a token or password must be quoted
        throw new ConfigException(where + ": expected a text value (quote it), got '" + raw + "'");
      }
      return raw;
    }
    long number;
    try {
      number = raw instanceof Integer || raw instanceof Long
        ? ((Number) raw).longValue() : Long.parseLong(String.valueOf(raw).trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(where + ": expected a whole number, got '" + raw + "'");
    }
    if (number < setting.min() || number > setting.max()) {
      throw new ConfigException(where + ": " + number + " is outside " + setting.min() + ".." + setting.max());
    }
    return number;
  }
}
