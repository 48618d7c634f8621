package io.tenantgateway.gateway.attacks;

import io.tenantgateway.gateway.testing.RawHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10, item 6: a tenant process flips symlinks in its upload directory in a tight loop, as
 * the tenant's user ({@code nobody} here), between a target inside the docroot and one outside it
 * (and, for the file, a FIFO, which must not hang the gateway's open), while a client requests the link 5,000 times per case: once the file itself, once a directory on
 * the way. The request mapper's check and the open are two moments; only the open counts, so not
 * one answer may carry the outside file, while both the inside file and refusals are seen (the flip
 * was raced, not missed). Vert.x Web's StaticHandler, which opened by path after the check, served
 * the outside file in this test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SymlinkFlipTest {

  private static final int REQUESTS = 5_000;
  private static final String FLIPPER = String.join("\n",
    "import os, sys",
    "os.chdir(sys.argv[1])",
    "def put(name, make):",
    "    tmp = name + '.next'",
    "    try:",
    "        os.unlink(tmp)",
    "    except FileNotFoundError:",
    "        pass",
    "    make(tmp)",
    "    os.replace(tmp, name)",
    "first = True",
    "while True:",
    "    put('flip.txt', lambda p: os.symlink('inside.txt', p))",
    "    put('flip.txt', lambda p: os.symlink('../../outside/secret.txt', p))",
    "    put('flip.txt', lambda p: os.symlink('inside.txt', p))",
    "    put('flip.txt', os.mkfifo)",
    "    put('d', lambda p: os.symlink('real', p))",
    "    put('d', lambda p: os.symlink('../../outside', p))",
    "    if first:",
    "        print('flipping', flush=True)",
    "        first = False",
    "");

  private AttackSite site;
  private int port;
  private Process flipper;
  private Path swapped;

  @BeforeAll
  void start() throws Exception {
    assertEquals("root", System.getProperty("user.name"), "bin/test runs the suite as root (the tenant runs as nobody)");
    site = AttackSite.start("flip");
    Path uploads = Files.createDirectories(site.docroot.resolve("uploads"));
    Files.writeString(uploads.resolve("inside.txt"), "INSIDE\n");
    Files.createDirectories(uploads.resolve("real"));
    Files.writeString(uploads.resolve("real/secret.txt"), "INSIDE-COPY\n");
    Files.createSymbolicLink(uploads.resolve("flip.txt"), Path.of("inside.txt"));
    Files.createSymbolicLink(uploads.resolve("d"), Path.of("real"));
    Path script = site.work.resolve("flipper.py");
    Files.writeString(script, FLIPPER);
    for (Path p : new Path[] {uploads, uploads.resolve("flip.txt"), uploads.resolve("d")}) {
      Files.setAttribute(p, "unix:uid", 65534, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }
    Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    swapped = Files.createDirectories(site.work.resolve("swap/public"));
    Files.writeString(swapped.resolve("secret.txt"), "SWAP-OWN\n");
    port = site.gateway(Map.of(), "  - id: swap\n    domains: [\"swap.test\"]\n    docroot: \"" + swapped + "\"\n"
      + "    backend: \"tcp:127.0.0.1:9\"\n");
    flipper = new ProcessBuilder("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
      "/usr/bin/python3", script.toString(), uploads.toString()).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(flipper.getInputStream(), StandardCharsets.UTF_8));
    assertEquals("flipping", out.readLine(), "the tenant's flipper runs");
  }

  @AfterAll
  void stop() throws Exception {
    if (flipper != null) {
      flipper.destroyForcibly().waitFor();
    }
    if (site != null) {
      site.close();
    }
  }

  @Test
  void aDocrootSwappedForALinkIsRefusedAtOnce() throws IOException {
    assertEquals("SWAP-OWN", RawHttp.get(port, "swap.test", "/secret.txt").text().trim());
    Files.move(swapped, swapped.resolveSibling("public.old"));
    Files.createSymbolicLink(swapped, site.outside);
    RawHttp.Response r = RawHttp.get(port, "swap.test", "/secret.txt");
    assertEquals(404, r.status(), r.text());
  }

  @Test
  void aFileMappedAMomentAgoAndThenReplacedByALinkOrAFifoIsNotServed() throws Exception {
    Path plain = site.docroot.resolve("uploads/plain.txt");
    Files.writeString(plain, "PLAIN\n");
    assertEquals("PLAIN", RawHttp.get(port, "site.test", "/uploads/plain.txt").text().trim(),
      "the lookup is now kept (LookupCache)");
    Path next = plain.resolveSibling("plain.next");
    Files.createSymbolicLink(next, Path.of("../../outside/secret.txt"));
    Files.move(next, plain, StandardCopyOption.ATOMIC_MOVE);
    RawHttp.Response linked = RawHttp.get(port, "site.test", "/uploads/plain.txt");
    assertEquals(404, linked.status(), linked.text());
    Files.delete(plain);
    assertEquals(0, new ProcessBuilder("mkfifo", plain.toString()).start().waitFor());
    RawHttp.Response fifo = RawHttp.get(port, "site.test", "/uploads/plain.txt");
    assertEquals(404, fifo.status(), fifo.text());
  }

  @ParameterizedTest
  @CsvSource({"/uploads/flip.txt, INSIDE", "/uploads/d/secret.txt, INSIDE-COPY"})
  void aFlippedLinkNeverServesTheOutside(String target, String inside) throws IOException {
    Map<String, Integer> answers = new TreeMap<>();
    try (RawHttp http = new RawHttp(port)) {
      for (int i = 0; i < REQUESTS; i++) {
        http.send("GET " + target + " HTTP/1.1\r\nHost: site.test\r\n\r\n");
        RawHttp.Response r = http.read(false);
        String body = r.text().trim();
        String key = r.status() + " " + (r.status() == 200 ? body : "");
        answers.merge(key, 1, Integer::sum);
        assertTrue(!body.contains("OUTSIDE"), "request " + i + " served the outside file: " + answers);
      }
    }
    assertTrue(answers.getOrDefault("200 " + inside, 0) > 0, "the inside file was served: " + answers);
    assertTrue(answers.getOrDefault("404 ", 0) > 0, "the outside link was seen: " + answers);
  }
}
