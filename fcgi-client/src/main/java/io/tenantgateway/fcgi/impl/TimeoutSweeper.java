package io.tenantgateway.fcgi.impl;

import io.vertx.core.Vertx;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Enforces the request and idle timeouts of every exchange in flight with one periodic timer
 * instead of timers per request: a request costs a set insert and removal, and a timeout fires
 * within one sweep period of its deadline.
 */
final class TimeoutSweeper {

  /** Time between two sweeps, ms: the precision of every exchange timeout. */
  static final long PERIOD_MS = 50;

  private final Set<Exchange> inFlight = ConcurrentHashMap.newKeySet();
  private final Vertx vertx;
  private final long timerId;

  TimeoutSweeper(Vertx vertx) {
    this.vertx = vertx;
    this.timerId = vertx.setPeriodic(PERIOD_MS, id -> sweep());
  }

  void track(Exchange exchange) {
    inFlight.add(exchange);
  }

  void untrack(Exchange exchange) {
    inFlight.remove(exchange);
  }

  void close() {
    vertx.cancelTimer(timerId);
  }

  private void sweep() {
    long now = System.nanoTime();
    for (Exchange exchange : inFlight) {
      if (exchange.mayHaveTimedOut(now)) {
        exchange.dispatch(exchange::checkTimeouts);
      }
    }
  }
}
