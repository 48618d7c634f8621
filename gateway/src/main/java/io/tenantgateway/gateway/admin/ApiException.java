package io.tenantgateway.gateway.admin;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An admin API request that ends with an error reply: the status, a message for the caller, the
 * field at fault and any headers the status calls for ({@code Allow}, {@code Retry-After}).
 */
final class ApiException extends RuntimeException {

  private final int status;
  private final String field;
  private final Map<String, String> headers = new LinkedHashMap<>();

  /**
   * @param status the HTTP status
   * @param message what went wrong, safe to show the caller
   * @param field the request field at fault, or null
   */
  ApiException(int status, String message, String field) {
    super(message, null, false, false);
    this.status = status;
    this.field = field;
  }

  /**
   * @param status the HTTP status
   * @param message what went wrong
   */
  ApiException(int status, String message) {
    this(status, message, null);
  }

  /**
   * @param name a response header
   * @param value its value
   * @return this
   */
  ApiException header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  int status() {
    return status;
  }

  String field() {
    return field;
  }

  Map<String, String> headers() {
    return headers;
  }
}
