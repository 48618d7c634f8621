package io.tenantgateway.gateway.observe;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.vertx.core.http.HttpServerRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * One line per request through SLF4J (logger {@code access}): JSON lines by default, or nginx's
 * "combined" format followed by the gateway's own fields. Lines go to stdout through an asynchronous
 * Logback appender ({@code logback.xml}), or to {@code access_log.file}.
 */
public final class AccessLog {

  /** The logger every access line goes to. */
  public static final String LOGGER = "access";

  private static final JsonStringEncoder JSON_STRINGS = JsonStringEncoder.getInstance();
  private static final DateTimeFormatter COMBINED_TIME = DateTimeFormatter
    .ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneId.systemDefault());

  /** Line formats. */
  public enum Format {
    /** One JSON object per line. */
    JSON,
    /** nginx "combined", then {@code tenant= rid= rt= awt= urt=}. */
    COMBINED
  }

  private final LineBatcher lines;
  private final Format format;

  private AccessLog(Logger logger, Format format) {
    this.lines = new LineBatcher(logger);
    this.format = format;
  }

  /**
   * @param format {@code json}, {@code combined} or {@code off}
   * @param file a file to append to, or empty for the Logback configuration (stdout)
   * @return the access log, or null when off
   */
  public static AccessLog open(String format, String file) {
    if (format.equals("off")) {
      return null;
    }
    Logger logger = LoggerFactory.getLogger(LOGGER);
    if (!file.isEmpty()) {
      toFile(logger, file);
    }
    return new AccessLog(logger, Format.valueOf(format.toUpperCase(Locale.ROOT)));
  }

  private static void toFile(Logger logger, String file) {
    if (!(logger instanceof ch.qos.logback.classic.Logger logback)) {
      return;
    }
    LoggerContext context = logback.getLoggerContext();
    MessageEncoder encoder = new MessageEncoder();
    encoder.setContext(context);
    encoder.start();
    FileAppender<ILoggingEvent> appender = new FileAppender<>();
    appender.setContext(context);
    appender.setName("access-file");
    appender.setFile(file);
    appender.setEncoder(encoder);
    appender.start();
    AsyncAppender async = new AsyncAppender();
    async.setContext(context);
    async.setName("access-file-async");
    async.setQueueSize(16384);
    async.setDiscardingThreshold(0);
    async.addAppender(appender);
    async.start();
    logback.detachAndStopAllAppenders();
    logback.setAdditive(false);
    logback.addAppender(async);
  }

  void write(RequestRecord record, int status, long received, long sent) {
    if (format == Format.JSON) {
      lines.add(out -> json(out, record, status, received, sent));
    } else {
      lines.add(out -> out.append(combined(record, status, sent)));
    }
  }

  /** Writes out the lines still batched (at shutdown). */
  void flush() {
    lines.flushAll();
  }

  private static void json(StringBuilder out, RequestRecord record, int status, long received, long sent) {
    HttpServerRequest request = record.request();
    out.append("{\"time\":\"");
    IsoTime.append(out, record.startMillis());
    out.append('"');
    out.append(",\"tenant\":");
    string(out, record.tenant());
    out.append(",\"host\":");
    string(out, request.getHeader("Host"));
    out.append(",\"method\":");
    string(out, request.method().name());
    out.append(",\"uri\":");
    string(out, request.uri());
    out.append(",\"status\":").append(status);
    out.append(",\"bytes_sent\":").append(sent);
    out.append(",\"bytes_received\":").append(received);
    out.append(",\"duration_ms\":");
    appendMillis(out, record.elapsedNanos());
    out.append(",\"activation_ms\":");
    millisOrNull(out, record.activationNanos());
    out.append(",\"upstream_ms\":");
    millisOrNull(out, record.upstreamNanos());
    out.append(",\"request_id\":");
    string(out, record.requestId());
    out.append(",\"remote_addr\":");
    string(out, remoteAddress(record));
    out.append(",\"user_agent\":");
    string(out, request.getHeader("User-Agent"));
    out.append('}');
  }

  private static void string(StringBuilder out, String value) {
    if (value == null) {
      out.append("null");
    } else {
      out.append('"');
      JSON_STRINGS.quoteAsString(value, out);
      out.append('"');
    }
  }

  private static void millisOrNull(StringBuilder out, long nanos) {
    if (nanos < 0) {
      out.append("null");
    } else {
      appendMillis(out, nanos);
    }
  }

  /** Milliseconds with at most three decimals and at least one, as {@code Double.toString} would write them. */
  static void appendMillis(StringBuilder out, long nanos) {
    long micros = (nanos + 500) / 1000;
    out.append(micros / 1000).append('.');
    int fraction = (int) (micros % 1000);
    if (fraction == 0) {
      out.append('0');
      return;
    }
    out.append((char) ('0' + fraction / 100));
    if (fraction % 100 != 0) {
      out.append((char) ('0' + fraction / 10 % 10));
      if (fraction % 10 != 0) {
        out.append((char) ('0' + fraction % 10));
      }
    }
  }

  private static String combined(RequestRecord record, int status, long sent) {
    HttpServerRequest request = record.request();
    return remoteAddress(record) + " - - [" + COMBINED_TIME.format(Instant.ofEpochMilli(record.startMillis()))
      + "] \"" + quoted(request.method().name() + " " + request.uri() + " " + protocol(request)) + "\" " + status
      + " " + sent + " \"" + quoted(orDash(request.getHeader("Referer"))) + "\" \""
      + quoted(orDash(request.getHeader("User-Agent"))) + "\" tenant=" + orDash(record.tenant())
      + " rid=" + record.requestId() + " rt=" + seconds(record.elapsedNanos())
      + " awt=" + (record.activationNanos() < 0 ? "-" : seconds(record.activationNanos()))
      + " urt=" + (record.upstreamNanos() < 0 ? "-" : seconds(record.upstreamNanos()));
  }

  private static String protocol(HttpServerRequest request) {
    return switch (request.version()) {
      case HTTP_1_0 -> "HTTP/1.0";
      case HTTP_2 -> "HTTP/2.0";
      default -> "HTTP/1.1";
    };
  }

  /** As nginx escapes variables in its log: {@code "}, {@code \} and bytes outside printable ASCII as {@code \xHH}. */
  private static String quoted(String value) {
    StringBuilder out = new StringBuilder(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\' || c < 0x20 || c > 0x7e) {
        out.append(String.format("\\x%02X", c & 0xff));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** The client as {@code REMOTE_ADDR} gives it: from X-Forwarded-For or Forwarded only behind a trusted proxy. */
  private static String remoteAddress(RequestRecord record) {
    String address = record.client().address();
    return address == null || address.isEmpty() ? "-" : address;
  }

  private static String orDash(String value) {
    return value == null || value.isEmpty() ? "-" : value;
  }


  private static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.3f", nanos / 1e9);
  }
}
