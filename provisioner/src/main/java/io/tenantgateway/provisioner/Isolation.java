package io.tenantgateway.provisioner;

/**
 * How far a pool is set apart from the host beyond its Unix user and cgroups.
 */
public enum Isolation {
  /** Own PID, IPC, UTS and mount namespaces and a private root (bubblewrap); needs root. */
  NAMESPACES("namespaces"),
  /** The pool's own Unix user (as root) and cgroups only: it sees the host's processes and files. */
  USERS_ONLY("users-only");

  private final String label;

  Isolation(String label) {
    this.label = label;
  }

  /** @return the name used in the configuration */
  public String label() {
    return label;
  }

  /**
   * @param label a name from the configuration, or null
   * @return its isolation, or null for null
   * @throws IllegalArgumentException for an unknown name
   */
  public static Isolation named(String label) {
    if (label == null) {
      return null;
    }
    for (Isolation isolation : values()) {
      if (isolation.label.equals(label)) {
        return isolation;
      }
    }
    throw new IllegalArgumentException("'" + label + "' is neither namespaces nor users-only");
  }

  /**
   * @param value a configured value; empty for the default
   * @param root true when the gateway runs as root
   * @return the isolation: by default namespaces as root, users-only otherwise
   * @throws IllegalArgumentException for an unknown value, or namespaces without root
   */
  public static Isolation parse(String value, boolean root) {
    if (value == null || value.isEmpty()) {
      return root ? NAMESPACES : USERS_ONLY;
    }
    Isolation isolation = named(value);
    if (isolation == NAMESPACES && !root) {
      throw new IllegalArgumentException("'namespaces' needs the gateway to run as root; use users-only");
    }
    return isolation;
  }
}
