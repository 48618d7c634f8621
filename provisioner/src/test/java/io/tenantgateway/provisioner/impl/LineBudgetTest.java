package io.tenantgateway.provisioner.impl;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LineBudgetTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void aBurstPassesThenTheRateHolds() {
    LineBudget budget = new LineBudget(100, 200, 0);
    int passed = 0;
    for (int i = 0; i < 10_000; i++) {
      passed += budget.take(0) ? 1 : 0;
    }
    assertEquals(200, passed, "the burst, at one instant");
    assertEquals(9_800, budget.drainSuppressed());
    assertEquals(0, budget.drainSuppressed(), "counted once");
    passed = 0;
    for (long t = 0; t < 10 * SECOND; t += SECOND / 1000) {
      passed += budget.take(SECOND + t) ? 1 : 0;
    }
    assertTrue(passed >= 1_000 && passed <= 1_200, "100 lines/s over 10 s, plus the refilled burst: " + passed);
  }

  @Test
  void aQuietPoolGetsItsWholeBurstBack() {
    LineBudget budget = new LineBudget(10, 5, 0);
    for (int i = 0; i < 5; i++) {
      assertTrue(budget.take(0));
    }
    assertFalse(budget.take(0));
    assertTrue(budget.take(SECOND / 10), "one line's worth after 100 ms");
    assertFalse(budget.take(SECOND / 10));
    for (int i = 0; i < 5; i++) {
      assertTrue(budget.take(60 * SECOND), "refilled to the burst, not beyond");
    }
    assertFalse(budget.take(60 * SECOND));
  }
}
