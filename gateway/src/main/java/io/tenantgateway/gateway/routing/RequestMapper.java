package io.tenantgateway.gateway.routing;

import io.tenantgateway.gateway.registry.Tenant;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Maps a request path to a script, a static file, a redirect or a refusal, with the behaviour of
 * the usual nginx configurations:
 *
 * <ul>
 *   <li>both: {@code location ~ [^/]\.php(/|$)} with {@code fastcgi_split_path_info ^(.+?\.php)(/.*)$}
 *   and {@code try_files $fastcgi_script_name =404}: an existing {@code .php} file followed by
 *   {@code /...} runs with that PATH_INFO, a missing one is 404</li>
 *   <li>{@code front-controller}, in addition: {@code location / { try_files $uri $uri/ /index.php?$args; }}</li>
 * </ul>
 *
 * The path is percent-decoded as UTF-8, slashes merged and dot segments resolved. Refused with 400:
 * invalid encoding, control characters (CR, LF, NUL...), backslashes, dot segments above the root.
 * Refused with 404: dotfiles (except {@code .well-known}), scripts whose real path leaves the
 * docroot, static files whose real path is neither in the docroot nor in one of the tenant's
 * {@code read_only_paths}, and PHP sources that are not exactly {@code .php} (never served as text).
 *
 * <p>Runs on the event loop: one openat2 and one statx per file looked up ({@link DocrootLookup}), like
 * nginx's {@code stat}, unless the lookup was made less than a second ago ({@link LookupCache}).
 */
public final class RequestMapper {

  private static final Pattern PHP_LIKE = Pattern.compile(".*\\.(php\\d*|phtml|phar|inc)[. ]*");
  private static final String FALLBACK_INDEX = "index.html";
  private static final String PATH_SAFE = "-._~!$&'()*+,;=:@/";

  private final LookupCache lookups;

  /** A mapper whose lookups are kept a moment ({@link LookupCache}). */
  public RequestMapper() {
    this(new LookupCache());
  }

  /** @param lookups where lookups are kept a moment */
  RequestMapper(LookupCache lookups) {
    this.lookups = lookups;
  }

  /**
   * @param site the tenant
   * @param rawPath the path of the request target, still percent-encoded
   * @return the mapping
   */
  public Mapping map(TenantSite site, String rawPath) {
    String path = normalize(rawPath);
    if (path == null) {
      return new Mapping.Refused(400);
    }
    if (hasHiddenSegment(path)) {
      return new Mapping.Refused(404);
    }
    Tenant.Routing routing = site.tenant().routing();
    boolean frontController = routing.mode() == Tenant.Mode.FRONT_CONTROLLER;
    int split = path.indexOf(".php/");
    if (split > 0) {
      String scriptName = path.substring(0, split + 4);
      return script(site, scriptName, path.substring(split + 4), scriptName);
    }
    DocrootLookup.Entry entry = DocrootLookup.of(lookups, site, path);
    if (path.endsWith("/")) {
      if (entry.isDirectory()) {
        return entry.inDocroot() ? directoryIndex(site, path) : new Mapping.Refused(404);
      }
      return frontController ? frontController(site) : new Mapping.Refused(404);
    }
    String name = path.substring(path.lastIndexOf('/') + 1);
    if (entry.isFile()) {
      if (name.endsWith(".php")) {
        return entry.inDocroot() ? new Mapping.Script(path, resolve(site, path), null, path) : new Mapping.Refused(404);
      }
      return staticFile(site, path, name, entry);
    }
    if (entry.isDirectory()) {
      return entry.inDocroot() ? new Mapping.Redirect(encodePath(path) + "/") : new Mapping.Refused(404);
    }
    if (name.endsWith(".php") || !frontController) {
      return new Mapping.Refused(404);
    }
    return frontController(site);
  }

  private Mapping directoryIndex(TenantSite site, String path) {
    String index = path + site.tenant().routing().index();
    if (DocrootLookup.of(lookups, site, index).isFile()) {
      return script(site, index, null, index);
    }
    String html = path + FALLBACK_INDEX;
    DocrootLookup.Entry entry = DocrootLookup.of(lookups, site, html);
    if (entry.isFile()) {
      return staticFile(site, html, FALLBACK_INDEX, entry);
    }
    return new Mapping.Refused(403);
  }

  private Mapping frontController(TenantSite site) {
    String scriptName = "/" + site.tenant().routing().index();
    return script(site, scriptName, null, scriptName);
  }

