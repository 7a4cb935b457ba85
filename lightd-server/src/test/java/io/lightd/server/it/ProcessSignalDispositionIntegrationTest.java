package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.lightd.testing.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon that inherited SIGINT and SIGHUP as ignored (started under {@code nohup}, or with
 * {@code &} from a script) still stops its process-runtime servers with those stop signals: the
 * servers start with every signal at its default, so their traps are installed. lightd runs as a
 * separate JVM started by a shell that ignores both signals first.
 */
class ProcessSignalDispositionIntegrationTest {

    /** Ignores SIGINT and SIGHUP, then becomes the daemon: the ignored dispositions survive the exec. */
    private static final List<String> IGNORING_LAUNCHER = List.of("/bin/sh", "-c", "trap '' INT HUP; exec \"$@\"", "sh");

    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void interruptAndHangupStopSignalsReachServersOfADaemonThatIgnoresThem() throws Exception {
        Path config = DaemonProcess.writeConfig(dir, dir.resolve("storage"));
        try (DaemonProcess d = DaemonProcess.start(config, IGNORING_LAUNCHER)) {
            for (String signal : List.of("SIGINT", "SIGHUP")) {
                String id = "sigreset-" + signal.toLowerCase() + "-" + Long.toHexString(System.nanoTime());
                String startup = "trap 'echo trapped; exit 0' " + signal.substring(3)
                        + "; echo up; while :; do sleep 1 & wait $!; done";
                JsonObject body = new JsonObject();
                body.addProperty("internal_id", id);
                body.addProperty("image", "lightd-test:latest");
                body.addProperty("startup_command", startup);
                body.addProperty("stop_signal", signal);
                // "running" only once the shell has printed "up", so its trap is in place before the stop.
                body.addProperty("start_pattern", "^up$");
                assertThat(send(d, "POST", "/containers", body.toString()).statusCode()).isEqualTo(202);
                Await.until("installed", () -> "installed".equals(field(d, id, "state")));
                assertThat(send(d, "POST", "/containers/" + id + "/start", null).statusCode()).isEqualTo(202);
                Await.until("running", () -> "running".equals(field(d, id, "state")));
                assertThat(send(d, "POST", "/containers/" + id + "/stop", null).statusCode()).isEqualTo(202);
                Await.until("exited", Duration.ofSeconds(90), () -> "exit".equals(field(d, id, "state")));
                JsonObject lastExit = record(d, id).getAsJsonObject("last_exit");
                assertThat(lastExit.get("code").getAsInt()).as("%s trapped and the server exited 0 (not killed)", signal)
                        .isZero();
            }
        }
    }

    private JsonObject record(DaemonProcess d, String id) throws Exception {
        return JsonParser.parseString(send(d, "GET", "/containers/" + id, null).body()).getAsJsonObject();
    }

    private String field(DaemonProcess d, String id, String name) throws Exception {
        return record(d, id).get(name).getAsString();
    }

    private HttpResponse<String> send(DaemonProcess d, String method, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + d.port() + path))
                .timeout(Duration.ofSeconds(15))
                .header("Authorization", "Bearer " + Daemon.TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
