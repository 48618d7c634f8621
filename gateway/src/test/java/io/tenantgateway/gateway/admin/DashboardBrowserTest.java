package io.tenantgateway.gateway.admin;

import io.tenantgateway.gateway.Gateway;
import io.tenantgateway.gateway.config.GatewayConfig;
import io.tenantgateway.gateway.testing.RawHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The dashboard in a real browser: headless Chromium from the OS packages, driven through its
 * chromedriver by Selenium (never Selenium Manager: nothing is downloaded), against a real gateway with
 * a real php-fpm pool and a thousand more tenants. The methods run in order as one operator's visit:
 * log in, watch a request start a pool, stop it with its button, filter a thousand rows.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DashboardBrowserTest {

  private static final String CHROMIUM = "/usr/bin/chromium";
  private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  private static final String TOKEN = "browser-" + UUID.randomUUID();
  private static final String LIVE = "php-live";
  private static final int BULK = 1000;
  /** A refresh cycle (fetch, JSON, table update, layout) with {@link #BULK} rows must stay under this, ms. */
  private static final double MAX_REFRESH_MS = 200;
  /** A filter keystroke over {@link #BULK} rows must stay under this, ms. */
  private static final double MAX_FILTER_MS = 200;
  private static final Path SCREENSHOT = Path.of("target", "dashboard.png");

  private Gateway gateway;
  private WebDriver driver;
  private WebDriverWait wait;
  private String base;
  private final List<String> visited = new ArrayList<>();

  @BeforeAll
  void start() throws Exception {
    List<String> missing = new ArrayList<>();
    if (!Files.isExecutable(Path.of(CHROMIUM))) {
      missing.add("chromium");
    }
    if (!Files.isExecutable(Path.of(CHROMEDRIVER))) {
      missing.add("chromium-driver");
    }
    if (!missing.isEmpty()) {
      fail("the dashboard's browser test needs " + String.join(" and ", missing) + " (" + CHROMIUM + ", "
        + CHROMEDRIVER + "); install with: apt-get install -y chromium chromium-driver (bin/test does)");
    }

    Path work = Files.createTempDirectory("gw-dashboard-browser");
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path live = site(work.resolve(LIVE), "index.php", "<?php echo 'live';\n");
    Path bulk = site(work.resolve("bulk"), "hello.txt", "bulk\n");
    StringBuilder yaml = new StringBuilder("tenants:\n");
    yaml.append("  - {id: ").append(LIVE).append(", domains: [").append(LIVE).append(".dash.test, www.")
      .append(LIVE).append(".dash.test], docroot: ").append(live).append(", limits: {memory_mb: 128}}\n");
    yaml.append("  - {id: legacy, domains: [legacy.dash.test], docroot: ").append(bulk)
      .append(", backend: 'tcp:127.0.0.1:9'}\n");
    yaml.append("  - {id: paused, domains: [paused.dash.test], docroot: ").append(bulk).append(", enabled: false}\n");
    for (int i = 1; i <= BULK; i++) {
      String id = String.format("t%04d", i);
      yaml.append("  - {id: ").append(id).append(", domains: [").append(id).append(".bulk.test], docroot: ")
        .append(bulk).append("}\n");
    }
    Path tenants = work.resolve("tenants.yaml");
    Files.writeString(tenants, yaml);
    Map<String, String> env = new HashMap<>(Map.of(
      "GATEWAY_CONFIG", "../conf/gateway.yaml",
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_ADMIN_TOKEN", TOKEN,
      "GATEWAY_REGISTRY", "file",
      "GATEWAY_REGISTRY_FILE", tenants.toString(),
      "GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf",
      "GATEWAY_RUN_DIR", work.resolve("run").toString()));
    gateway = Gateway.start(GatewayConfig.load(env)).await(30, TimeUnit.SECONDS);
    assertNotNull(gateway.pools(), "php-fpm is installed by bin/test");
    base = "http://127.0.0.1:" + gateway.adminPort();

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1440,900",
      "--lang=en-US");
    ChromeDriverService service = new ChromeDriverService.Builder()
      .usingDriverExecutable(new File(CHROMEDRIVER))
      .usingAnyFreePort()
      .build();
    driver = new ChromeDriver(service, options);
    wait = new WebDriverWait(driver, Duration.ofSeconds(10), Duration.ofMillis(50));
  }

  private static Path site(Path docroot, String file, String content) throws Exception {
    Files.createDirectories(docroot);
    Files.setPosixFilePermissions(docroot, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(docroot.resolve(file), content);
    Files.setPosixFilePermissions(docroot.resolve(file), PosixFilePermissions.fromString("rw-r--r--"));
    return docroot;
  }

  @AfterAll
  void stop() throws Exception {
    if (driver != null) {
      driver.quit();
    }
    if (gateway != null) {
      gateway.stop().await(30, TimeUnit.SECONDS);
    }
  }

  // ---- helpers

  private void open(String path) {
    driver.get(base + path);
    visited.add(driver.getCurrentUrl());
  }

  private void submitLogin(String token) {
    WebElement field = driver.findElement(By.cssSelector("input[type=password][name=token]"));
    field.clear();
    field.sendKeys(token);
    WebElement page = driver.findElement(By.tagName("html"));
    driver.findElement(By.cssSelector("form[action='/dashboard/login'] button[type=submit]")).click();
    // the old page is still "complete" until the browser has left it
    wait.until(ExpectedConditions.stalenessOf(page));
    wait.until(d -> ((JavascriptExecutor) d).executeScript("return document.readyState").equals("complete"));
    visited.add(driver.getCurrentUrl());
  }

  private String state(String id) {
    return String.valueOf(script("const c = document.querySelector(\".row[data-id='\" + arguments[0] + \"'] .c-state\");"
      + " return c ? c.textContent : null;", id));
  }

  private void waitForState(String id, String state) {
    wait.withMessage(() -> id + " shows " + state(id) + ", not " + state).until(d -> state.equals(state(id)));
  }

  private Object script(String js, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(js, args);
  }

  private long visibleRows() {
    return (Long) script("return document.querySelectorAll('#tenants .rows .row:not([hidden])').length;");
  }

  // ---- the visit

  @Test
  @Order(1)
  void aWrongTokenShowsAnErrorAndTheRightOneOpensThePage() {
    open("/dashboard");
    assertEquals(base + "/dashboard", driver.getCurrentUrl());
    assertTrue(driver.findElements(By.id("tenants")).isEmpty(), "the login form first");

    submitLogin("wrong-" + TOKEN);
    WebElement error = driver.findElement(By.cssSelector(".login .error"));
    assertTrue(error.isDisplayed());
    assertTrue(error.getText().contains("not the admin token"), error.getText());
    assertEquals(base + "/dashboard/login", driver.getCurrentUrl(), "a POST: nothing in the URL");
    assertTrue(driver.manage().getCookies().isEmpty(), "no session: " + driver.manage().getCookies());

    submitLogin(TOKEN);
    assertEquals(base + "/dashboard", driver.getCurrentUrl(), "redirected to the page");
    wait.until(d -> (Long) script("return document.querySelectorAll('#tenants .rows .row').length;") == BULK + 3);
    assertEquals("STOPPED", state(LIVE), "its pool never ran");
    assertEquals("BACKEND", state("legacy"));
    assertTrue(state("paused").startsWith("STOPPED"), state("paused"));
    assertEquals(3, driver.findElements(By.cssSelector(".row[data-id='" + LIVE + "'] .c-actions button")).size());
    assertTrue(driver.findElements(By.cssSelector(".row[data-id='legacy'] .c-actions button")).isEmpty(),
      "no pool actions for a backend tenant");
    assertTrue(driver.findElement(By.cssSelector(".row[data-id='paused'] button[data-action=start]")).getAttribute(
      "disabled") != null, "a disabled tenant cannot be started");
    assertEquals("\u2014", driver.findElement(By.cssSelector(".row[data-id='" + LIVE + "'] .c-p95")).getText(),
      "no latency yet: a dash");

    Cookie session = driver.manage().getCookieNamed(DashboardSession.COOKIE);
    assertNotNull(session, "logged in: " + driver.manage().getCookies());
    assertTrue(session.isHttpOnly());
    assertEquals("Strict", session.getSameSite());
    assertEquals("/dashboard", session.getPath());
    assertNotEquals(TOKEN, session.getValue());
    assertEquals("", script("return document.cookie;"), "the session cookie is out of the page's reach");
  }

  @Test
  @Order(2)
  void aRequestToTheTenantTurnsItsRowRunningWithoutAReload() throws Exception {
    script("window.sameDocument = true;");
    RawHttp.Response served = RawHttp.get(gateway.httpPort(), LIVE + ".dash.test", "/");
    assertEquals(200, served.status(), served.text());
    assertEquals("live", served.text());
    waitForState(LIVE, "RUNNING");
    assertEquals(Boolean.TRUE, script("return window.sameDocument === true;"), "updated in place, no reload");
    String row = ".row[data-id='" + LIVE + "'] ";
    long pid = Long.parseLong(driver.findElement(By.cssSelector(row + ".c-pid")).getText());
    assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " is the master");
    assertTrue(driver.findElement(By.cssSelector(row + ".c-cold")).getText().endsWith("ms"));
    wait.until(d -> driver.findElement(By.cssSelector(row + ".c-memory")).getText().endsWith("/ 128 MiB"));

    for (int i = 0; i < 20; i++) {
      assertEquals(200, RawHttp.get(gateway.httpPort(), LIVE + ".dash.test", "/").status());
    }
    wait.until(d -> {
      String rate = driver.findElement(By.cssSelector(row + ".c-rps")).getText();
      return !rate.equals("\u2014") && Double.parseDouble(rate) > 0;
    });
    Files.createDirectories(SCREENSHOT.getParent());
    Files.copy(((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath(), SCREENSHOT,
      StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  @Order(3)
  void theStopButtonStopsThePool() {
    assertEquals("RUNNING", state(LIVE));
    String pid = driver.findElement(By.cssSelector(".row[data-id='" + LIVE + "'] .c-pid")).getText();
    driver.findElement(By.cssSelector(".row[data-id='" + LIVE + "'] button[data-action=stop]")).click();
    waitForState(LIVE, "STOPPED");
    assertFalse(ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false), "master gone");
    WebElement notice = driver.findElement(By.id("notice"));
    wait.until(d -> notice.isDisplayed());
    assertEquals(LIVE + ": stop done", notice.getText());
    assertEquals(Boolean.TRUE, script("return window.sameDocument === true;"));
    assertEquals(base + "/dashboard", driver.getCurrentUrl());
  }

  @Test
  @Order(4)
  void theFilterAndARefreshStayFastWithAThousandTenants() {
    WebElement filter = driver.findElement(By.id("filter"));
    filter.sendKeys("t05");
    wait.until(d -> visibleRows() == 100);
    filter.sendKeys("00");
    wait.until(d -> visibleRows() == 1);
    assertTrue(driver.findElement(By.cssSelector(".row[data-id='t0500']")).isDisplayed());
    filter.clear();
    filter.sendKeys("PHP-LIVE.DASH");
    wait.until(d -> visibleRows() == 1);
    filter.clear();
    filter.sendKeys("www." + LIVE);
    wait.until(d -> visibleRows() == 1);
    filter.clear();
    filter.sendKeys("no-such-tenant");
    wait.until(d -> visibleRows() == 0);
    assertTrue(driver.findElement(By.id("empty")).isDisplayed());

    @SuppressWarnings("unchecked")
    List<Number> keystrokes = (List<Number>) script(
      "const box = document.getElementById('filter'); const body = document.querySelector('#tenants .rows');"
        + " const times = [];"
        + " for (const value of ['', 't', 't0', 't01', 't0', '']) {"
        + "   const started = performance.now(); box.value = value; box.dispatchEvent(new Event('input'));"
        + "   void body.offsetHeight; times.push(performance.now() - started); }"
        + " return times;");
    assertEquals(BULK + 3, visibleRows());
    for (Number time : keystrokes) {
      assertTrue(time.doubleValue() < MAX_FILTER_MS, "filter keystrokes over " + BULK + " rows, ms: " + keystrokes);
    }

    @SuppressWarnings("unchecked")
    List<Number> refreshes = (List<Number>) ((JavascriptExecutor) driver).executeAsyncScript(
      "const done = arguments[arguments.length - 1]; const body = document.querySelector('#tenants .rows');"
        + " (async () => { const times = [];"
        + "   for (let i = 0; i < 7; i++) { const started = performance.now();"
        + "     await window.tenantDashboard.refresh(); void body.offsetHeight;"
        + "     times.push(performance.now() - started); }"
        + "   done(times); })();");
    List<Double> sorted = refreshes.stream().map(Number::doubleValue).sorted().toList();
    double median = sorted.get(sorted.size() / 2);
    System.out.printf("dashboard with %d rows: refresh cycles %s ms (median %.1f), filter keystrokes %s ms%n",
      BULK + 3, refreshes, median, keystrokes);
    assertTrue(median < MAX_REFRESH_MS, "refresh cycles with " + BULK + " rows, ms: " + refreshes);
    assertEquals(BULK + 3, ((Number) script("return window.tenantDashboard.rows();")).intValue());
  }

  @Test
  @Order(5)
  void theTokenNeverAppearedInAUrl() {
    @SuppressWarnings("unchecked")
    List<String> fetched = (List<String>) script(
      "return performance.getEntries().map(e => e.name).filter(n => n.startsWith('http'));");
    List<String> urls = new ArrayList<>(visited);
    urls.add(driver.getCurrentUrl());
    urls.addAll(fetched);
    assertFalse(fetched.isEmpty());
    for (String url : urls) {
      assertFalse(url.contains(TOKEN), url);
      assertFalse(url.contains("token="), url);
    }
  }

  @Test
  @Order(6)
  void logoutReturnsToTheLoginForm() {
    driver.findElement(By.cssSelector("form.logout button")).click();
    wait.until(d -> !d.findElements(By.cssSelector("input[type=password]")).isEmpty());
    assertEquals(base + "/dashboard", driver.getCurrentUrl());
    assertTrue(driver.manage().getCookies().stream().noneMatch(c -> c.getName().equals(DashboardSession.COOKIE)));
  }
}
