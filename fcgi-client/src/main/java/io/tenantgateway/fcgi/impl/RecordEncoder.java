package io.tenantgateway.fcgi.impl;

import io.tenantgateway.fcgi.FcgiParams;
import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.Collection;

/**
 * Writes the records a FastCGI client sends. Every method appends to a caller's buffer so that one
 * request head (BEGIN_REQUEST, PARAMS, terminator) leaves in a single write.
 *
 * <pre>
 * record: version(1) type(1) requestId(2) contentLength(2) paddingLength(1) reserved(1)
 *         content[contentLength] padding[paddingLength]
 * </pre>
 *
 * Records are sent without padding, which the specification allows.
 */
public final class RecordEncoder {

  private RecordEncoder() {
  }

  /**
   * Appends a record header.
   *
   * @param out where to append
   * @param type the record type
   * @param requestId the request id
   * @param contentLength content bytes that follow
   */
  public static void header(Buffer out, RecordType type, int requestId, int contentLength) {
    if (contentLength < 0 || contentLength > FcgiConstants.MAX_CONTENT_LENGTH) {
      throw new IllegalArgumentException("record content length " + contentLength);
    }
    out.appendByte((byte) FcgiConstants.VERSION_1)
      .appendByte((byte) type.code)
      .appendUnsignedShort(requestId)
      .appendUnsignedShort(contentLength)
      .appendByte((byte) 0)
      .appendByte((byte) 0);
  }

  /**
   * Appends BEGIN_REQUEST for the responder role.
   *
   * @param out where to append
   * @param requestId the request id
   * @param keepConn whether the application keeps the connection open after the request
   */
  public static void beginRequest(Buffer out, int requestId, boolean keepConn) {
    header(out, RecordType.BEGIN_REQUEST, requestId, FcgiConstants.FIXED_BODY_LENGTH);
    out.appendUnsignedShort(FcgiConstants.ROLE_RESPONDER)
      .appendByte((byte) (keepConn ? FcgiConstants.FLAG_KEEP_CONN : 0))
      .appendBytes(new byte[5]);
  }

  /**
   * Appends the PARAMS stream and its empty terminator. Pairs are packed into records of at most
   * 65535 bytes without splitting a pair; a pair longer than a record by itself is split across
   * consecutive records, as the specification allows.
   *
   * @param out where to append
   * @param requestId the request id
   * @param params the parameters in order
   */
  public static void params(Buffer out, int requestId, FcgiParams params) {
    int first = 0;
    while (first < params.size()) {
      int last = first;
      while (last < params.size()
        && params.encodedOffset(last + 1) - params.encodedOffset(first) <= FcgiConstants.MAX_CONTENT_LENGTH) {
        last++;
      }
      if (last == first) {
        Buffer pair = Buffer.buffer();
        params.appendEncoded(pair, first, first + 1);
        stream(out, RecordType.PARAMS, requestId, pair);
        first++;
        continue;
      }
      header(out, RecordType.PARAMS, requestId, params.encodedOffset(last) - params.encodedOffset(first));
      params.appendEncoded(out, first, last);
      first = last;
    }
    header(out, RecordType.PARAMS, requestId, 0);
  }

  /**
   * Appends {@code data} as records of one stream type, at most 65535 bytes each. Empty data
   * appends nothing: the terminator is written with {@link #endOfStream}.
   *
   * @param out where to append
   * @param type STDIN or PARAMS
   * @param requestId the request id
   * @param data the stream bytes
   */
  public static void stream(Buffer out, RecordType type, int requestId, Buffer data) {
    int length = data.length();
    for (int pos = 0; pos < length; pos += FcgiConstants.MAX_CONTENT_LENGTH) {
      int chunk = Math.min(FcgiConstants.MAX_CONTENT_LENGTH, length - pos);
      header(out, type, requestId, chunk);
      out.appendBuffer(data, pos, chunk);
    }
  }

  /**
   * Appends the empty record that ends a stream.
   *
   * @param out where to append
   * @param type STDIN or PARAMS
   * @param requestId the request id
   */
  public static void endOfStream(Buffer out, RecordType type, int requestId) {
    header(out, type, requestId, 0);
  }

  /**
   * Appends ABORT_REQUEST.
   *
   * @param out where to append
   * @param requestId the request to abort
   */
  public static void abortRequest(Buffer out, int requestId) {
    header(out, RecordType.ABORT_REQUEST, requestId, 0);
  }

  /**
   * Appends GET_VALUES asking for the given variables (e.g. FCGI_MAX_CONNS, FCGI_MPXS_CONNS).
   *
   * @param out where to append
   * @param names the variable names
   */
  public static void getValues(Buffer out, Collection<String> names) {
    Buffer content = Buffer.buffer();
    for (String name : names) {
      NameValuePairs.append(content, name.getBytes(StandardCharsets.ISO_8859_1), new byte[0]);
    }
    header(out, RecordType.GET_VALUES, FcgiConstants.NULL_REQUEST_ID, content.length());
    out.appendBuffer(content);
  }
}
