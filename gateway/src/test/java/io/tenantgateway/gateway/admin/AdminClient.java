package io.tenantgateway.gateway.admin;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Test client of the admin API over real HTTP/1.1 ({@link HttpClient}).
 */
final class AdminClient {

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
    .connectTimeout(Duration.ofSeconds(5)).build();
  private final int port;
  private final String token;

  /**
   * A reply.
   *
   * @param status the status
   * @param response the full response
   */
  record Reply(int status, HttpResponse<String> response) {

    String body() {
      return response.body();
    }

    JsonObject json() {
      return new JsonObject(response.body());
    }

    String header(String name) {
      return response.headers().firstValue(name).orElse(null);
    }

    /** @return the {@code error} of a JSON error body, checking its shape on the way */
    String error() {
      if (!"application/json".equals(header("Content-Type"))) {
        throw new AssertionError("error reply is not JSON: " + header("Content-Type") + " " + body());
      }
      String error = json().getString("error");
      if (error == null || error.isBlank()) {
        throw new AssertionError("error reply without an error message: " + body());
      }
      return error;
    }

    String field() {
      error();
      return json().getString("field");
    }

    @Override
    public String toString() {
      return status + " " + response.body();
    }
  }

  /**
   * @param port the admin port on 127.0.0.1
   * @param token the bearer token sent, or null for none
   */
  AdminClient(int port, String token) {
    this.port = port;
    this.token = token;
  }

  /**
   * @param token another token, or null for none
   * @return a client of the same listener with that token
   */
  AdminClient withToken(String token) {
    return new AdminClient(port, token);
  }

  Reply get(String path) throws IOException, InterruptedException {
    return send("GET", path, null);
  }

  Reply post(String path, JsonObject body) throws IOException, InterruptedException {
    return send("POST", path, body == null ? null : body.encode(), "Content-Type", "application/json");
  }

  Reply put(String path, JsonObject body, String ifMatch) throws IOException, InterruptedException {
    return ifMatch == null ? send("PUT", path, body.encode(), "Content-Type", "application/json")
      : send("PUT", path, body.encode(), "Content-Type", "application/json", "If-Match", ifMatch);
  }

  Reply delete(String path, String ifMatch) throws IOException, InterruptedException {
    return ifMatch == null ? send("DELETE", path, null) : send("DELETE", path, null, "If-Match", ifMatch);
  }

  /**
   * @param method the method
   * @param path the path and query
   * @param body the body, or null
   * @param headers header names and values, alternating
   * @return the reply
   */
  Reply send(String method, String path, String body, String... headers) throws IOException, InterruptedException {
    try {
      return sendAsync(method, path, body, headers).get();
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  CompletableFuture<Reply> sendAsync(String method, String path, String body, String... headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
      .timeout(Duration.ofSeconds(30))
      .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString())
      .thenApply(response -> new Reply(response.statusCode(), response));
  }

  /**
   * @param reply a list reply
   * @return the ids of its items, in order
   */
  static java.util.List<String> ids(Reply reply) {
    JsonArray items = reply.json().getJsonArray("items");
    return items.stream().map(item -> ((JsonObject) item).getString("id")).toList();
  }
}
