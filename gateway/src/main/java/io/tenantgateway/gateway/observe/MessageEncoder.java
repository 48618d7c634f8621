package io.tenantgateway.gateway.observe;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.EncoderBase;

import java.nio.charset.StandardCharsets;

/**
 * Writes a log event's message as it is, in UTF-8, with nothing added: the access log hands
 * Logback whole batches of lines that already end in newlines, so a pattern layout would only copy
 * them twice more.
 */
public final class MessageEncoder extends EncoderBase<ILoggingEvent> {

  private static final byte[] NOTHING = new byte[0];

  @Override
  public byte[] headerBytes() {
    return NOTHING;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    return event.getFormattedMessage().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public byte[] footerBytes() {
    return NOTHING;
  }
}
