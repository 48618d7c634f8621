package io.tenantgateway.gateway;

import io.tenantgateway.gateway.config.GatewayConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.internal.VertxInternal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Connections are accepted on the event loops that serve them: no acceptor thread, no hand-off. */
class SharedAcceptorTransportTest {

  @Test
  void theAcceptorGroupIsTheEventLoopGroupAndServesNewConnections() throws Exception {
    io.vertx.core.transport.Transport transport = SharedAcceptorTransport.nativeOrNull();
    assertNotNull(transport, "the epoll transport (netty-transport-native-epoll) is on the class path");
    Vertx vertx = Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(2)).withTransport(transport).build();
    try {
      VertxInternal internal = (VertxInternal) vertx;
      assertSame(internal.eventLoopGroup(), internal.acceptorEventLoopGroup());
      assertTrue(vertx.isNativeTransportEnabled());

      Set<String> servedOn = ConcurrentHashMap.newKeySet();
      HttpServer server = vertx.createHttpServer().requestHandler(request -> {
        servedOn.add(Thread.currentThread().getName());
        request.response().end("ok");
      }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
      var client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
      List<Future<String>> bodies = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        bodies.add(client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/")
          .compose(request -> request.send().compose(response -> response.body().map(Object::toString))));
      }
      Future.all(bodies).await(20, TimeUnit.SECONDS);
      for (Future<String> body : bodies) {
        assertEquals("ok", body.result());
      }
      assertTrue(servedOn.stream().allMatch(name -> name.startsWith("vert.x-eventloop-thread-")), servedOn.toString());
    } finally {
      vertx.close().await(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void theGatewayRunsOnIt(@TempDir Path work) throws Exception {
    Path tenants = work.resolve("tenants.yaml");
    Files.writeString(tenants, "tenants: []\n");
    Gateway gateway = Gateway.start(GatewayConfig.load(Map.of(
      "GATEWAY_HTTP_HOST", "127.0.0.1",
      "GATEWAY_HTTP_PORT", "0",
      "GATEWAY_ADMIN_PORT", "0",
      "GATEWAY_REGISTRY_FILE", tenants.toString(),
      "GATEWAY_POOL_TEMPLATE", "../conf/php-fpm-pool.conf",
      "GATEWAY_RUN_DIR", work.resolve("run").toString()))).await(30, TimeUnit.SECONDS);
    try {
      VertxInternal internal = (VertxInternal) gateway.vertx();
      assertSame(internal.eventLoopGroup(), internal.acceptorEventLoopGroup());
    } finally {
      gateway.stop().await(30, TimeUnit.SECONDS);
    }
  }
}
