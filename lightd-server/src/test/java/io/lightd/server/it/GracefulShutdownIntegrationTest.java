package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to a lightd JVM (as systemd stops it): the open console session gets close code 1001
 * (going away), the JVM exits 0 within a bound, and a lightd started again on the same storage has
 * the container with its record intact. With the process runtime the server process dies with the
 * daemon (its children are killed), so the restarted daemon reports it as {@code exit}.
 */
class GracefulShutdownIntegrationTest {

    private static final Duration EXIT_BOUND = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    void sigtermClosesSessionsWith1001AndExitsZero() throws Exception {
        Path config = DaemonProcess.writeConfig(dir, dir.resolve("storage"));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String id = "graceful-1";
        DaemonProcess first = DaemonProcess.start(config);
        try {
            assertThat(request(http, first, "POST", "/containers", "{\"internal_id\":\"" + id
                    + "\",\"image\":\"local\",\"startup_command\":\"echo Done; sleep 600\",\"start_pattern\":\"Done\"}")
                    .statusCode()).isEqualTo(202);
            WsClient ws = WsClient.connect(http, URI.create("ws://127.0.0.1:" + first.port() + "/ws/" + id + "?token="
                    + Daemon.TOKEN), Map.of());
            ws.await(WsClient.state("installed"));
            ws.send("{\"event\":\"power\",\"action\":\"start\"}");
            ws.await(WsClient.state("running"));

            int status = first.terminate(EXIT_BOUND);

            assertThat(ws.awaitClose()).isEqualTo(new WsClient.Close(1001, "server shutting down"));
            assertThat(status).as(first.output()).isZero();
            assertThat(first.output()).contains("stopping: SIGTERM").contains("lightd stopped");
        } finally {
            first.close();
        }

        try (DaemonProcess second = DaemonProcess.start(config)) {
            HttpResponse<String> r = request(http, second, "GET", "/containers/" + id, null);
            assertThat(r.statusCode()).isEqualTo(200);
            JsonObject record = JsonParser.parseString(r.body()).getAsJsonObject();
            assertThat(record.get("internal_id").getAsString()).isEqualTo(id);
            assertThat(record.get("startup_command").getAsString()).isEqualTo("echo Done; sleep 600");
            assertThat(record.get("install_state").getAsString()).isEqualTo("installed");
            assertThat(record.get("state").getAsString()).isEqualTo("exit");
        }
    }

    private static HttpResponse<String> request(HttpClient http, DaemonProcess d, String method, String path,
                                                String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + d.port() + path))
                .timeout(Duration.ofSeconds(15))
                .header("Authorization", "Bearer " + Daemon.TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
