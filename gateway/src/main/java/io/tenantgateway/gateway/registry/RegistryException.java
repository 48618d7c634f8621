package io.tenantgateway.gateway.registry;

/**
 * A registry operation that cannot be done, with the reason an API maps to an HTTP status.
 */
public class RegistryException extends RuntimeException {

  /** Why the operation failed. */
  public enum Reason {
    /** No tenant with that id (404). */
    NOT_FOUND(404),
    /** The id or a domain already belongs to a tenant (409). */
    CONFLICT(409),
    /** The tenant changed since the version the caller read (412). */
    VERSION_MISMATCH(412),
    /** The store cannot be reached; nothing was written (503). */
    UNAVAILABLE(503);

    /** The HTTP status an API answers. */
    public final int status;

    Reason(int status) {
      this.status = status;
    }
  }

  private final Reason reason;
  private final String field;

  /**
   * @param reason why
   * @param field the field at fault (e.g. {@code domains[1]}), or null
   * @param message what happened, for an operator
   * @param cause the underlying failure, or null
   */
  public RegistryException(Reason reason, String field, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.field = field;
  }

  /**
   * @param reason why
   * @param field the field at fault, or null
   * @param message what happened
   */
  public RegistryException(Reason reason, String field, String message) {
    this(reason, field, message, null);
  }

  /** @return why */
  public Reason reason() {
    return reason;
  }

  /** @return the field at fault, or null */
  public String field() {
    return field;
  }
}
