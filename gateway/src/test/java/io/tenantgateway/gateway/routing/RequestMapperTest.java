package io.tenantgateway.gateway.routing;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * {@link RequestMapper} against a real docroot, in both routing modes, and its path normalisation.
 */
class RequestMapperTest {

  @TempDir
  static Path root;
  static Path docroot;
  static Path outside;
  static TenantSite frontController;
  static TenantSite scripts;

  private final RequestMapper mapper = new RequestMapper();

  @BeforeAll
  static void docroot() throws IOException {
    docroot = Files.createDirectory(root.resolve("public"));
    outside = Files.createDirectory(root.resolve("outside"));
    write(outside.resolve("secret.txt"));
    write(outside.resolve("secret.php"));
    write(outside.resolve("index.php"));

    write(docroot.resolve("index.php"));
    write(docroot.resolve("a.php"));
    write(docroot.resolve("static.txt"));
    write(docroot.resolve("upload.jpg"));
    write(docroot.resolve("a.php.txt"));
    write(docroot.resolve("x.PHP"));
    write(docroot.resolve("x.phtml"));
    write(docroot.resolve("x.php5"));
    write(docroot.resolve("x.phar"));
    write(docroot.resolve("x.inc"));
    write(docroot.resolve("x.php."));
    write(docroot.resolve("café.php"));
    write(docroot.resolve("with space.txt"));
    write(docroot.resolve("q?x.txt"));
    write(docroot.resolve(".env"));
    write(docroot.resolve(".git/config"));
    write(docroot.resolve(".well-known/acme-challenge/x"));
    write(docroot.resolve("sub/index.php"));
    write(docroot.resolve("sub/page.txt"));
    write(docroot.resolve("sub/.htaccess"));
    write(docroot.resolve("html/index.html"));
    write(docroot.resolve("both/index.php"));
    write(docroot.resolve("both/index.html"));
    write(docroot.resolve("realdir/file.txt"));
    write(docroot.resolve("dir.php/x"));
    Files.createDirectories(docroot.resolve("empty"));
    Files.createDirectories(docroot.resolve("café"));
    Files.createDirectories(docroot.resolve("a?b"));
    Files.createDirectories(docroot.resolve("100%"));
    Files.createDirectories(docroot.resolve("sp ace"));
    Files.createSymbolicLink(docroot.resolve("linkdir"), Path.of("realdir"));
    Files.createSymbolicLink(docroot.resolve("leak.txt"), outside.resolve("secret.txt"));
    Files.createSymbolicLink(docroot.resolve("leak.php"), outside.resolve("secret.php"));
    Files.createSymbolicLink(docroot.resolve("outdir"), outside);
    Files.createSymbolicLink(docroot.resolve("dangling"), root.resolve("nothing-here"));

    frontController = Sites.site(docroot, "front-controller", "index.php");
    scripts = Sites.site(docroot, "scripts", "index.php");
  }

