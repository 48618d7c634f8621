package io.tenantgateway.fcgi.impl;

import io.tenantgateway.fcgi.FcgiProtocolException;
import io.tenantgateway.fcgi.ProtocolStatus;
import io.netty.buffer.ByteBuf;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

import java.util.List;
import java.util.Map;

/**
 * Incremental decoder of the records an application sends to a client. It is fed whatever the
 * socket delivers, split anywhere, and reports each record to a {@link RecordHandler}: stream
 * content (STDOUT, STDERR) as soon as it arrives, as slices of the input (no copy), fixed bodies
 * once complete.
 *
 * <pre>
 * HEADER (8 bytes) ──► CONTENT (contentLength bytes) ──► PADDING (paddingLength bytes) ──► HEADER
 * </pre>
 *
 * Malformed input (a version other than 1, a type a client never receives, a request id that does
 * not belong to the record type, a fixed body of the wrong length, an unknown protocol status)
 * throws {@link FcgiProtocolException}; the decoder then refuses any further input and the
 * connection must be discarded.
 */
public final class RecordDecoder implements Handler<Buffer> {

  private enum State { HEADER, CONTENT, PADDING, FAILED }

  private final RecordHandler handler;
  private final byte[] header = new byte[FcgiConstants.HEADER_LENGTH];
  private State state = State.HEADER;
  private int headerFill;
  private RecordType type;
  private int contentLeft;
  private int paddingLeft;
  private Buffer body;

  /**
   * @param handler receives the decoded records
   */
  public RecordDecoder(RecordHandler handler) {
    this.handler = handler;
  }

  /**
   * @return true when the decoder stands between two records (nothing half read)
   */
  public boolean atRecordBoundary() {
    return state == State.HEADER && headerFill == 0;
  }

  /**
   * Decodes the next bytes of the stream.
   *
   * @param data any number of bytes
   * @throws FcgiProtocolException on malformed input, now or earlier
   */
  @Override
  public void handle(Buffer data) {
    handle(((BufferInternal) data).getByteBuf());
  }

  /**
   * Decodes the readable bytes of a buffer, leaving its indexes and reference count alone: stream
   * content is handed on as slices of it, valid while this call runs.
   *
   * @param data any number of bytes
   * @throws FcgiProtocolException on malformed input, now or earlier
   */
  public void handle(ByteBuf data) {
    int pos = data.readerIndex();
    int end = data.writerIndex();
    while (pos < end) {
      switch (state) {
        case HEADER:
          pos = readHeader(data, pos, end);
          break;
        case CONTENT:
          pos = readContent(data, pos, end);
          break;
        case PADDING:
          int skip = Math.min(paddingLeft, end - pos);
          paddingLeft -= skip;
          pos += skip;
          if (paddingLeft == 0) {
            state = State.HEADER;
          }
          break;
        default:
          throw new FcgiProtocolException("decoder already failed on earlier input");
      }
    }
  }

  private int readHeader(ByteBuf data, int pos, int end) {
    int take = Math.min(FcgiConstants.HEADER_LENGTH - headerFill, end - pos);
    data.getBytes(pos, header, headerFill, take);
    headerFill += take;
    if (headerFill == FcgiConstants.HEADER_LENGTH) {
      headerFill = 0;
      startRecord();
    }
    return pos + take;
  }

  private void startRecord() {
    int version = header[0] & 0xFF;
    if (version != FcgiConstants.VERSION_1) {
      fail("unsupported FastCGI version " + version);
    }
    int typeCode = header[1] & 0xFF;
    int requestId = ((header[2] & 0xFF) << 8) | (header[3] & 0xFF);
    contentLeft = ((header[4] & 0xFF) << 8) | (header[5] & 0xFF);
    paddingLeft = header[6] & 0xFF;
    type = incomingType(typeCode);
    int expectedId = isManagement(type) ? FcgiConstants.NULL_REQUEST_ID : FcgiConstants.REQUEST_ID;
    if (requestId != expectedId) {
      fail(type + " record with request id " + requestId + ", expected " + expectedId);
    }
    if (isFixedBody(type) && contentLeft != FcgiConstants.FIXED_BODY_LENGTH) {
      fail(type + " record with content length " + contentLeft + ", expected 8");
    }
    body = isStream(type) ? null : Buffer.buffer(contentLeft);
    state = State.CONTENT;
    if (contentLeft == 0) {
      endContent();
    }
  }

  private int readContent(ByteBuf data, int pos, int end) {
    int take = Math.min(contentLeft, end - pos);
    contentLeft -= take;
    if (body == null) {
      ByteBuf chunk = data.slice(pos, take);
      if (type == RecordType.STDOUT) {
        handler.stdout(chunk);
      } else {
        handler.stderr(chunk);
      }
    } else {
      byte[] part = new byte[take];
      data.getBytes(pos, part);
      body.appendBytes(part);
    }
    if (contentLeft == 0) {
      endContent();
    }
    return pos + take;
  }

  private void endContent() {
    state = paddingLeft > 0 ? State.PADDING : State.HEADER;
    switch (type) {
      case END_REQUEST:
        long appStatus = body.getUnsignedInt(0);
        int statusCode = body.getUnsignedByte(4);
        ProtocolStatus status;
        try {
          status = ProtocolStatus.from(statusCode);
        } catch (IllegalArgumentException e) {
          throw fail("END_REQUEST with unknown protocol status " + statusCode);
        }
        handler.endRequest(appStatus, status);
        break;
      case GET_VALUES_RESULT:
        List<Map.Entry<String, String>> values;
        try {
          values = NameValuePairs.decode(body);
        } catch (FcgiProtocolException e) {
          throw fail("malformed GET_VALUES_RESULT: " + e.getMessage());
        }
        handler.getValuesResult(values);
        break;
      case UNKNOWN_TYPE:
        handler.unknownType(body.getUnsignedByte(0));
        break;
      default:
        break;
    }
  }

  private RecordType incomingType(int code) {
    switch (code) {
      case 3: return RecordType.END_REQUEST;
      case 6: return RecordType.STDOUT;
      case 7: return RecordType.STDERR;
      case 10: return RecordType.GET_VALUES_RESULT;
      case 11: return RecordType.UNKNOWN_TYPE;
      default:
        throw fail("unexpected record type " + code + " from the application");
    }
  }

  private static boolean isManagement(RecordType type) {
    return type == RecordType.GET_VALUES_RESULT || type == RecordType.UNKNOWN_TYPE;
  }

  private static boolean isFixedBody(RecordType type) {
    return type == RecordType.END_REQUEST || type == RecordType.UNKNOWN_TYPE;
  }

  private static boolean isStream(RecordType type) {
    return type == RecordType.STDOUT || type == RecordType.STDERR;
  }

  private FcgiProtocolException fail(String message) {
    state = State.FAILED;
    throw new FcgiProtocolException(message);
  }
}
