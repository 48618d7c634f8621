package io.tenantgateway.fcgi.impl;

/**
 * FastCGI record types with their wire codes.
 */
public enum RecordType {
  BEGIN_REQUEST(1),
  ABORT_REQUEST(2),
  END_REQUEST(3),
  PARAMS(4),
  STDIN(5),
  STDOUT(6),
  STDERR(7),
  DATA(8),
  GET_VALUES(9),
  GET_VALUES_RESULT(10),
  UNKNOWN_TYPE(11);

  private static final RecordType[] BY_CODE = new RecordType[12];

  static {
    for (RecordType type : values()) {
      BY_CODE[type.code] = type;
    }
  }

  /** The type byte on the wire. */
  public final int code;

  RecordType(int code) {
    this.code = code;
  }

  /**
   * @param code the type byte of a record header
   * @return the matching type
   * @throws IllegalArgumentException when the code names no FastCGI 1.0 type
   */
  public static RecordType from(int code) {
    RecordType type = code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    if (type == null) {
      throw new IllegalArgumentException("unknown FastCGI record type " + code);
    }
    return type;
  }
}
