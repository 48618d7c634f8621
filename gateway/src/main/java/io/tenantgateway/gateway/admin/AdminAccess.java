package io.tenantgateway.gateway.admin;

import io.tenantgateway.gateway.config.ConfigException;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Decides how the admin listener authenticates: with the token when one is set; without one only
 * when it listens on a loopback address, where only local users reach it.
 */
final class AdminAccess {

  private static final Logger LOG = LoggerFactory.getLogger(AdminAccess.class);
  private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");

  private AdminAccess() {
  }

  /**
   * @param host {@code admin.host}
   * @param token {@code admin.token}
   * @param failures the wrong tokens counted per address, used when there is a token
   * @return the authentication handler, or null when the listener is open (empty token, loopback host)
   * @throws ConfigException when the token is empty and the host is not a loopback address
   */
  static BearerAuth authFor(String host, String token, AuthFailures failures) {
    if (!token.isEmpty()) {
      return new BearerAuth(token, failures);
    }
    if (!isLoopback(host)) {
      throw new ConfigException("admin.token (GATEWAY_ADMIN_TOKEN): empty, but admin.host (GATEWAY_ADMIN_HOST) is "
        + host + ", which is not a loopback address: anyone who reaches it could manage every tenant. "
        + "Set a token, or bind the admin API to 127.0.0.1");
    }
    LOG.warn("admin API on {} has no authentication: admin.token (GATEWAY_ADMIN_TOKEN) is empty, so every "
      + "local user can manage tenants; set a token", host);
    return null;
  }

  /**
   * Without a token, lets through only requests that name a loopback address or localhost in
   * {@code Host}: a web page on another origin that rebinds its DNS name to 127.0.0.1 still sends
   * its own name, and is refused (403).
   *
   * @param ctx the request
   */
  static void loopbackHostOnly(RoutingContext ctx) {
    HostAndPort host = ctx.request().authority();
    if (host != null && isLoopback(host.host())) {
      ctx.next();
      return;
    }
    BearerAuth.logRefusal(ctx, "open admin listener asked for as " + (host == null ? "no Host" : host.host()));
    ctx.fail(new ApiException(403, "without admin.token the admin listener answers only to a loopback Host "
      + "(127.0.0.1, [::1] or localhost)"));
  }

  /**
   * Looks only at the literal: a name other than {@code localhost} is never resolved.
   *
   * @param host a host name or address literal, IPv6 optionally in brackets
   * @return true for 127.0.0.0/8, ::1 and localhost
   */
  static boolean isLoopback(String host) {
    String h = host.trim();
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.toLowerCase(Locale.ROOT).equals("localhost")) {
      return true;
    }
    if (!IPV4.matcher(h).matches() && !h.contains(":")) {
      return false;
    }
    try {
      return InetAddress.getByName(h).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
