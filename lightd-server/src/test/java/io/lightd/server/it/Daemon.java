package io.lightd.server.it;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.lightd.runtime.docker.DockerEngineExtension;
import io.lightd.server.LightdServer;
import io.lightd.server.config.ConfigLoader;
import io.lightd.server.config.LightdConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * A real lightd on 127.0.0.1, port 0, with its own storage folder and the process or Docker runtime
 * (Docker: the test engine of {@link DockerEngineExtension}, network mode none), plus real HTTP and
 * WebSocket clients for it. Restartable on the same storage.
 */
final class Daemon implements AutoCloseable {

    static final String TOKEN = "lightd_integration-test-master-token";

    /** An HTTP answer: status and JSON body. */
    record Reply(int status, JsonObject body) {
    }

    /** The runtime a daemon runs its containers with, as the {@code runtime} config key names it. */
    enum Runtime {
        PROCESS, DOCKER;

        String configName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Path storage;
    private final JsonObject overrides;
    private final Runtime runtime;
    private final HttpClient http;
    private final Consumer<JsonObject> configChanges;
    private LightdServer server;

    /** With the process runtime, the default HTTP client and no change beyond the limits. */
    Daemon(Path storage, JsonObject limitOverrides) throws Exception {
        this(storage, limitOverrides, Runtime.PROCESS, defaultHttp(), config -> { });
    }

    /**
     * With {@code http} for REST and WebSocket connections; {@code configChanges} edits the
     * configuration JSON (origins, TLS...) after the limits are set, at every start.
     */
    Daemon(Path storage, JsonObject limitOverrides, Runtime runtime, HttpClient http,
           Consumer<JsonObject> configChanges) throws Exception {
        this.storage = storage;
        this.overrides = limitOverrides;
        this.runtime = runtime;
        this.http = http;
        this.configChanges = configChanges;
        start();
    }

    static HttpClient defaultHttp() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    Runtime runtime() {
        return runtime;
    }

    HttpClient http() {
        return http;
    }

    void start() throws Exception {
        JsonObject json = ConfigLoader.defaultsJson(TOKEN);
        json.getAsJsonObject("server").addProperty("host", "127.0.0.1");
        json.getAsJsonObject("server").addProperty("port", 0);
        json.getAsJsonObject("server").addProperty("event_loop_threads", 2);
        json.getAsJsonObject("storage").addProperty("base_path", storage.toString());
        json.addProperty("runtime", runtime.configName());
        if (runtime == Runtime.DOCKER) {
            json.getAsJsonObject("docker").addProperty("socket_path", DockerEngineExtension.dockerHost());
            json.getAsJsonObject("docker").addProperty("network_mode", "none");
        }
        json.getAsJsonObject("limits").addProperty("stop_timeout_seconds", 3);
        for (Map.Entry<String, JsonElement> e : overrides.entrySet()) {
            json.getAsJsonObject("limits").add(e.getKey(), e.getValue());
        }
        configChanges.accept(json);
        LightdConfig config = ConfigLoader.parse(json, storage);
        server = LightdServer.start(config);
    }

    void restart() throws Exception {
        server.close();
        start();
    }

    LightdServer server() {
        return server;
    }

    URI uri(String path) {
        return URI.create((tls() ? "https" : "http") + "://127.0.0.1:" + server.port() + path);
    }

    /** The WebSocket address of {@code path}: {@code wss} when the daemon speaks TLS. */
    URI wsUri(String path) {
        return URI.create((tls() ? "wss" : "ws") + "://127.0.0.1:" + server.port() + path);
    }

    private boolean tls() {
        return server.config().tls().enabled();
    }

    Reply request(String method, String path, String body, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(15))
                .header("Accept", "Application/vnd.pkglatv1+json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonElement json = r.body().isEmpty() ? new JsonObject() : JsonParser.parseString(r.body());
            return new Reply(r.statusCode(), json.getAsJsonObject());
        } catch (Exception e) {
            throw new AssertionError(method + " " + path + " failed", e);
        }
    }

    Reply request(String method, String path, String body) {
        return request(method, path, body, TOKEN);
    }

    WsClient ws(String id, String token) {
        return WsClient.connect(http, wsUri("/ws/" + id + (token == null ? "" : "?token=" + token)), Map.of());
    }

    WsClient ws(String id) {
        return ws(id, TOKEN);
    }

    WsClient pausedWs(String id) {
        return WsClient.connect(http, wsUri("/ws/" + id + "?token=" + TOKEN), Map.of(), true);
    }

    WsClient ws(String path, Map<String, String> headers) {
        return WsClient.connect(http, wsUri(path), headers);
    }

    /** The HTTP status with which an upgrade was refused. */
    int refusedStatus(String path, Map<String, String> headers) {
        try {
            WsClient c = ws(path, headers);
            c.close();
            throw new AssertionError("the upgrade to " + path + " was accepted");
        } catch (CompletionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h) {
                return h.getResponse().statusCode();
            }
            throw e;
        }
    }

    /** Stops the daemon; containers keep running where the runtime allows. {@link #start} brings it back. */
    @Override
    public void close() {
        if (server != null) {
            server.close();
            server = null;
        }
    }
}