  private Mapping script(TenantSite site, String scriptName, String pathInfo, String documentUri) {
    DocrootLookup.Entry entry = DocrootLookup.of(lookups, site, scriptName);
    if (!entry.isFile() || !entry.inDocroot()) {
      return new Mapping.Refused(404);
    }
    return new Mapping.Script(scriptName, resolve(site, scriptName), pathInfo, documentUri);
  }

  private Mapping staticFile(TenantSite site, String path, String name, DocrootLookup.Entry entry) {
    if (PHP_LIKE.matcher(name.toLowerCase(Locale.ROOT)).matches() || !entry.readable()) {
      return new Mapping.Refused(404);
    }
    return new Mapping.StaticFile(resolve(site, path));
  }

  private static Path resolve(TenantSite site, String path) {
    return site.docroot().resolve(path.substring(1));
  }

  private static boolean hasHiddenSegment(String path) {
    int start = 1;
    while (start < path.length()) {
      int end = path.indexOf('/', start);
      if (end < 0) {
        end = path.length();
      }
      if (path.charAt(start) == '.' && !path.startsWith(".well-known", start)) {
        return true;
      }
      if (path.startsWith(".well-known", start) && end - start != ".well-known".length()) {
        return true;
      }
      start = end + 1;
    }
    return false;
  }

  /**
   * Percent-decodes a request path as UTF-8, merges slashes and resolves dot segments.
   *
   * @param rawPath the path as received
   * @return the normalised path starting with {@code /}, or null when it must be refused with 400
   */
  public static String normalize(String rawPath) {
    if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/') {
      return null;
    }
    String decoded = percentDecode(rawPath);
    if (decoded == null) {
      return null;
    }
    for (int i = 0; i < decoded.length(); i++) {
      char c = decoded.charAt(i);
      if (c < 0x20 || c == 0x7F || c == '\\') {
        return null;
      }
    }
    if (isNormal(decoded)) {
      return decoded;
    }
    List<String> segments = new ArrayList<>();
    String[] parts = decoded.split("/", -1);
    for (int i = 1; i < parts.length; i++) {
      String part = parts[i];
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (segments.isEmpty()) {
          return null;
        }
        segments.remove(segments.size() - 1);
        continue;
      }
      segments.add(part);
    }
    StringBuilder out = new StringBuilder(decoded.length());
    for (String segment : segments) {
      out.append('/').append(segment);
    }
    String last = parts[parts.length - 1];
    if (segments.isEmpty() || last.isEmpty() || last.equals(".") || last.equals("..")) {
      out.append('/');
    }
    return out.toString();
  }

  /** @return true when a decoded path has no empty, {@code .} or {@code ..} segment but perhaps the last */
  private static boolean isNormal(String path) {
    int length = path.length();
    for (int i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
      int next = i + 1;
      if (next < length && path.charAt(next) == '/') {
        return false;
      }
      int dots = 0;
      while (next + dots < length && dots < 3 && path.charAt(next + dots) == '.') {
        dots++;
      }
      if ((dots == 1 || dots == 2) && (next + dots == length || path.charAt(next + dots) == '/')) {
        return false;
      }
    }
    return true;
  }

  private static String percentDecode(String raw) {
    if (raw.indexOf('%') < 0) {
      boolean ascii = true;
      for (int i = 0; i < raw.length(); i++) {
        if (raw.charAt(i) > 0xFF) {
          return null;
        }
        ascii &= raw.charAt(i) <= 0x7F;
      }
      return ascii ? raw : utf8(raw.getBytes(StandardCharsets.ISO_8859_1));
    }
    byte[] bytes = new byte[raw.length()];
    int n = 0;
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c > 0xFF) {
        return null;
      }
      if (c == '%') {
        if (i + 2 >= raw.length()) {
          return null;
        }
        int hi = hexDigit(raw.charAt(i + 1));
        int lo = hexDigit(raw.charAt(i + 2));
        if (hi < 0 || lo < 0) {
          return null;
        }
        bytes[n++] = (byte) ((hi << 4) | lo);
        i += 2;
      } else {
        bytes[n++] = (byte) c;
      }
    }
    byte[] exact = new byte[n];
    System.arraycopy(bytes, 0, exact, 0, n);
    return utf8(exact);
  }

  private static int hexDigit(char c) {
    return c < 0x80 ? Character.digit(c, 16) : -1;
  }

  /**
   * @param path a normalised (decoded) path
   * @return the path percent-encoded as UTF-8, keeping only unreserved characters, sub-delimiters,
   *     {@code :}, {@code @} and {@code /} as they are
   */
  static String encodePath(String path) {
    return PercentEncoding.encode(path.getBytes(StandardCharsets.UTF_8),
      c -> c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || PATH_SAFE.indexOf(c) >= 0);
  }

  private static String utf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
