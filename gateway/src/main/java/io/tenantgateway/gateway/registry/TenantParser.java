package io.tenantgateway.gateway.registry;

import io.tenantgateway.fcgi.FcgiEndpoint;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.IDN;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns tenant JSON into a validated {@link Tenant}, applying defaults. Every error names the field.
 * Unknown fields are errors, so that a typo never passes silently.
 */
public final class TenantParser {

  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private static final Pattern INDEX = Pattern.compile("[A-Za-z0-9._-]+\\.php");
  private static final Pattern INI_KEY = Pattern.compile("[A-Za-z0-9_.]+");
  private static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private static final Set<String> TOP = Set.of("id", "domains", "docroot", "root", "read_only_paths", "routing",
    "php", "limits", "isolation", "backend", "enabled");
  /** Ini keys the pool template sets itself; a tenant value would silently lose to the template's. */
  private static final java.util.Map<String, String> GATEWAY_INI = java.util.Map.of(
    "open_basedir", "the gateway sets it to root, the pool's tmp dir and read_only_paths: change those",
    "upload_tmp_dir", "the gateway sets it to the pool's private tmp dir",
    "session.save_path", "the gateway sets it to the pool's private tmp dir (or use a database session handler)",
    "sys_temp_dir", "the gateway sets it to the pool's private tmp dir",
    "log_errors", "the gateway sets it on: PHP's errors reach the gateway's log");
  private static final int MAX_READ_ONLY_PATHS = 16;
  private static final Set<String> ISOLATION = Set.of("mode", "network", "unix_sockets");
  private static final int MAX_UNIX_SOCKETS = 16;
  private static final Set<String> ROUTING = Set.of("mode", "index");
  private static final Set<String> PHP = Set.of("max_children", "idle_timeout_s", "request_timeout_s", "ini", "env");
  private static final Set<String> LIMITS = Set.of("memory_mb", "cpu_percent", "pids", "max_body_mb",
    "max_concurrent");

  private TenantParser() {
  }

  /**
   * @param json one tenant object
   * @return the validated tenant
   * @throws InvalidTenantException naming the first field that is wrong
   */
  public static Tenant parse(JsonObject json) {
    return parse(json, true);
  }

  /**
   * @param json one tenant object
   * @param docrootMustExist false for a tenant read back from a shared store, whose docroot may be
   *     missing on this node (it then answers 404 rather than being dropped)
   * @return the validated tenant
   * @throws InvalidTenantException naming the first field that is wrong
   */
  public static Tenant parse(JsonObject json, boolean docrootMustExist) {
    String id = requireString(json, null, "id");
    if (!ID.matcher(id).matches()) {
      throw new InvalidTenantException(null, "id", "'" + id + "' does not match [a-z0-9][a-z0-9-]{0,31}");
    }
    rejectUnknown(json, TOP, id, "");
    List<String> domains = domains(json, id);
    String docroot = docroot(json, id, docrootMustExist);
    String root = root(json, id, docroot, docrootMustExist);
    List<String> readOnlyPaths = pathList(json, id, "read_only_paths", MAX_READ_ONLY_PATHS);
    JsonObject routing = object(json, id, "routing");
    rejectUnknown(routing, ROUTING, id, "routing.");
    JsonObject php = object(json, id, "php");
    rejectUnknown(php, PHP, id, "php.");
    JsonObject limits = object(json, id, "limits");
    rejectUnknown(limits, LIMITS, id, "limits.");
    String backend = optionalString(json, id, "", "backend", null);
    int maxChildren = integer(php, id, "php.", "max_children", 5, 1, 1024);
    if (backend != null) {
      try {
        FcgiEndpoint.parse(backend, maxChildren);
      } catch (IllegalArgumentException e) {
        throw new InvalidTenantException(id, "backend", e.getMessage());
      }
    }
    Object enabled = json.getValue("enabled", Boolean.TRUE);
    if (!(enabled instanceof Boolean)) {
      throw new InvalidTenantException(id, "enabled", "expected true or false");
    }
    Map<String, String> ini = stringMap(php, id, "php.", "ini", INI_KEY);
    for (String key : ini.keySet()) {
      if (GATEWAY_INI.containsKey(key)) {
        throw new InvalidTenantException(id, "php.ini." + key, "not settable here: " + GATEWAY_INI.get(key));
      }
    }
    return new Tenant(id, domains, docroot, root, readOnlyPaths,
      new Tenant.Routing(mode(routing, id), index(routing, id)),
      new Tenant.Php(maxChildren,
        integer(php, id, "php.", "idle_timeout_s", 60, 1, 86_400),
        integer(php, id, "php.", "request_timeout_s", 60, 1, 86_400),
        ini,
        stringMap(php, id, "php.", "env", ENV_KEY)),
      new Tenant.Limits(
        integer(limits, id, "limits.", "memory_mb", 256, 16, 1_048_576),
        integer(limits, id, "limits.", "cpu_percent", 100, 1, 100_000),
        integer(limits, id, "limits.", "pids", 64, 4, 1_048_576),
        integer(limits, id, "limits.", "max_body_mb", 64, 0, 1_048_576),
        integer(limits, id, "limits.", "max_concurrent", 32, 1, 1_000_000)),
      isolation(json, id), backend, (Boolean) enabled);
  }

