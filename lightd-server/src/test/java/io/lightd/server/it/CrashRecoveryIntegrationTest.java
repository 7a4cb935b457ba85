package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.lightd.testing.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * lightd SIGKILLed in the middle of registry writes: concurrent container creates and token issues
 * run against a separate lightd process, which is killed while they are in flight and started again
 * on the same storage, a few rounds over. Every create and token that was acknowledged (2xx) before
 * the kill is there afterwards and the tokens work; half-written temporary files left beside the
 * registry do not stop it from starting.
 */
class CrashRecoveryIntegrationTest {

    private static final int ROUNDS = 3;
    private static final int WRITERS = 6;
    private static final int ACKS_BEFORE_KILL = 60;

    @TempDir
    Path dir;
    private final Set<String> ackedIds = ConcurrentHashMap.newKeySet();
    private final Set<String> ackedTokens = ConcurrentHashMap.newKeySet();

    @Test
    void everyAcknowledgedCreateAndTokenSurvivesSigkillDuringWrites() throws Exception {
        Path storage = dir.resolve("storage");
        Path config = DaemonProcess.writeConfig(dir, storage);
        for (int round = 1; round <= ROUNDS; round++) {
            DaemonProcess daemon = DaemonProcess.start(config);
            try {
                assertEverythingAcknowledgedIsThere(daemon);
                writeUntilKilled(daemon, round);
            } finally {
                daemon.kill();
            }
            // What a kill during a write can leave: a temporary file cut short. Startup must ignore it.
            Path registry = storage.resolve("registry");
            Files.writeString(registry.resolve(".containers.json.tmp"), "[{\"internal_id\":\"cut-sh");
            Files.writeString(registry.resolve(".tokens.json.tmp"), "[{\"hash\":");
        }
        try (DaemonProcess daemon = DaemonProcess.start(config)) {
            assertEverythingAcknowledgedIsThere(daemon);
            assertThat(ackedIds).isNotEmpty();
            assertThat(ackedTokens).isNotEmpty();
        }
    }

    /** Creates containers and issues tokens from several threads; kills lightd once enough were acknowledged. */
    private void writeUntilKilled(DaemonProcess daemon, int round) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        int acksBefore = ackedIds.size() + ackedTokens.size();
        AtomicBoolean killed = new AtomicBoolean();
        ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
        try {
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.execute(() -> {
                    for (int i = 0; !killed.get(); i++) {
                        try {
                            if (i % 2 == 0) {
                                String id = "r" + round + "-w" + writer + "-" + i;
                                HttpResponse<String> r = send(http, daemon, "POST", "/containers",
                                        "{\"internal_id\":\"" + id + "\",\"image\":\"local\",\"startup_command\":\"true\"}",
                                        Daemon.TOKEN);
                                if (r.statusCode() == 202) {
                                    ackedIds.add(id);
                                }
                            } else {
                                HttpResponse<String> r = send(http, daemon, "POST", "/auth/tokens",
                                        "{\"ttl\":\"1d\"}", Daemon.TOKEN);
                                if (r.statusCode() == 201) {
                                    ackedTokens.add(JsonParser.parseString(r.body()).getAsJsonObject()
                                            .get("token").getAsString());
                                }
                            }
                        } catch (Exception e) {
                            // Refused or cut off by the kill: not acknowledged, so nothing is owed.
                        }
                    }
                });
            }
            Await.until("acknowledged writes before the kill in round " + round, Duration.ofSeconds(60),
                    () -> ackedIds.size() + ackedTokens.size() - acksBefore >= ACKS_BEFORE_KILL);
            int acks = ackedIds.size() + ackedTokens.size() - acksBefore;
            daemon.kill();
            killed.set(true);
            assertThat(acks).as("acknowledged writes before the kill in round " + round)
                    .isGreaterThanOrEqualTo(ACKS_BEFORE_KILL);
        } finally {
            writers.shutdown();
            assertThat(writers.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        }
    }

    private void assertEverythingAcknowledgedIsThere(DaemonProcess daemon) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> list = send(http, daemon, "GET", "/containers", null, Daemon.TOKEN);
        assertThat(list.statusCode()).isEqualTo(200);
        Set<String> present = new HashSet<>();
        JsonArray containers = JsonParser.parseString(list.body()).getAsJsonObject().getAsJsonArray("containers");
        for (JsonElement c : containers) {
            present.add(c.getAsJsonObject().get("internal_id").getAsString());
        }
        assertThat(present).as("acknowledged creates after a SIGKILL").containsAll(ackedIds);
        List<String> refused = new ArrayList<>();
        for (String token : ackedTokens) {
            // An issued token is a console token: an admin route answers it 403, not 401, when it is known.
            if (send(http, daemon, "GET", "/containers", null, token).statusCode() != 403) {
                refused.add(token);
            }
        }
        assertThat(refused).as("acknowledged tokens refused after a SIGKILL").isEmpty();
    }

    private static HttpResponse<String> send(HttpClient http, DaemonProcess daemon, String method, String path,
                                             String body, String token) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.port() + path))
                .timeout(Duration.ofSeconds(15))
                .header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
