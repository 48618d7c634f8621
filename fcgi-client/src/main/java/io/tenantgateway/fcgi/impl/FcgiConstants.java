package io.tenantgateway.fcgi.impl;

/**
 * Numbers fixed by the FastCGI 1.0 specification, and the limits this client applies on top of them.
 */
public final class FcgiConstants {

  /** The only protocol version there is ({@code FCGI_VERSION_1}). */
  public static final int VERSION_1 = 1;

  /** Length of every record header in bytes. */
  public static final int HEADER_LENGTH = 8;

  /** Largest content a single record can carry (16-bit length field). */
  public static final int MAX_CONTENT_LENGTH = 0xFFFF;

  /** Request id of management records (GET_VALUES and its result, UNKNOWN_TYPE). */
  public static final int NULL_REQUEST_ID = 0;

  /** Request id used for every application request: one request per connection, never 0, never wraps. */
  public static final int REQUEST_ID = 1;

  /** {@code FCGI_RESPONDER}, the only role this client plays. */
  public static final int ROLE_RESPONDER = 1;

  /** {@code FCGI_KEEP_CONN} bit of the BEGIN_REQUEST flags. */
  public static final int FLAG_KEEP_CONN = 1;

  /** Content length of END_REQUEST, BEGIN_REQUEST and UNKNOWN_TYPE bodies. */
  public static final int FIXED_BODY_LENGTH = 8;

  /** A name or value shorter than this is encoded with a one-byte length. */
  public static final int ONE_BYTE_LENGTH_LIMIT = 0x80;

  /** Largest length the four-byte form can express (31 bits). */
  public static final int MAX_NAME_VALUE_LENGTH = 0x7FFFFFFF;

  private FcgiConstants() {
  }
}
