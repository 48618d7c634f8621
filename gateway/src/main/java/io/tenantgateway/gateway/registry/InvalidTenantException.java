package io.tenantgateway.gateway.registry;

/**
 * A tenant definition broke a rule. Names the tenant and the field so that an operator can find it.
 */
public class InvalidTenantException extends RuntimeException {

  private final String tenantId;
  private final String field;

  /**
   * @param tenantId the tenant's id, or null when the id itself is unknown
   * @param field the JSON path of the field, e.g. {@code php.max_children}
   * @param message what is wrong
   */
  public InvalidTenantException(String tenantId, String field, String message) {
    super((tenantId == null ? "tenant" : "tenant '" + tenantId + "'") + ", field '" + field + "': " + message);
    this.tenantId = tenantId;
    this.field = field;
  }

  /** @return the tenant id, or null */
  public String tenantId() {
    return tenantId;
  }

  /** @return the field path */
  public String field() {
    return field;
  }
}
