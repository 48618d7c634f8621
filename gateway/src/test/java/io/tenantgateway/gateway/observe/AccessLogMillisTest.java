package io.tenantgateway.gateway.observe;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AccessLogMillisTest {

  /** The line's milliseconds read as the rounded double that {@code Double.toString} used to write. */
  @ParameterizedTest
  @ValueSource(longs = {0, 1, 499, 500, 999_499, 999_500, 1_000_000, 1_500_000, 1_230_000, 1_234_567, 12_004_000,
    120_000_000, 59_999_999_999L, 3_600_000_000_000L})
  void writesWhatTheRoundedDoubleSays(long nanos) {
    StringBuilder out = new StringBuilder();
    AccessLog.appendMillis(out, nanos);
    assertEquals(Double.toString(Math.round(nanos / 1000.0) / 1000.0), out.toString());
  }
}