  /**
   * Normalises a domain: lower case, IDN to punycode, trailing dot removed, syntax checked.
   *
   * @param domain the domain as given, optionally {@code *.} + domain
   * @return the normalised form
   * @throws IllegalArgumentException when it is not a valid host name
   */
  public static String normalizeDomain(String domain) {
    String d = domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
    boolean wildcard = d.startsWith("*.");
    String name = wildcard ? d.substring(2) : d;
    String ascii;
    try {
      ascii = IDN.toASCII(name, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + domain + "' is not a valid domain name");
    }
    if (ascii.isEmpty() || ascii.length() > 253) {
      throw new IllegalArgumentException("'" + domain + "' is not a valid domain name");
    }
    for (String label : ascii.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        throw new IllegalArgumentException("'" + domain + "' is not a valid domain name");
      }
    }
    return wildcard ? "*." + ascii : ascii;
  }

  private static List<String> domains(JsonObject json, String id) {
    Object value = json.getValue("domains");
    if (!(value instanceof JsonArray) || ((JsonArray) value).isEmpty()) {
      throw new InvalidTenantException(id, "domains", "expected a non-empty list of domain names");
    }
    List<String> domains = new ArrayList<>();
    JsonArray array = (JsonArray) value;
    for (int i = 0; i < array.size(); i++) {
      Object item = array.getValue(i);
      if (!(item instanceof String)) {
        throw new InvalidTenantException(id, "domains[" + i + "]", "expected a string");
      }
      String domain;
      try {
        domain = normalizeDomain((String) item);
      } catch (IllegalArgumentException e) {
        throw new InvalidTenantException(id, "domains[" + i + "]", e.getMessage());
      }
      if (domains.contains(domain)) {
        throw new InvalidTenantException(id, "domains[" + i + "]", "'" + domain + "' is listed twice");
      }
      domains.add(domain);
    }
    return List.copyOf(domains);
  }

  private static Tenant.Isolation isolation(JsonObject json, String id) {
    JsonObject isolation = object(json, id, "isolation");
    rejectUnknown(isolation, ISOLATION, id, "isolation.");
    String mode = optionalString(isolation, id, "isolation.", "mode", null);
    try {
      io.tenantgateway.provisioner.Isolation.named(mode);
    } catch (IllegalArgumentException e) {
      throw new InvalidTenantException(id, "isolation.mode", "expected namespaces or users-only, got '" + mode + "'");
    }
    String network = optionalString(isolation, id, "isolation.", "network", "host");
    if (!network.equals("host") && !network.equals("none")) {
      throw new InvalidTenantException(id, "isolation.network", "expected host or none, got '" + network + "'");
    }
    if (network.equals("none") && "users-only".equals(mode)) {
      throw new InvalidTenantException(id, "isolation.network", "none needs isolation.mode namespaces");
    }
    List<String> sockets = pathList(isolation, id, "isolation.unix_sockets", MAX_UNIX_SOCKETS);
    return new Tenant.Isolation(mode, network.equals("none"), sockets);
  }

  /**
   * @param json the object holding the list
   * @param field its field path, the last segment being the key in {@code json}
   * @return the normalised absolute paths, each once
   */
  private static List<String> pathList(JsonObject json, String id, String field, int max) {
    Object raw = json.getValue(field.substring(field.lastIndexOf('.') + 1));
    if (raw != null && !(raw instanceof JsonArray)) {
      throw new InvalidTenantException(id, field, "expected a list of absolute paths");
    }
    JsonArray array = raw == null ? new JsonArray() : (JsonArray) raw;
    if (array.size() > max) {
      throw new InvalidTenantException(id, field, "at most " + max + " paths");
    }
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      String item = field + "[" + i + "]";
      if (!(array.getValue(i) instanceof String)) {
        throw new InvalidTenantException(id, item, "expected a string");
      }
      String path = absolutePath(id, item, array.getString(i)).toString();
      if (paths.contains(path)) {
        throw new InvalidTenantException(id, item, "'" + path + "' is listed twice");
      }
      paths.add(path);
    }
    return List.copyOf(paths);
  }

  private static String root(JsonObject json, String id, String docroot, boolean mustExist) {
    String value = optionalString(json, id, "", "root", null);
    if (value == null) {
      return docroot;
    }
    Path root = absolutePath(id, "root", value);
    if (!Path.of(docroot).startsWith(root)) {
      throw new InvalidTenantException(id, "root", "'" + root + "' does not contain the docroot " + docroot);
    }
    if (mustExist && !Files.isDirectory(root)) {
      throw new InvalidTenantException(id, "root", "'" + root + "' is not an existing directory");
    }
    return root.toString();
  }

  private static String docroot(JsonObject json, String id, boolean mustExist) {
    String docroot = requireString(json, id, "docroot");
    Path path = absolutePath(id, "docroot", docroot);
    if (mustExist && !Files.isDirectory(path)) {
      throw new InvalidTenantException(id, "docroot", "'" + docroot + "' is not an existing directory");
    }
    return path.normalize().toString();
  }

  /**
   * @return the normalised path; refused: relative paths and characters that would change the pool
   *     configuration, open_basedir or bwrap's arguments
   */
  private static Path absolutePath(String id, String field, String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c == 0x7f || c == ':' || c == ';' || c == '"' || c == '\\' || c == '$') {
        throw new InvalidTenantException(id, field, "must not contain control characters, ':', ';', '\"', "
          + "'\\' or '$' (they would change the pool configuration or open_basedir); found U+"
          + String.format("%04X", (int) c) + " at " + i);
      }
    }
    Path path;
    try {
      path = Path.of(value);
    } catch (InvalidPathException e) {
      throw new InvalidTenantException(id, field, "'" + value + "' is not a valid path");
    }
    if (!path.isAbsolute()) {
      throw new InvalidTenantException(id, field, "'" + value + "' is not an absolute path");
    }
    return path.normalize();
  }

  private static Tenant.Mode mode(JsonObject routing, String id) {
    String mode = optionalString(routing, id, "routing.", "mode", Tenant.Mode.FRONT_CONTROLLER.jsonName);
    for (Tenant.Mode m : Tenant.Mode.values()) {
      if (m.jsonName.equals(mode)) {
        return m;
      }
    }
    throw new InvalidTenantException(id, "routing.mode", "expected front-controller or scripts, got '" + mode + "'");
  }

  private static String index(JsonObject routing, String id) {
    String index = optionalString(routing, id, "routing.", "index", "index.php");
    if (!INDEX.matcher(index).matches()) {
      throw new InvalidTenantException(id, "routing.index", "expected a .php file name without a path");
    }
    return index;
  }

  private static void rejectUnknown(JsonObject json, Set<String> known, String id, String prefix) {
    for (String key : json.fieldNames()) {
      if (!known.contains(key)) {
        throw new InvalidTenantException(id, prefix + key, "unknown field");
      }
    }
  }

  private static JsonObject object(JsonObject json, String id, String field) {
    Object value = json.getValue(field);
    if (value == null) {
      return new JsonObject();
    }
    if (!(value instanceof JsonObject)) {
      throw new InvalidTenantException(id, field, "expected an object");
    }
    return (JsonObject) value;
  }

  private static String requireString(JsonObject json, String id, String field) {
    Object value = json.getValue(field);
    if (!(value instanceof String) || ((String) value).isEmpty()) {
      throw new InvalidTenantException(id, field, "required, expected a non-empty string");
    }
    return (String) value;
  }

  private static String optionalString(JsonObject json, String id, String prefix, String field, String fallback) {
    Object value = json.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof String)) {
      throw new InvalidTenantException(id, prefix + field, "expected a string");
    }
    return (String) value;
  }

  private static int integer(JsonObject json, String id, String prefix, String field, int fallback, int min,
                             int max) {
    Object value = json.getValue(field);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Integer || value instanceof Long) || ((Number) value).longValue() < min
      || ((Number) value).longValue() > max) {
      throw new InvalidTenantException(id, prefix + field, "expected a whole number from " + min + " to " + max);
    }
    return ((Number) value).intValue();
  }

  private static Map<String, String> stringMap(JsonObject json, String id, String prefix, String field,
                                               Pattern keyPattern) {
    Object raw = json.getValue(field);
    if (raw != null && !(raw instanceof JsonObject)) {
      throw new InvalidTenantException(id, prefix + field, "expected an object");
    }
    JsonObject object = raw == null ? new JsonObject() : (JsonObject) raw;
    Map<String, String> map = new LinkedHashMap<>();
    for (String key : object.fieldNames()) {
      Object value = object.getValue(key);
      if (!keyPattern.matcher(key).matches()) {
        throw new InvalidTenantException(id, prefix + field + "." + key, "invalid name");
      }
      if (!(value instanceof String || value instanceof Number || value instanceof Boolean)) {
        throw new InvalidTenantException(id, prefix + field + "." + key, "expected a string, number or boolean");
      }
      String text = String.valueOf(value);
      if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0 || text.indexOf('\0') >= 0) {
        throw new InvalidTenantException(id, prefix + field + "." + key, "must not contain line breaks or NUL");
      }
      map.put(key, text);
    }
    return Map.copyOf(map);
  }
}
