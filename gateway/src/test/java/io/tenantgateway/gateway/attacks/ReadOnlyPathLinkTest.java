package io.tenantgateway.gateway.attacks;

import io.tenantgateway.gateway.testing.RawHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Static files linked into a tenant's {@code read_only_paths} (as Debian's phpMyAdmin links its
 * assets into {@code /usr/share/javascript}) are served; the tenant plants links to use that as a
 * way to make root read for it: a file of the shared tree that not everyone may read, a link inside
 * the shared tree pointing out of it, and files outside every allowed tree. The gateway reads as root,
 * so each must be refused although root could open it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReadOnlyPathLinkTest {

  private AttackSite site;
  private int port;

  @BeforeAll
  void start() throws Exception {
    site = AttackSite.start("ro-links");
    Path shared = Files.createDirectories(site.work.resolve("shared"));
    Path docroot = Files.createDirectories(site.work.resolve("linked/public"));
    Files.writeString(shared.resolve("app.js"), "SHARED-ASSET\n");
    Files.writeString(shared.resolve("private.txt"), "ROOT-ONLY\n");
    Files.writeString(shared.resolve("group.txt"), "GROUP-ONLY\n");
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(shared.resolve("app.js"), PosixFilePermissions.fromString("rw-r--r--"));
    Files.setPosixFilePermissions(shared.resolve("private.txt"), PosixFilePermissions.fromString("rw-------"));
    Files.setPosixFilePermissions(shared.resolve("group.txt"), PosixFilePermissions.fromString("rw-r-----"));
    Files.createSymbolicLink(shared.resolve("escape.txt"), site.outside.resolve("secret.txt"));
    for (String name : new String[] {"app.js", "private.txt", "group.txt", "escape.txt"}) {
      Files.createSymbolicLink(docroot.resolve(name), shared.resolve(name));
    }
    Files.createSymbolicLink(docroot.resolve("relative.js"), Path.of("../../shared/app.js"));
    Files.createSymbolicLink(docroot.resolve("secret.txt"), site.outside.resolve("secret.txt"));
    Files.createSymbolicLink(docroot.resolve("shadow.txt"), Path.of("/etc/shadow"));
    Files.createSymbolicLink(docroot.resolve("dir"), shared);
    try (var tree = Files.walk(docroot)) {
      for (Path p : tree.toList()) {
        Files.setAttribute(p, "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS);
      }
    }
    port = site.gateway(Map.of(), "  - id: linked\n    domains: [\"linked.test\"]\n    docroot: \"" + docroot + "\"\n"
      + "    read_only_paths: [\"" + shared + "\"]\n    backend: \"tcp:127.0.0.1:9\"\n");
  }

  @AfterAll
  void stop() throws Exception {
    if (site != null) {
      site.close();
    }
  }

  @ParameterizedTest
  @CsvSource({
    "/app.js, 200, SHARED-ASSET",
    "/relative.js, 200, SHARED-ASSET",
    "/dir/app.js, 200, SHARED-ASSET",
    "/private.txt, 403, ROOT-ONLY",
    "/group.txt, 403, GROUP-ONLY",
    "/dir/private.txt, 403, ROOT-ONLY",
    "/escape.txt, 404, OUTSIDE-SECRET",
    "/dir/escape.txt, 404, OUTSIDE-SECRET",
    "/secret.txt, 404, OUTSIDE-SECRET",
    "/shadow.txt, 404, root:"})
  void onlyWhatEveryoneMayReadInTheSharedTreeIsServed(String target, int status, String content) throws Exception {
    RawHttp.Response r = RawHttp.get(port, "linked.test", target);
    assertEquals(status, r.status(), target + ": " + r.text());
    if (status == 200) {
      assertEquals(content, r.text().trim());
    } else {
      assertFalse(r.text().contains(content), target + " leaked: " + r.text());
    }
  }
}
