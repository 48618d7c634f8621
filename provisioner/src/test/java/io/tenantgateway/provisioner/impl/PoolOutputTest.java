package io.tenantgateway.provisioner.impl;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PoolOutputTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "plain line|plain line",
    "a\rINFO forged|a\\x0dINFO forged",
    "esc \u001b[31mred|esc \\x1b[31mred",
    "c1 \u0085next|c1 \\x85next",
    "ls \u2028 ps \u2029|ls \\u2028 ps \\u2029",
    "user=\u202eevil\u202c|user=\\u202eevil\\u202c",
    "\u2066isolate\u2069 \u200fmark|\\u2066isolate\\u2069 \\u200fmark",
    "tab\tstays|tab\tstays",
    "caf\u00e9 ok|caf\u00e9 ok",
  })
  void controlAndDirectionCharactersAreEscaped(String line, String logged) {
    assertEquals(logged, PoolOutput.escape(line));
  }
}
