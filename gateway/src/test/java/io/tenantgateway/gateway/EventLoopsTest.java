package io.tenantgateway.gateway;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EventLoopsTest {

  @Test
  void byDefaultHalfTheCoresAndAtLeastOne() {
    assertEquals(1, Gateway.eventLoops(0, 1));
    assertEquals(1, Gateway.eventLoops(0, 2));
    assertEquals(1, Gateway.eventLoops(0, 3));
    assertEquals(2, Gateway.eventLoops(0, 4));
    assertEquals(32, Gateway.eventLoops(0, 64));
  }

  @Test
  void aConfiguredCountIsKept() {
    assertEquals(3, Gateway.eventLoops(3, 2));
    assertEquals(1, Gateway.eventLoops(1, 64));
  }
}
