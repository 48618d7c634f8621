package io.tenantgateway.gateway.registry;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Map;

/**
 * A hosted site: the tenant JSON of docs/ARCHITECTURE.md, validated. Immutable.
 *
 * @param id stable identifier, {@code [a-z0-9][a-z0-9-]{0,31}}
 * @param domains lower-case ASCII (punycode) names; {@code *.example.test} matches every subdomain
 * @param docroot absolute path of the document root: only this is served
 * @param root the application tree the docroot is part of (code above the docroot): the pool's
 *     open_basedir and, with namespaces, what it sees of the tenant's files; the docroot by default
 * @param readOnlyPaths more paths the pool may read (e.g. {@code /usr/share/php})
 * @param routing how request paths map to files and scripts
 * @param php the pool settings
 * @param limits resource and request limits
 * @param isolation how the tenant's pool is set apart from the host
 * @param backend an unmanaged FastCGI server ({@code unix:/path} or {@code tcp:host:port}), or null
 *     when the provisioner runs the tenant's pool
 * @param enabled false to stop serving the tenant without deleting it
 */
public record Tenant(String id, List<String> domains, String docroot, String root, List<String> readOnlyPaths,
                     Routing routing, Php php, Limits limits, Isolation isolation, String backend,
                     boolean enabled) {

  /**
   * Copies the lists.
   */
  public Tenant {
    domains = List.copyOf(domains);
    readOnlyPaths = List.copyOf(readOnlyPaths);
  }

  /** Routing modes. */
  public enum Mode {
    /** Existing files are served or executed; everything else runs the index script. */
    FRONT_CONTROLLER("front-controller"),
    /** Only existing {@code .php} files run, with PATH_INFO split. */
    SCRIPTS("scripts");

    /** The name in the tenant JSON. */
    public final String jsonName;

    Mode(String jsonName) {
      this.jsonName = jsonName;
    }
  }

  /**
   * @param mode the routing mode
   * @param index the index script, e.g. {@code index.php}
   */
  public record Routing(Mode mode, String index) {
  }

  /**
   * @param maxChildren php-fpm workers, and the most connections the gateway opens to the pool
   * @param idleTimeoutSeconds idle time before the pool is stopped
   * @param requestTimeoutSeconds longest request
   * @param ini php ini values set by the operator
   * @param env environment variables of the pool
   */
  public record Php(int maxChildren, int idleTimeoutSeconds, int requestTimeoutSeconds, Map<String, String> ini,
                    Map<String, String> env) {
  }

  /**
   * @param memoryMb memory limit of the pool
   * @param cpuPercent CPU quota of the pool
   * @param pids most processes of the pool
   * @param maxBodyMb largest request body
   * @param maxConcurrent most requests in flight for the tenant
   */
  public record Limits(int memoryMb, int cpuPercent, int pids, int maxBodyMb, int maxConcurrent) {
  }

  /**
   * @param mode {@code namespaces} or {@code users-only}, or null for the gateway's
   *     {@code provisioner.isolation}
   * @param privateNetwork true for {@code network: none}: the pool's own network namespace, loopback only
   * @param unixSockets absolute paths of host Unix sockets bound into the pool (read-only)
   */
  public record Isolation(String mode, boolean privateNetwork, List<String> unixSockets) {

    /** The gateway's isolation and the host's network. */
    public static final Isolation DEFAULT = new Isolation(null, false, List.of());

    /**
     * Copies the list.
     */
    public Isolation {
      unixSockets = List.copyOf(unixSockets);
    }

    JsonObject toJson() {
      JsonObject json = new JsonObject().put("network", privateNetwork ? "none" : "host")
        .put("unix_sockets", new JsonArray(List.copyOf(unixSockets)));
      if (mode != null) {
        json.put("mode", mode);
      }
      return json;
    }
  }

  /** @return the tenant JSON */
  public JsonObject toJson() {
    JsonObject json = new JsonObject()
      .put("id", id)
      .put("domains", new JsonArray(List.copyOf(domains)))
      .put("docroot", docroot)
      .put("root", root)
      .put("read_only_paths", new JsonArray(List.copyOf(readOnlyPaths)))
      .put("routing", new JsonObject().put("mode", routing.mode().jsonName).put("index", routing.index()))
      .put("php", new JsonObject()
        .put("max_children", php.maxChildren())
        .put("idle_timeout_s", php.idleTimeoutSeconds())
        .put("request_timeout_s", php.requestTimeoutSeconds())
        .put("ini", new JsonObject(new java.util.TreeMap<String, Object>(php.ini())))
        .put("env", new JsonObject(new java.util.TreeMap<String, Object>(php.env()))))
      .put("limits", new JsonObject()
        .put("memory_mb", limits.memoryMb())
        .put("cpu_percent", limits.cpuPercent())
        .put("pids", limits.pids())
        .put("max_body_mb", limits.maxBodyMb())
        .put("max_concurrent", limits.maxConcurrent()))
      .put("isolation", isolation.toJson())
      .put("enabled", enabled);
    if (backend != null) {
      json.put("backend", backend);
    }
    return json;
  }
}
