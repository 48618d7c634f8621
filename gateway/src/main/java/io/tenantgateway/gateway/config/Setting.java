package io.tenantgateway.gateway.config;

/**
 * One configuration setting: its path in {@code gateway.yaml}, the environment variable that
 * overrides it, its default and its allowed range.
 *
 * @param path dotted path in the YAML file, e.g. {@code http.port}
 * @param env the overriding environment variable, or null
 * @param defaultValue the default (Integer, Long or String)
 * @param min smallest allowed number (numbers only)
 * @param max largest allowed number (numbers only)
 * @param description one line for the README
 */
public record Setting(String path, String env, Object defaultValue, long min, long max, String description) {

  static Setting text(String path, String env, String defaultValue, String description) {
    return new Setting(path, env, defaultValue, 0, 0, description);
  }

  static Setting number(String path, String env, long defaultValue, long min, long max, String description) {
    return new Setting(path, env, defaultValue, min, max, description);
  }

  /** @return true for a numeric setting */
  public boolean isNumber() {
    return defaultValue instanceof Long;
  }
}
