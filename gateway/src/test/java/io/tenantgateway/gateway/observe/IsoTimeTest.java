package io.tenantgateway.gateway.observe;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.format.DateTimeFormatter;

import static org.junit.jupiter.api.Assertions.assertEquals;

class IsoTimeTest {

  private static final DateTimeFormatter MILLIS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
    .withZone(java.time.ZoneOffset.UTC);

  @Test
  void matchesAFormatterAtEveryKindOfInstant() {
    long[] instants = {0, 1, 999, 1000, 59_999, 60_000, 1_796_281_435_296L, 1_796_281_435_000L, 1_796_281_380_000L,
      1_796_281_380_007L, 1_796_281_435_999L, 1_796_281_436_000L, -1};
    for (long at : instants) {
      StringBuilder out = new StringBuilder();
      IsoTime.append(out, at);
      assertEquals(MILLIS.format(Instant.ofEpochMilli(at)), out.toString(), "at " + at);
    }
  }

  @Test
  void consecutiveMillisecondsOfOneSecondReuseItsText() {
    long base = 1_796_281_435_000L;
    for (int ms = 0; ms < 1000; ms += 37) {
      StringBuilder out = new StringBuilder();
      IsoTime.append(out, base + ms);
      assertEquals(MILLIS.format(Instant.ofEpochMilli(base + ms)), out.toString());
    }
  }
}
