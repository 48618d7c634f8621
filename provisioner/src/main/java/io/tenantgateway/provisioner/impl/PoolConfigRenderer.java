package io.tenantgateway.provisioner.impl;

import io.tenantgateway.provisioner.PoolSpec;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fills the pool template's {@code {{name}}} placeholders for one tenant. Ini and env values come
 * from the operator's tenant definition (validated: no line breaks); nothing from a request ever
 * reaches the file.
 */
public final class PoolConfigRenderer {

  /** The ping path php-fpm answers for the readiness probe. */
  public static final String PING_PATH = "/.tenant-gateway-ping";

  private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([a-z_]+)}}");

  private final String template;

  /**
   * @param template the template text
   */
  public PoolConfigRenderer(String template) {
    this.template = template;
  }

  /**
   * @param spec the pool
   * @param layout the pool's files
   * @param listenOwner the {@code listen.owner/group} lines, or empty
   * @return the php-fpm configuration
   * @throws IllegalArgumentException for an unknown placeholder in the template
   */
  public String render(PoolSpec spec, PoolLayout layout, String listenOwner) {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("tenant", spec.id());
    values.put("pool_dir", layout.dir().toString());
    values.put("socket", layout.socket().toString());
    values.put("listen_owner", listenOwner);
    values.put("max_children", Integer.toString(spec.maxChildren()));
    values.put("process_idle_timeout", Integer.toString(Math.max(1, Math.min(spec.idleTimeoutSeconds(), 10))));
    values.put("request_timeout", Integer.toString(spec.requestTimeoutSeconds()));
    values.put("slowlog_timeout", Integer.toString(Math.max(1, spec.requestTimeoutSeconds() / 2)));
    values.put("ping_path", PING_PATH);
    StringBuilder basedir = new StringBuilder().append(spec.root()).append(':').append(layout.tmp());
    for (java.nio.file.Path path : spec.sandbox().readOnlyPaths()) {
      basedir.append(':').append(path);
    }
    values.put("open_basedir", basedir.toString());
    values.put("tmp_dir", layout.tmp().toString());
    StringBuilder ini = new StringBuilder();
    for (Map.Entry<String, String> e : new TreeMap<>(spec.ini()).entrySet()) {
      ini.append("php_admin_value[").append(e.getKey()).append("] = \"").append(quoted(e.getValue())).append("\"\n");
    }
    values.put("ini", ini.toString());
    StringBuilder env = new StringBuilder();
    for (Map.Entry<String, String> e : new TreeMap<>(spec.env()).entrySet()) {
      env.append("env[").append(e.getKey()).append("] = \"").append(quoted(e.getValue())).append("\"\n");
    }
    values.put("env", env.toString());
    Matcher m = PLACEHOLDER.matcher(template);
    StringBuilder out = new StringBuilder(template.length() + 512);
    while (m.find()) {
      String value = values.get(m.group(1));
      if (value == null) {
        throw new IllegalArgumentException("unknown placeholder {{" + m.group(1) + "}} in the pool template");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String quoted(String value) {
    if (value.indexOf('"') >= 0 || value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
      throw new IllegalArgumentException("value must not contain quotes or line breaks");
    }
    return value;
  }
}
