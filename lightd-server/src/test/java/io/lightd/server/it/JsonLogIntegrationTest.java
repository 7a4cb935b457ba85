package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.lightd.server.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code logging.format: "json"}: a lightd JVM writes one JSON object per line, from its first line
 * to its last, and the lines about a container carry its id as the {@code container} field.
 */
class JsonLogIntegrationTest {

    @TempDir
    Path dir;

    @Test
    void everyLineIsJsonAndContainerLinesCarryTheId() throws Exception {
        Path config = DaemonProcess.writeConfig(dir, dir.resolve("storage"));
        JsonObject json = ConfigLoader.read(config);
        json.getAsJsonObject("logging").addProperty("format", "json");
        ConfigLoader.write(config, json);
        String id = "json-log-1";
        String output;
        try (DaemonProcess d = DaemonProcess.start(config)) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + d.port() + "/containers"))
                    .timeout(Duration.ofSeconds(15))
                    .header("Authorization", "Bearer " + Daemon.TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"internal_id\":\"" + id
                            + "\",\"image\":\"local\",\"startup_command\":\"true\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(202);
            assertThat(d.terminate(Duration.ofSeconds(20))).isZero();
            output = d.output();
        }

        List<JsonObject> lines = new ArrayList<>();
        for (String line : output.split("\n")) {
            JsonElement parsed;
            try {
                parsed = JsonParser.parseString(line);
            } catch (RuntimeException e) {
                throw new AssertionError("not a JSON line: " + line, e);
            }
            assertThat(parsed.isJsonObject()).as(line).isTrue();
            JsonObject o = parsed.getAsJsonObject();
            assertThat(o.keySet()).as(line).contains("time", "level", "logger", "thread", "message");
            lines.add(o);
        }
        assertThat(lines).anySatisfy(o -> assertThat(o.get("message").getAsString()).contains("listening on"));
        assertThat(lines).anySatisfy(o -> {
            assertThat(o.has("container")).isTrue();
            assertThat(o.get("container").getAsString()).isEqualTo(id);
            assertThat(o.get("message").getAsString()).isEqualTo("container " + id + ": created (image local)");
        });
        assertThat(lines.stream().filter(o -> o.get("message").getAsString().startsWith("container " + id + ":")))
                .as("every line about the container has its field")
                .allSatisfy(o -> assertThat(o.has("container") && o.get("container").getAsString().equals(id))
                        .as(o.toString()).isTrue());
    }
}
