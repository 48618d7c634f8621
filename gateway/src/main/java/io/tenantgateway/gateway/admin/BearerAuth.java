package io.tenantgateway.gateway.admin;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Lets a request through only with {@code Authorization: Bearer <token>}. The comparison runs over
 * SHA-256 digests of both values, so its time tells nothing about the token, not even its length.
 * A refusal is logged with the caller's address, method and path, never the token. Wrong tokens are
 * counted per address ({@link AuthFailures}); an address with too many is refused with 429 and
 * {@code Retry-After} before any comparison, here and at the dashboard login.
 */
final class BearerAuth implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(BearerAuth.class);
  private static final String SCHEME = "bearer ";

  private final AuthFailures failures;
  private volatile byte[] expectedDigest;

  /**
   * @param token the admin token, not empty
   * @param failures the wrong tokens counted per address
   */
  BearerAuth(String token, AuthFailures failures) {
    this.expectedDigest = sha256(token);
    this.failures = failures;
  }

  /**
   * @param token the new admin token, not empty; requests from now on need it
   */
  void replace(String token) {
    this.expectedDigest = sha256(token);
  }

  @Override
  public void handle(RoutingContext ctx) {
    long retryAfter = retryAfterSeconds(ctx);
    if (retryAfter > 0) {
      ctx.fail(new ApiException(429, "too many failed authentications from this address; try again in "
        + retryAfter + " s").header("Retry-After", String.valueOf(retryAfter)));
      return;
    }
    String header = ctx.request().getHeader("Authorization");
    String presented = header != null && header.regionMatches(true, 0, SCHEME, 0, SCHEME.length())
      ? header.substring(SCHEME.length()).trim() : null;
    if (authenticate(ctx, presented)) {
      ctx.next();
      return;
    }
    logRefusal(ctx, header == null ? "no Authorization header" : "wrong credentials");
    ctx.fail(new ApiException(401, "a valid bearer token is required").header("WWW-Authenticate", "Bearer"));
  }

  /**
   * @param ctx a request about to authenticate
   * @return whole seconds until its address may authenticate again, 0 when it may now
   */
  long retryAfterSeconds(RoutingContext ctx) {
    return failures.retryAfterSeconds(AdminRequests.remoteAddress(ctx));
  }

  /**
   * Compares in constant time over digests; a wrong token (not a missing or empty one) counts as a
   * failure of the request's address. Callers check {@link #retryAfterSeconds} first.
   *
   * @param ctx the request
   * @param presented the token it presented, or null
   * @return true when it is the admin token
   */
  boolean authenticate(RoutingContext ctx, String presented) {
    if (presented == null || presented.isEmpty()) {
      return false;
    }
    if (MessageDigest.isEqual(expectedDigest, sha256(presented))) {
      return true;
    }
    failures.failed(AdminRequests.remoteAddress(ctx));
    return false;
  }

  /**
   * Logs a refused request as every admin refusal is logged: address, method, path and why, never
   * the credentials presented.
   *
   * @param ctx the refused request
   * @param reason why, e.g. "wrong credentials"
   */
  static void logRefusal(RoutingContext ctx, String reason) {
    LOG.warn("admin API: refused {} {} from {}: {}", ctx.request().method(), ctx.request().path(),
      AdminRequests.remoteAddress(ctx), reason);
  }

  private static byte[] sha256(String value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
