package io.tenantgateway.provisioner;

import io.tenantgateway.provisioner.impl.PoolConfigRenderer;
import io.tenantgateway.provisioner.impl.PoolLayout;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Rendering the pool template: placeholders, ini and env lines, rejected values. */
class PoolConfigRendererTest {

  private static final Path RUN = Path.of("/srv/run");
  private static final PoolLayout LAYOUT = PoolLayout.of(RUN, "acme");

  private static PoolSpec spec(Map<String, String> ini, Map<String, String> env) {
    return new PoolSpec("acme", Path.of("/srv/www/acme"), 7, 30, 45, ini, env);
  }

  private static String template() throws Exception {
    return Files.readString(PhpFpmTestSupport.TEMPLATE);
  }

  @Test
  void fillsEveryPlaceholderOfTheShippedTemplate() throws Exception {
    Map<String, String> ini = new LinkedHashMap<>();
    ini.put("memory_limit", "256M");
    ini.put("display_errors", "Off");
    String out = new PoolConfigRenderer(template()).render(spec(ini, Map.of("APP_ENV", "prod", "TZ", "UTC")),
      LAYOUT, "listen.owner = www-data");
    assertFalse(out.contains("{{"), out);
    assertFalse(out.contains("}}"), out);
    assertTrue(out.contains("[acme]"), out);
    assertFalse(out.contains("pid ="), "no pid file: " + out);
    assertTrue(out.contains("error_log = /dev/null"), "php-fpm logs to its stderr, a pipe: " + out);
    assertTrue(out.contains("slowlog = /srv/run/pools/acme/tmp/slow.log"), out);
    assertTrue(out.contains("listen = /srv/run/pools/acme/php.sock"), out);
    assertTrue(out.contains("listen.owner = www-data"), out);
    assertTrue(out.contains("pm.max_children = 7"), out);
    assertTrue(out.contains("pm.process_idle_timeout = 10s"), out);
    assertTrue(out.contains("request_terminate_timeout = 45s"), out);
    assertTrue(out.contains("process_control_timeout = 45s"), "a graceful stop waits for requests: " + out);
    assertTrue(out.contains("request_slowlog_timeout = 22s"), out);
    assertTrue(out.contains("ping.path = " + PoolConfigRenderer.PING_PATH), out);
    assertTrue(out.contains("php_admin_value[open_basedir] = /srv/www/acme:/srv/run/pools/acme/tmp"), out);
    assertTrue(out.contains("php_admin_value[upload_tmp_dir] = /srv/run/pools/acme/tmp"), out);
    assertTrue(out.contains("php_admin_value[memory_limit] = \"256M\"\n"), out);
    assertTrue(out.contains("php_admin_value[display_errors] = \"Off\"\n"), out);
    assertTrue(out.indexOf("php_admin_value[display_errors]") < out.indexOf("php_admin_value[memory_limit]"),
      "sorted, so equal specs render equal files");
    assertTrue(out.contains("env[APP_ENV] = \"prod\"\n"), out);
    assertTrue(out.contains("env[TZ] = \"UTC\"\n"), out);
  }

  @Test
  void shortIdleTimeoutGivesAtLeastOneSecond() {
    PoolSpec spec = new PoolSpec("acme", Path.of("/d"), 1, 0, 1, Map.of(), Map.of());
    String out = new PoolConfigRenderer("{{process_idle_timeout}} {{slowlog_timeout}} {{request_timeout}}")
      .render(spec, LAYOUT, "");
    assertEquals("1 1 1", out);
  }

  @Test
  void emptyIniAndEnvRenderNothing() throws Exception {
    String out = new PoolConfigRenderer("a{{ini}}b{{env}}c{{listen_owner}}d").render(spec(Map.of(), Map.of()),
      LAYOUT, "");
    assertEquals("abcd", out);
  }

  @Test
  void rendersTheSameTextForEqualSpecs() throws Exception {
    PoolConfigRenderer renderer = new PoolConfigRenderer(template());
    Map<String, String> a = new LinkedHashMap<>();
    a.put("x", "1");
    a.put("a", "2");
    Map<String, String> b = new LinkedHashMap<>();
    b.put("a", "2");
    b.put("x", "1");
    assertEquals(renderer.render(spec(a, Map.of()), LAYOUT, ""), renderer.render(spec(b, Map.of()), LAYOUT, ""));
  }

  @Test
  void rejectsQuotesAndLineBreaksInValues() throws Exception {
    PoolConfigRenderer renderer = new PoolConfigRenderer(template());
    assertThrows(IllegalArgumentException.class,
      () -> renderer.render(spec(Map.of("memory_limit", "1\"G"), Map.of()), LAYOUT, ""));
    assertThrows(IllegalArgumentException.class,
      () -> renderer.render(spec(Map.of("memory_limit", "1G\nphp_admin_value[open_basedir] = /"), Map.of()),
        LAYOUT, ""));
    assertThrows(IllegalArgumentException.class,
      () -> renderer.render(spec(Map.of("memory_limit", "1G\r"), Map.of()), LAYOUT, ""));
    assertThrows(IllegalArgumentException.class,
      () -> renderer.render(spec(Map.of(), Map.of("A", "x\"y")), LAYOUT, ""));
    assertThrows(IllegalArgumentException.class,
      () -> renderer.render(spec(Map.of(), Map.of("A", "x\ny")), LAYOUT, ""));
  }

  @Test
  void rejectsUnknownPlaceholder() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
      () -> new PoolConfigRenderer("pid = {{pool_dir}}/x\nfoo = {{no_such_thing}}\n").render(spec(Map.of(), Map.of()),
        LAYOUT, ""));
    assertTrue(e.getMessage().contains("no_such_thing"), e.getMessage());
  }

  @Test
  void replacementTextIsTakenLiterally() {
    String out = new PoolConfigRenderer("{{ini}}").render(spec(Map.of("x", "$1 \\\\ {{tenant}}"), Map.of()),
      LAYOUT, "");
    assertEquals("php_admin_value[x] = \"$1 \\\\ {{tenant}}\"\n", out);
  }
}
