package io.tenantgateway.gateway.admin;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The dashboard's files ({@code dashboard/} on the class path), read once at start: the login form, the
 * page, its script and its style sheet. Every reply forbids framing and inline scripts (a strict
 * Content-Security-Policy) and sniffing; the two HTML pages are never cached.
 */
final class DashboardAssets {

  /** Where the files live on the class path. */
  static final String DIR = "/dashboard/";
  /** The page's script, served at {@code /dashboard/dashboard.js}. */
  static final String SCRIPT = "dashboard.js";
  /** The page's style sheet, served at {@code /dashboard/dashboard.css}. */
  static final String STYLE = "dashboard.css";

  private static final String INDEX = "index.html";
  private static final String LOGIN = "login.html";
  private static final List<String> FILES = List.of(INDEX, LOGIN, SCRIPT, STYLE);
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

  private final Map<String, String> files;

  private DashboardAssets(Map<String, String> files) {
    this.files = files;
  }

  /**
   * @param vertx the Vert.x instance (the files are read on a worker thread)
   * @return the files
   */
  static Future<DashboardAssets> load(Vertx vertx) {
    return vertx.executeBlocking(() -> {
      Map<String, String> files = new HashMap<>();
      for (String name : FILES) {
        try (InputStream in = DashboardAssets.class.getResourceAsStream(DIR + name)) {
          if (in == null) {
            throw new IllegalStateException(DIR + name + " is missing from the class path");
          }
          files.put(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read " + DIR + name, e);
        }
      }
      return new DashboardAssets(files);
    }, false);
  }

  /**
   * @param ctx the request
   * @param csrf the session's CSRF token, for the page's API calls and its logout form
   * @param open true when the listener has no token: the page then offers no logout
   * @return completes when written
   */
  Future<Void> page(RoutingContext ctx, String csrf, boolean open) {
    String html = files.get(INDEX).replace("{{csrf}}", html(csrf)).replace("{{auth}}", open ? "open" : "token");
    return send(ctx, 200, "text/html; charset=utf-8", "no-store", html);
  }

  /**
   * @param ctx the request
   * @param status 200, 401 after a wrong token, or 429 while the address is blocked
   * @param error the message above the form, or null
   * @return completes when written
   */
  Future<Void> login(RoutingContext ctx, int status, String error) {
    String html = files.get(LOGIN).replace("<!--error-->",
      error == null ? "" : "<p class=\"error\" role=\"alert\">" + html(error) + "</p>");
    return send(ctx, status, "text/html; charset=utf-8", "no-store", html);
  }

  /**
   * @param ctx the request
   * @param name {@link #SCRIPT} or {@link #STYLE}
   * @return completes when written
   */
  Future<Void> file(RoutingContext ctx, String name) {
    String type = name.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
    return send(ctx, 200, type, "no-cache", files.get(name));
  }

  private static Future<Void> send(RoutingContext ctx, int status, String type, String cache, String body) {
    HttpServerResponse response = ctx.response().setStatusCode(status)
      .putHeader("Content-Type", type)
      .putHeader("Cache-Control", cache)
      .putHeader("Content-Security-Policy", CSP)
      .putHeader("X-Content-Type-Options", "nosniff")
      .putHeader("X-Frame-Options", "DENY")
      .putHeader("Referrer-Policy", "no-referrer");
    return response.end(body);
  }

  private static String html(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;")
      .replace("'", "&#39;");
  }
}
