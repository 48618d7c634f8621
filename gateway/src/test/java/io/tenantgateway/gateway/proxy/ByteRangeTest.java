package io.tenantgateway.gateway.proxy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class ByteRangeTest {

  @ParameterizedTest
  @CsvSource({
    "bytes=0-0, 0, 0",
    "bytes=10-19, 10, 19",
    "bytes=10-, 10, 99",
    "bytes=90-1000, 90, 99",
    "bytes=-10, 90, 99",
    "bytes=-1000, 0, 99",
    "BYTES=1-2, 1, 2",
    "bytes= 5-6 , 5, 6",
    "bytes=0-99999999999999999999999, 0, 99",
  })
  void oneRangeOfAHundredBytes(String header, long first, long last) {
    ByteRange range = ByteRange.parse(header, 100);
    assertEquals(new ByteRange(first, last), range);
  }

  @ParameterizedTest
  @ValueSource(strings = {"bytes=100-", "bytes=100-200", "bytes=-0", "bytes=99999999999999999999-"})
  void rangesBeyondTheEndAreUnsatisfiable(String header) {
    assertSame(ByteRange.UNSATISFIABLE, ByteRange.parse(header, 100));
  }

  @Test
  void anEmptyFileSatisfiesNoRange() {
    assertSame(ByteRange.UNSATISFIABLE, ByteRange.parse("bytes=0-", 0));
    assertSame(ByteRange.UNSATISFIABLE, ByteRange.parse("bytes=-5", 0));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "bytes", "bytes=", "bytes=-", "items=0-1", "bytes=5-2", "bytes=a-b", "bytes=1-2-3",
    "bytes=+1-2", "bytes=1--2", "bytes=0-1,5-6", "bytes=0x1-2", "bytes=1 2-3", "bytes=\u0661-2"})
  void invalidOrSeveralRangesAreIgnored(String header) {
    assertNull(ByteRange.parse(header, 100), header);
  }

  @Test
  void noHeaderMeansTheWholeFile() {
    assertNull(ByteRange.parse(null, 100));
  }
}
