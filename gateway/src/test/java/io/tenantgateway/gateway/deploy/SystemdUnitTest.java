package io.tenantgateway.gateway.deploy;

import io.tenantgateway.gateway.config.GatewayConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code conf/tenant-gateway.service}: its sections and directives, read as INI, agree with what the
 * gateway does (signals, stop time, the install layout of {@code bin/gateway}); and systemd itself
 * accepts it where {@code systemd-analyze} is installed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SystemdUnitTest {

  private static final String UNIT = "conf/tenant-gateway.service";
  private static final Path SYSTEMD_ANALYZE = Path.of("/usr/bin/systemd-analyze");
  private static final String INSTALL_DIR = "/opt/tenant-gateway";

  /** @return section name to its directives (a directive given twice keeps both values, in order) */
  private static Map<String, Map<String, List<String>>> unit() {
    Map<String, Map<String, List<String>>> sections = new LinkedHashMap<>();
    Map<String, List<String>> current = null;
    for (String raw : DeployFiles.read(UNIT).lines().toList()) {
      String line = raw.trim();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      assertFalse(line.endsWith("\\"), "no continuation lines: " + line);
      if (line.startsWith("[")) {
        assertTrue(line.endsWith("]"), line);
        current = new LinkedHashMap<>();
        assertTrue(sections.put(line.substring(1, line.length() - 1), current) == null, "section once: " + line);
        continue;
      }
      int eq = line.indexOf('=');
      assertTrue(eq > 0 && current != null, "key=value inside a section: " + line);
      current.computeIfAbsent(line.substring(0, eq).trim(), k -> new ArrayList<>()).add(line.substring(eq + 1).trim());
    }
    return sections;
  }

  private static String value(Map<String, List<String>> section, String key) {
    List<String> values = section.get(key);
    assertTrue(values != null && values.size() == 1, key + " set once: " + values);
    return values.get(0);
  }

  @Test
  void sectionsAndDirectives() {
    Map<String, Map<String, List<String>>> unit = unit();
    assertEquals(List.of("Unit", "Service", "Install"), List.copyOf(unit.keySet()));
    Map<String, List<String>> service = unit.get("Service");
    assertEquals(INSTALL_DIR + "/bin/gateway", value(service, "ExecStart"));
    assertEquals("on-failure", value(service, "Restart"));
    assertEquals("2", value(service, "RestartPreventExitStatus"), "a configuration error (exit 2) is not retried");
    assertEquals("SIGTERM", value(service, "KillSignal"));
    assertEquals("mixed", value(service, "KillMode"), "SIGTERM to the gateway only, not to the pools");
    assertEquals("/bin/kill -HUP $MAINPID", value(service, "ExecReload"));
    assertEquals("-/etc/tenant-gateway/env", value(service, "EnvironmentFile"));
    assertTrue(Long.parseLong(value(service, "LimitNOFILE")) >= 65536);
    assertEquals("continue", value(service, "OOMPolicy"));
    assertEquals("true", value(service, "ProtectSystem"), "full/strict make /etc read-only: useradd fails");
    assertEquals("yes", value(service, "PrivateTmp"));
    for (String breaking : List.of("NoNewPrivileges", "ProtectControlGroups", "ProtectKernelTunables",
      "MemoryDenyWriteExecute", "User", "DynamicUser")) {
      assertFalse(service.containsKey(breaking), breaking + " is not set (see the unit's comments)");
    }
    assertEquals("multi-user.target", value(unit.get("Install"), "WantedBy"));
    assertTrue(unit.get("Unit").get("After").get(0).contains("network-online.target"));
  }

  @Test
  void theStopTimeoutCoversDrainAndPoolStop() {
    GatewayConfig defaults = GatewayConfig.load(Map.of("GATEWAY_CONFIG",
      DeployFiles.repo().resolve("conf/gateway.yaml").toString()));
    // Main waits drain + stop grace + 10 s for the stop; systemd must not SIGKILL before that
    long needed = defaults.number("http.drain_timeout_s") + defaults.number("provisioner.stop_grace_ms") / 1000 + 10;
    long timeout = DeployFiles.seconds(value(unit().get("Service"), "TimeoutStopSec"));
    assertTrue(timeout > needed, "TimeoutStopSec " + timeout + "s must exceed " + needed + "s");
  }

  @Test
  void theInstallLayoutIsTheOneBinGatewayExpects() {
    String unit = DeployFiles.read(UNIT);
    String binGateway = DeployFiles.read("bin/gateway");
    for (String path : List.of("gateway/target/gateway-*.jar", "gateway/target/lib")) {
      assertTrue(binGateway.contains(path), "bin/gateway looks for " + path);
      assertTrue(unit.contains(INSTALL_DIR + "/" + path), "the unit documents " + path);
    }
    assertTrue(binGateway.contains("cd \"$root\""), "bin/gateway runs from its install root, so conf/ resolves there");
    assertTrue(DeployFiles.read("Dockerfile").contains("WORKDIR " + INSTALL_DIR), "the image uses the same layout");
    assertTrue(DeployFiles.read("README.md").contains(INSTALL_DIR), "README describes the layout");
  }

  @Test
  void systemdAcceptsTheUnit(@TempDir Path dir) throws IOException, InterruptedException {
    Assumptions.assumeTrue(Files.isExecutable(SYSTEMD_ANALYZE),
      "systemd-analyze is not installed (apt-get install -y systemd): only 'systemd-analyze verify' is skipped");
    // verify checks that ExecStart exists: point it at this checkout's bin/gateway
    Path unit = dir.resolve("tenant-gateway.service");
    Files.writeString(unit, DeployFiles.read(UNIT).replace("ExecStart=" + INSTALL_DIR + "/bin/gateway",
      "ExecStart=" + DeployFiles.repo().resolve("bin/gateway")));
    Process verify = new ProcessBuilder(SYSTEMD_ANALYZE.toString(), "verify", unit.toString())
      .redirectErrorStream(true).start();
    String out = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(verify.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, verify.exitValue(), out);
    // unknown keys and unparsable values are only warnings for systemd: none allowed
    assertEquals("", out.trim(), "systemd-analyze verify warns:\n" + out);
  }
}
