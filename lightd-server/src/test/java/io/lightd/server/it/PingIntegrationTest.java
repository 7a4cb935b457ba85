package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.lightd.server.LightdServer;
import io.lightd.server.config.ConfigLoader;
import io.lightd.testing.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The public ping keeps its fields ({@code status}, {@code version}, {@code runtime}) and tells
 * whether the runtime answers: the process runtime always does; a Docker runtime pointed at a
 * socket where no engine listens does not.
 */
class PingIntegrationTest {

    @TempDir
    Path storage;

    @Test
    void processRuntimeIsAvailable() throws Exception {
        try (LightdServer server = LightdServer.start(ConfigLoader.parse(config("process", null), storage))) {
            JsonObject ping = ping(server);
            assertThat(ping.get("status").getAsString()).isEqualTo("ok");
            assertThat(ping.get("version").getAsString()).isEqualTo(LightdServer.version());
            assertThat(ping.get("runtime").getAsString()).isEqualTo("process");
            assertThat(ping.get("runtime_available").getAsBoolean()).isTrue();
        }
    }

    @Test
    void dockerRuntimeWithoutAnEngineIsUnavailable() throws Exception {
        Path socket = storage.resolve("no-engine.sock");
        try (LightdServer server = LightdServer.start(ConfigLoader.parse(config("docker", socket), storage))) {
            JsonObject ping = Await.until("the ping reports the runtime unavailable", Duration.ofSeconds(15),
                    () -> ping(server), p -> !p.get("runtime_available").getAsBoolean());
            assertThat(ping.get("status").getAsString()).isEqualTo("ok");
            assertThat(ping.get("runtime").getAsString()).isEqualTo("docker");
            assertThat(ping.get("runtime_available").getAsBoolean()).as(ping.toString()).isFalse();
        }
    }

    private JsonObject config(String runtime, Path socket) {
        JsonObject json = ConfigLoader.defaultsJson(Daemon.TOKEN);
        json.getAsJsonObject("server").addProperty("host", "127.0.0.1");
        json.getAsJsonObject("server").addProperty("port", 0);
        json.getAsJsonObject("server").addProperty("event_loop_threads", 2);
        json.getAsJsonObject("storage").addProperty("base_path", storage.toString());
        json.addProperty("runtime", runtime);
        if (socket != null) {
            json.getAsJsonObject("docker").addProperty("socket_path", socket.toString());
        }
        return json;
    }

    private static JsonObject ping(LightdServer server) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/api/v1/public/ping"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }
}