  private static void write(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, file.getFileName().toString());
  }

  private static Mapping script(String scriptName, String pathInfo, String documentUri) {
    return new Mapping.Script(scriptName, docroot.resolve(scriptName.substring(1)), pathInfo, documentUri);
  }

  private static Mapping script(String scriptName) {
    return script(scriptName, null, scriptName);
  }

  private static Mapping file(String relative) {
    return new Mapping.StaticFile(docroot.resolve(relative));
  }

  private static Mapping refused(int status) {
    return new Mapping.Refused(status);
  }

  @Nested
  class FrontController {

    private Mapping map(String rawPath) {
      return mapper.map(frontController, rawPath);
    }

    @Test
    void rootRunsTheIndex() {
      assertEquals(script("/index.php"), map("/"));
    }

    @Test
    void unknownPathsFallBackToTheIndex() {
      assertEquals(script("/index.php"), map("/nope"));
      assertEquals(script("/index.php"), map("/nope/deeper/"));
      assertEquals(script("/index.php"), map("/blog/2024/post-title"));
      assertEquals(script("/index.php"), map("/missing.phtml"));
      assertEquals(script("/index.php"), map("/dangling"), "a dangling symlink is a missing file");
    }

    @Test
    void pathInfoIsSplitAsNginxsUsualPhpLocationDoes() {
      assertEquals(script("/a.php", "/x/y", "/a.php"), map("/a.php/x/y"));
      assertEquals(script("/index.php", "/Main_Page", "/index.php"), map("/index.php/Main_Page"));
      assertEquals(new Mapping.Refused(404), map("/missing.php/x"), "try_files $fastcgi_script_name =404");
    }

    @Test
    void existingStaticFileIsServed() {
      assertEquals(file("static.txt"), map("/static.txt"));
      assertEquals(file("upload.jpg"), map("/upload.jpg"));
      assertEquals(file("sub/page.txt"), map("/sub/page.txt"));
      assertEquals(file("a.php.txt"), map("/a.php.txt"), "a .txt file is text, whatever comes before");
    }

    @Test
    void existingFileWithATrailingSlashFallsBackToTheIndex() {
      assertEquals(script("/index.php"), map("/static.txt/"));
    }

    @Test
    void existingPhpFileRuns() {
      assertEquals(script("/a.php"), map("/a.php"));
      assertEquals(script("/sub/index.php"), map("/sub/index.php"));
    }

    @Test
    void missingPhpFileIs404() {
      assertEquals(refused(404), map("/x.php"));
      assertEquals(refused(404), map("/sub/missing.php"));
      assertEquals(refused(404), map("/upload.jpg/x.php"));
    }

    @Test
    void phpSourcesThatAreNotExactlyDotPhpAreNeverServed() {
      assertEquals(refused(404), map("/x.PHP"));
      assertEquals(refused(404), map("/x.phtml"));
      assertEquals(refused(404), map("/x.php5"));
      assertEquals(refused(404), map("/x.phar"));
      assertEquals(refused(404), map("/x.inc"));
      assertEquals(refused(404), map("/x.php."));
    }

    @Test
    void directoryWithoutSlashRedirects() {
      assertEquals(new Mapping.Redirect("/sub/"), map("/sub"));
      assertEquals(new Mapping.Redirect("/empty/"), map("/empty"));
      assertEquals(new Mapping.Redirect("/linkdir/"), map("/linkdir"));
      assertEquals(new Mapping.Redirect("/dir.php/"), map("/dir.php"));
    }

    @Test
    void redirectLocationIsPercentEncoded() {
      assertEquals(new Mapping.Redirect("/caf%C3%A9/"), map("/caf%C3%A9"));
      assertEquals(new Mapping.Redirect("/a%3Fb/"), map("/a%3Fb"), "a ? in a name must not start a query");
      assertEquals(new Mapping.Redirect("/100%25/"), map("/100%25"));
      assertEquals(new Mapping.Redirect("/sp%20ace/"), map("/sp%20ace"));
    }

    @Test
    void directoryWithIndexPhpRunsIt() {
      assertEquals(script("/sub/index.php"), map("/sub/"));
      assertEquals(script("/both/index.php"), map("/both/"), "index.php wins over index.html");
    }

    @Test
    void directoryWithIndexHtmlServesIt() {
      assertEquals(file("html/index.html"), map("/html/"));
    }

    @Test
    void directoryWithoutIndexIs403() {
      assertEquals(refused(403), map("/empty/"));
      assertEquals(refused(403), map("/linkdir/"));
    }

    @Test
    void utf8FileNames() {
      assertEquals(script("/café.php"), map("/caf%C3%A9.php"));
      assertEquals(script("/café.php"), map("/caf%c3%a9.php"));
      assertEquals(script("/café.php"), map("/caf\u00c3\u00a9.php"), "raw UTF-8 bytes, one char per byte");
      assertEquals(file("with space.txt"), map("/with%20space.txt"));
      assertEquals(file("q?x.txt"), map("/q%3Fx.txt"));
    }

    @Test
    void dotfilesAre404ButWellKnownIsServed() {
      assertEquals(refused(404), map("/.env"));
      assertEquals(refused(404), map("/.git/config"));
      assertEquals(refused(404), map("/.git"));
      assertEquals(refused(404), map("/.git/"));
      assertEquals(refused(404), map("/sub/.htaccess"));
      assertEquals(refused(404), map("/%2eenv"));
      assertEquals(refused(404), map("/..."));
      assertEquals(refused(404), map("/.well-knownx/y"));
      assertEquals(refused(404), map("/.well-known/.hidden"));
      assertEquals(file(".well-known/acme-challenge/x"), map("/.well-known/acme-challenge/x"));
      assertEquals(new Mapping.Redirect("/.well-known/"), map("/.well-known"));
    }

    @Test
    void symlinksLeavingTheDocrootAre404() {
      assertEquals(refused(404), map("/leak.txt"));
      assertEquals(refused(404), map("/leak.php"));
      assertEquals(refused(404), map("/outdir/secret.txt"));
      assertEquals(refused(404), map("/outdir/secret.php"));
      assertEquals(refused(404), map("/outdir/"), "its index.php lies outside");
      assertEquals(refused(404), map("/outdir"), "no redirect reveals the directory");
    }

    @Test
    void symlinkedDirectoryInsideTheDocrootIsFollowed() {
      assertEquals(file("linkdir/file.txt"), map("/linkdir/file.txt"));
    }

    @Test
    void symlinkedFileInsideTheDocrootIsFollowed() throws IOException {
      Path link = docroot.resolve("alias.php");
      Files.createSymbolicLink(link, Path.of("a.php"));
      try {
        assertEquals(script("/alias.php"), map("/alias.php"));
      } finally {
        Files.delete(link);
      }
    }

    @Test
    void aDocrootConfiguredThroughASymlinkKeepsItsConfiguredPath(@TempDir Path elsewhere) throws IOException {
      Path linked = Files.createSymbolicLink(elsewhere.resolve("www"), docroot);
      TenantSite site = Sites.site(linked, "front-controller", "index.php");
      assertEquals(new Mapping.Script("/a.php", linked.resolve("a.php"), null, "/a.php"), mapper.map(site, "/a.php"));
      assertEquals(new Mapping.StaticFile(linked.resolve("static.txt")), mapper.map(site, "/static.txt"));
      assertEquals(refused(404), mapper.map(site, "/leak.txt"));
    }

    @Test
    void aFifoIsNeitherServedNorRun() throws Exception {
      Path fifo = docroot.resolve("pipe.php");
      Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
      assertEquals(0, mkfifo.waitFor());
      try {
        assertEquals(refused(404), map("/pipe.php"));
        assertEquals(script("/index.php"), mapper.map(frontController, "/pipe.txt"), "missing: the index");
      } finally {
        Files.delete(fifo);
      }
    }

    @Test
    void badPathsAre400() {
      assertEquals(refused(400), map("/%2e%2e/etc/passwd"));
      assertEquals(refused(400), map("/a/../../etc/passwd"));
      assertEquals(refused(400), map("/a%00.php"));
      assertEquals(refused(400), map("/a%5cb.php"));
      assertEquals(refused(400), map("/%zz"));
      assertEquals(refused(400), map(""));
    }

    @Test
    void dotSegmentsInsideTheDocrootResolve() {
      assertEquals(file("static.txt"), map("/sub/../static.txt"));
      assertEquals(file("static.txt"), map("//sub/%2e%2e//./static.txt"));
    }

    @Test
    void missingIndexScriptIs404(@TempDir Path bare) throws IOException {
      write(bare.resolve("file.txt"));
      TenantSite site = Sites.site(bare, "front-controller", "index.php");
      assertEquals(refused(404), mapper.map(site, "/nope"));
      assertEquals(refused(403), mapper.map(site, "/"));
      assertEquals(new Mapping.StaticFile(bare.resolve("file.txt")), mapper.map(site, "/file.txt"));
    }

    @Test
    void customIndexScript(@TempDir Path other) throws IOException {
      write(other.resolve("app.php"));
      write(other.resolve("index.php"));
      write(other.resolve("sub/index.php"));
      write(other.resolve("sub2/app.php"));
      TenantSite site = Sites.site(other, "front-controller", "app.php");
      assertEquals(new Mapping.Script("/app.php", other.resolve("app.php"), null, "/app.php"), mapper.map(site, "/"));
      assertEquals(new Mapping.Script("/app.php", other.resolve("app.php"), null, "/app.php"),
        mapper.map(site, "/nope"));
      assertEquals(new Mapping.Script("/sub2/app.php", other.resolve("sub2/app.php"), null, "/sub2/app.php"),
        mapper.map(site, "/sub2/"));
      assertEquals(refused(403), mapper.map(site, "/sub/"), "only the configured index is a directory index");
      assertEquals(new Mapping.Script("/index.php", other.resolve("index.php"), null, "/index.php"),
        mapper.map(site, "/index.php"));
    }
  }

  /** The lookups kept a moment ({@link LookupCache}), on a site whose clock the test moves. */
  @Nested
  class KeptLookups {

    private final AtomicLong now = new AtomicLong();
    private final RequestMapper mapper = new RequestMapper(new LookupCache(now::get));

    private TenantSite site(Path docroot) {
      return Sites.site(docroot, "scripts", "index.php");
    }

    @Test
    void aNewFileIsMappedAtOnce(@TempDir Path fresh) throws IOException {
      TenantSite site = site(fresh);
      assertEquals(refused(404), mapper.map(site, "/new.php"));
      write(fresh.resolve("new.php"));
      assertEquals(new Mapping.Script("/new.php", fresh.resolve("new.php"), null, "/new.php"),
        mapper.map(site, "/new.php"), "a missing path is not kept");
    }

    @Test
    void aRemovedFileIsMappedAsFoundUntilTheLookupExpires(@TempDir Path fresh) throws IOException {
      write(fresh.resolve("gone.php"));
      TenantSite site = site(fresh);
      Mapping found = new Mapping.Script("/gone.php", fresh.resolve("gone.php"), null, "/gone.php");
      assertEquals(found, mapper.map(site, "/gone.php"));
      Files.delete(fresh.resolve("gone.php"));
      now.addAndGet(LookupCache.VALIDITY_NANOS - 1);
      assertEquals(found, mapper.map(site, "/gone.php"), "PHP answers 404 for it meanwhile");
      now.incrementAndGet();
      assertEquals(refused(404), mapper.map(site, "/gone.php"));
    }

    @Test
    void aPathThroughALinkIsLookedUpEveryTime(@TempDir Path fresh) throws IOException {
      write(fresh.resolve("real.php"));
      Path link = Files.createSymbolicLink(fresh.resolve("alias.php"), Path.of("real.php"));
      TenantSite site = site(fresh);
      assertEquals(new Mapping.Script("/alias.php", fresh.resolve("alias.php"), null, "/alias.php"),
        mapper.map(site, "/alias.php"));
      Files.delete(link);
      Files.createSymbolicLink(link, outside.resolve("secret.php"));
      assertEquals(refused(404), mapper.map(site, "/alias.php"), "the link now leaves the docroot");
    }
  }

  @Nested
  class Scripts {

    private Mapping map(String rawPath) {
      return mapper.map(scripts, rawPath);
    }

    @Test
    void pathInfoIsSplit() {
      assertEquals(script("/a.php", "/x/y", "/a.php"), map("/a.php/x/y"));
      assertEquals(script("/a.php", "/", "/a.php"), map("/a.php/"));
      assertEquals(script("/sub/index.php", "/extra", "/sub/index.php"), map("/sub/index.php/extra"));
      assertEquals(script("/a.php", "/café", "/a.php"), map("/a.php/caf%C3%A9"));
      assertEquals(script("/a.php", "/x/y", "/a.php"), map("/a.php/x%2Fy"));
      assertEquals(script("/a.php", "/b.php/c", "/a.php"), map("/a.php/b.php/c"),
        "split at the first .php/, as ^(.+?\\.php)(/.*)$");
    }

    @Test
    void existingScriptRunsWithoutPathInfo() {
      assertEquals(script("/a.php"), map("/a.php"));
      assertEquals(script("/café.php"), map("/caf%C3%A9.php"));
    }

    @Test
    void scriptThatIsNotAFileIs404() {
      assertEquals(refused(404), map("/upload.jpg/x.php"));
      assertEquals(refused(404), map("/missing.php/x"));
      assertEquals(refused(404), map("/x.php"));
      assertEquals(refused(404), map("/dir.php/x"), "a directory named .php is no script");
      assertEquals(refused(404), map("/leak.php"));
      assertEquals(refused(404), map("/leak.php/x"));
      assertEquals(refused(404), map("/x.PHP/y"));
    }

    @Test
    void unknownPathsAre404() {
      assertEquals(refused(404), map("/nope"));
      assertEquals(refused(404), map("/nope/"));
      assertEquals(refused(404), map("/dangling"));
      assertEquals(refused(404), map("/static.txt/"));
    }

    @Test
    void staticFilesAndDirectoriesAsInFrontControllerMode() {
      assertEquals(file("static.txt"), map("/static.txt"));
      assertEquals(file("a.php.txt"), map("/a.php.txt"));
      assertEquals(file("linkdir/file.txt"), map("/linkdir/file.txt"));
      assertEquals(script("/index.php"), map("/"));
      assertEquals(script("/sub/index.php"), map("/sub/"));
      assertEquals(file("html/index.html"), map("/html/"));
      assertEquals(refused(403), map("/empty/"));
      assertEquals(new Mapping.Redirect("/sub/"), map("/sub"));
      assertEquals(refused(404), map("/x.phtml"));
      assertEquals(refused(404), map("/x.PHP"));
      assertEquals(refused(404), map("/leak.txt"));
    }

    @Test
    void dotfilesAre404EvenInPathInfo() {
      assertEquals(refused(404), map("/.env"));
      assertEquals(refused(404), map("/.git/config"));
      assertEquals(refused(404), map("/a.php/.git/config"));
      assertEquals(file(".well-known/acme-challenge/x"), map("/.well-known/acme-challenge/x"));
    }

    @Test
    void badPathsAre400() {
      assertEquals(refused(400), map("/a.php/%2e%2e/%2e%2e/etc/passwd"));
      assertEquals(refused(400), map("/a.php/%0a"));
    }
  }

  @Nested
  class Normalize {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = ' ', value = {
      "/ /",
      "/a /a",
      "/a/b /a/b",
      "/a/b/ /a/b/",
      "//a///b /a/b",
      "//a///b// /a/b/",
      "/a/./b /a/b",
      "/a/. /a/",
      "/./ /",
      "/a/b/.. /a/",
      "/a/../b /b",
      "/a/b/../../c /c",
      "/a/.. /",
      "/a/%2e%2e/b /b",
      "/a/%2E%2e/b /b",
      "/a/%2e/b /a/b",
      "/a%2fb /a/b",
      "/a%2Fb /a/b",
      "/%252e%252e/x /%2e%2e/x",
      "/%2541 /%41",
      "/%41%42c /ABc",
      "/caf%C3%A9.php /café.php",
      "/%E2%82%AC /€",
      "/%F0%9F%98%80 /\uD83D\uDE00",
      "/... /...",
      "/.well-known/x /.well-known/x",
      "/a+b /a+b",
      "/a;b=c /a;b=c",
    })
    void normalises(String raw, String expected) {
      assertEquals(expected, RequestMapper.normalize(raw));
    }

    @Test
    void spaceIsKept() {
      assertEquals("/a b", RequestMapper.normalize("/a%20b"));
      assertEquals("/a b", RequestMapper.normalize("/a b"));
    }

    @Test
    void rawLatin1CharsAreTheUtf8BytesOfThePath() {
      assertEquals("/café.php", RequestMapper.normalize("/caf\u00c3\u00a9.php"));
      assertEquals("/€", RequestMapper.normalize("/\u00e2\u0082\u00ac"));
      assertEquals("/café/é", RequestMapper.normalize("/caf\u00c3\u00a9/%C3%A9"), "raw and encoded mixed");
    }

    @ParameterizedTest
    @ValueSource(strings = {
      "/%2e%2e",
      "/%2e%2e/",
      "/%2E%2E/etc/passwd",
      "/..",
      "/../",
      "/../etc/passwd",
      "/a/../../etc/passwd",
      "/a/%2e%2e/%2e%2e/etc/passwd",
      "/a%2f..%2f..%2fetc%2fpasswd",
      "/%2e%2e%2f",
      "/./../x",
    })
    void dotSegmentsAboveTheRootAreRefused(String raw) {
      assertNull(RequestMapper.normalize(raw));
    }

    @ParameterizedTest
    @ValueSource(strings = {
      "/a%0a", "/a%0A.php", "/a%0d", "/a%0D%0Aset-cookie:x", "/a%00.php", "/a%00", "/a%09", "/a%7f", "/a%1b",
      "/a\u0000", "/a\n", "/a\r", "/a\t", "/a\u007f",
    })
    void controlCharactersAreRefused(String raw) {
      assertNull(RequestMapper.normalize(raw));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/a\\b", "/a%5cb", "/a%5C..%5C..%5Cetc", "/..\\x"})
    void backslashesAreRefused(String raw) {
      assertNull(RequestMapper.normalize(raw));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/%zz", "/%4", "/a%", "/a%%41", "/%4g", "/%g4", "/%-1", "/%+1", "/% 1",
      "/%\u0663\u0661", // Arabic-Indic digits are digits to Character.digit, but not hex digits of a URI
      "/%\uff13\uff11"}) // fullwidth digits likewise
    void invalidPercentEncodingIsRefused(String raw) {
      assertNull(RequestMapper.normalize(raw));
    }

    @ParameterizedTest
    @ValueSource(strings = {
      "/%c3%28", // bad continuation byte
      "/%c3", // truncated sequence
      "/%e2%82", // truncated sequence
      "/%ff", // never valid
      "/%80", // lone continuation byte
      "/%c0%ae%c0%ae/etc", // overlong "." — the classic traversal
      "/%c0%af", // overlong "/"
      "/%ed%a0%80", // UTF-16 surrogate
      "/%f4%90%80%80", // above U+10FFFF
      "/caf\u00e9", // a raw Latin-1 byte that is not UTF-8
      "/caf\u00c3(",
    })
    void invalidUtf8IsRefused(String raw) {
      assertNull(RequestMapper.normalize(raw));
    }

    @Test
    void charsThatAreNotBytesAreRefused() {
      assertNull(RequestMapper.normalize("/\u20ac"), "no request line char is above 0xFF");
      assertNull(RequestMapper.normalize("/\u0100%41"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a", "*", "a/b", "%2f", "http://x/", " /"})
    void pathsNotStartingWithSlashAreRefused(String raw) {
      assertNull(RequestMapper.normalize(raw));
    }

    @Test
    void nullIsRefused() {
      assertNull(RequestMapper.normalize(null));
    }

    @Test
    void doubleEncodingIsDecodedOnce() {
      String once = RequestMapper.normalize("/%252e%252e/%252e%252e/etc/passwd");
      assertEquals("/%2e%2e/%2e%2e/etc/passwd", once);
      assertNull(RequestMapper.normalize(once), "decoding it again would be a traversal, so it must not happen");
    }

    @Test
    void encodePathKeepsSafeCharacters() {
      assertEquals("/a-b._~!$&'()*+,;=:@/c", RequestMapper.encodePath("/a-b._~!$&'()*+,;=:@/c"));
      assertEquals("/caf%C3%A9/%3F%23%25%20%22%3C%3E%60%5E%7B%7D%7C",
        RequestMapper.encodePath("/café/?#% \"<>`^{}|"));
      assertEquals("/caf%C3%A9", RequestMapper.encodePath(RequestMapper.normalize("/caf%c3%a9")));
    }
  }
}
