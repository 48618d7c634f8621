package io.tenantgateway.gateway.proxy;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;

import java.lang.reflect.Proxy;

/**
 * An {@link HttpServerRequest} that answers the few questions {@link CgiParams} and
 * {@link RequestChecks} ask, as Vert.x 5 would for the same request head. Any other call fails.
 */
final class FakeRequest {

  HttpMethod method = HttpMethod.GET;
  String uri = "/";
  HttpVersion version = HttpVersion.HTTP_1_1;
  boolean ssl;
  final MultiMap headers = HttpHeaders.headers();
  SocketAddress remote = SocketAddress.inetSocketAddress(50000, "192.0.2.7");
  SocketAddress local = SocketAddress.inetSocketAddress(8080, "127.0.0.1");

  FakeRequest header(String name, String value) {
    headers.add(name, value);
    return this;
  }

  FakeRequest uri(String uri) {
    this.uri = uri;
    return this;
  }

  FakeRequest version(HttpVersion version) {
    this.version = version;
    return this;
  }

  HttpServerRequest request() {
    return (HttpServerRequest) Proxy.newProxyInstance(getClass().getClassLoader(),
      new Class<?>[] {HttpServerRequest.class}, (proxy, m, args) -> {
        switch (m.getName()) {
          case "method":
            return method;
          case "uri":
            return uri;
          case "version":
            return version;
          case "isSSL":
            return ssl;
          case "headers":
            return headers;
          case "remoteAddress":
            return remote;
          case "localAddress":
            return local;
          case "connection":
            return null;
          case "authority":
            // Http1xServerRequest: the Host header through HostAndPort.parseAuthority(host, -1)
            String host = headers.get("Host");
            return host == null ? null : HostAndPort.parseAuthority(host, -1);
          case "toString":
            return "FakeRequest " + method + " " + uri;
          default:
            throw new UnsupportedOperationException(m.getName());
        }
      });
  }
}
