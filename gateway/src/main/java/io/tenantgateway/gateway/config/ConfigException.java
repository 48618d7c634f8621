package io.tenantgateway.gateway.config;

/**
 * A settings or tenants file, or an environment variable, holds something unusable; the message names the file and the field.
 */
public class ConfigException extends RuntimeException {

  /**
   * @param message file, location and problem
   */
  public ConfigException(String message) {
    super(message);
  }
}
