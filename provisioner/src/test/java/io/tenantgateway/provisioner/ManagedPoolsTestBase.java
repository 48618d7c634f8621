package io.tenantgateway.provisioner;

import io.tenantgateway.fcgi.FcgiClient;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static io.tenantgateway.provisioner.PhpFpmTestSupport.*;

/**
 * A Vert.x instance per class; per test a temp dir with a run dir and a docroot, a FastCGI client,
 * and, after the test, the manager stopped and every pool process of the class's tenants killed.
 */
abstract class ManagedPoolsTestBase {

  static Vertx vertx;
  Path base;
  Path runDir;
  Path docroot;
  PoolManager manager;
  FcgiClient client;

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() throws Exception {
    await(vertx.close());
  }

  /** @return the tenant ids the tests use: their leftovers are killed after each test */
  abstract List<String> ids();

  @BeforeEach
  void setUpDirs() throws Exception {
    base = openTempDir("tg-prov-");
    runDir = base.resolve("run");
    Files.createDirectories(runDir);
    Files.setPosixFilePermissions(runDir, PosixFilePermissions.fromString("rwxr-xr-x"));
    docroot = docroot(base);
    client = client(vertx);
  }

  @AfterEach
  void tearDownAll() throws Exception {
    tearDown(manager, client, base, ids());
  }
}
