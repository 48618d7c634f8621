package io.tenantgateway.fcgi.impl;

import io.netty.buffer.ByteBuf;
import io.tenantgateway.fcgi.ProtocolStatus;

import java.util.List;
import java.util.Map;

/**
 * Receives what {@link RecordDecoder} decodes from an application's byte stream.
 */
public interface RecordHandler {

  /**
   * Bytes of the STDOUT stream, as they arrive; a record's content may come in several calls.
   *
   * @param data a non-empty slice of the decoded input, valid during the call only: retain or copy it to keep it
   */
  void stdout(ByteBuf data);

  /**
   * Bytes of the STDERR stream, as they arrive.
   *
   * @param data a non-empty slice of the decoded input, valid during the call only: retain or copy it to keep it
   */
  void stderr(ByteBuf data);

  /**
   * END_REQUEST.
   *
   * @param appStatus the application's exit status (unsigned 32 bits)
   * @param status the protocol status
   */
  void endRequest(long appStatus, ProtocolStatus status);

  /**
   * GET_VALUES_RESULT.
   *
   * @param values the variables and their values
   */
  void getValuesResult(List<Map.Entry<String, String>> values);

  /**
   * UNKNOWN_TYPE: the application did not understand a management record we sent.
   *
   * @param type the type byte it did not know
   */
  void unknownType(int type);
}
