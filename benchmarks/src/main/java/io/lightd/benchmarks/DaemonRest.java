package io.lightd.benchmarks;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The few REST calls the load client makes to the daemon. Thread-safe. */
final class DaemonRest {

    private final URI base;
    private final String token;
    /**
     * HTTP/1.1 only: the default (HTTP/2) sends an {@code Upgrade: h2c} header on plain http, which
     * servers that route every upgrade request to their WebSocket handler (Node's http module with an
     * {@code upgrade} listener) do not answer as a REST request.
     */
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    DaemonRest(URI base, String token) {
        this.base = base;
        this.token = token;
    }

    void ping() throws IOException, InterruptedException {
        call("GET", "/api/v1/public/ping", null, 200);
    }

    void create(String id, String startupCommand) throws IOException, InterruptedException {
        create(id, "debian:12", startupCommand);
    }

    /** Creates a container of {@code image} (the process runtime ignores the image). */
    void create(String id, String image, String startupCommand) throws IOException, InterruptedException {
        JsonObject body = new JsonObject();
        body.addProperty("internal_id", id);
        body.addProperty("image", image);
        body.addProperty("startup_command", startupCommand);
        call("POST", "/containers", body.toString(), 202);
    }

    /** The container's {@code install_state} and {@code state}, as "installed/running". */
    String states(String id) throws IOException, InterruptedException {
        JsonObject r = JsonParser.parseString(call("GET", "/containers/" + id, null, 200)).getAsJsonObject();
        return r.get("install_state").getAsString() + "/" + r.get("state").getAsString();
    }

    void power(String id, String action) throws IOException, InterruptedException {
        call("POST", "/containers/" + id + "/" + action, "", 202);
    }

    void delete(String id) throws IOException, InterruptedException {
        call("DELETE", "/containers/" + id + "?purge=true", null, 200);
    }

    private String call(String method, String path, String body, int expected) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expected) {
            throw new IOException(method + " " + path + ": HTTP " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    /**
     * Waits until {@link #states} of {@code id} starts with {@code prefix} ({@code installed/running}),
     * asking every 100 ms for at most five minutes.
     *
     * @throws IllegalStateException naming the states last seen, when the wait ends without them
     */
    void awaitState(String id, String prefix) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(5);
        String states = "";
        while (System.nanoTime() < deadline) {
            states = states(id);
            if (states.startsWith(prefix)) {
                return;
            }
            java.util.concurrent.TimeUnit.MILLISECONDS.sleep(100);
        }
        throw new IllegalStateException(id + " stayed " + states);
    }
}
