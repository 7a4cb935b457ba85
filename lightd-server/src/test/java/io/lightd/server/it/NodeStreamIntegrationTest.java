package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.lightd.testing.Await;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin node stream ({@code GET /node/stream}) on a real daemon with the process runtime, read
 * by a real WebSocket client: the snapshot first, then batches of changes (state, install state,
 * stats, consoles, removals) no closer than a second apart; refused without the master token;
 * counted in the connection caps; and the snapshot of a node with 5,000 servers in one frame.
 */
class NodeStreamIntegrationTest {

    @RegisterExtension
    static final LightdExtension lightd = LightdExtension.builder()
            .runtime(Daemon.Runtime.PROCESS)
            .build();

    private static final String ECHO = "echo 'Done (0.1s)!'; while read line; do echo \"echo: $line\"; done";

    @TempDir
    Path otherStorage;

    private WsClient nodeStream() {
        WsClient c = lightd.daemon().ws("/node/stream?token=" + Daemon.TOKEN, Map.of());
        lightd.closeAfter(c);
        return c;
    }

    /** The row of {@code id} in a snapshot or batch, or null. */
    static JsonObject row(JsonObject frame, String id) {
        for (JsonElement e : frame.getAsJsonArray("servers")) {
            if (e.getAsJsonObject().get("internal_id").getAsString().equals(id)) {
                return e.getAsJsonObject();
            }
        }
        return null;
    }

    private static Predicate<JsonObject> changed(String id, Predicate<JsonObject> row) {
        return m -> m.get("event").getAsString().equals("changes") && row(m, id) != null && row.test(row(m, id));
    }

    @Test
    void snapshotFirstThenBatchesOfChanges() {
        String a = lightd.id("a");
        String b = lightd.id("b");
        WsClient watchA = lightd.ws(a);
        WsClient watchB = lightd.ws(b);
        lightd.create(a, ECHO, "Done \\(", "{\"limits\":{\"memory\":268435456}}");
        lightd.create(b, ECHO, null, null);
        watchA.await(WsClient.state("installed"));
        watchB.await(WsClient.state("installed"));
        watchB.close();

        WsClient node = nodeStream();
        JsonObject snapshot = node.next();
        assertThat(snapshot.get("event").getAsString()).isEqualTo("snapshot");
        assertThat(snapshot.getAsJsonArray("servers")).hasSize(2);
        JsonObject rowA = row(snapshot, a);
        assertThat(rowA.get("image").getAsString()).isEqualTo("local");
        assertThat(rowA.get("install_state").getAsString()).isEqualTo("installed");
        assertThat(rowA.get("state").getAsString()).isEqualTo("installed");
        assertThat(rowA.get("cpu_usage").isJsonNull()).isTrue();
        assertThat(rowA.get("memory_limit").getAsLong()).isEqualTo(268435456L);
        assertThat(rowA.get("consoles").getAsInt()).isEqualTo(1);
        JsonObject facts = snapshot.getAsJsonObject("node");
        assertThat(facts.get("runtime").getAsString()).isEqualTo("process");
        assertThat(facts.get("runtime_available").getAsBoolean()).isTrue();
        assertThat(facts.get("servers_total").getAsInt()).isEqualTo(2);
        assertThat(facts.get("servers_running").getAsInt()).isZero();
        assertThat(facts.get("websocket_sessions").getAsInt()).as("watchA and this stream").isEqualTo(2);
        assertThat(facts.get("host_memory_total").getAsLong()).isPositive();
        assertThat(facts.get("version").getAsString()).isNotEmpty();

        List<JsonObject> frames = new ArrayList<>();
        assertThat(lightd.daemon().request("POST", "/containers/" + a + "/start", null).status()).isEqualTo(202);
        frames.addAll(node.until(changed(a, r -> r.get("state").getAsString().equals("running"))));
        frames.addAll(node.until(changed(a, r -> !r.get("cpu_usage").isJsonNull())));
        JsonObject live = row(frames.get(frames.size() - 1), a);
        assertThat(live.get("memory_usage").getAsLong()).isPositive();
        assertThat(live.get("memory_limit").getAsLong()).isPositive();

        WsClient second = lightd.ws(a);
        frames.addAll(node.until(changed(a, r -> r.get("consoles").getAsInt() == 2)));
        second.close();
        frames.addAll(node.until(changed(a, r -> r.get("consoles").getAsInt() == 1)));

        assertThat(lightd.daemon().request("POST", "/containers/" + a + "/stop", null).status()).isEqualTo(202);
        frames.addAll(node.until(changed(a, r -> r.get("state").getAsString().equals("exit"))));

        assertThat(lightd.daemon().request("DELETE", "/containers/" + b, null).status()).isEqualTo(200);
        frames.addAll(node.until(m -> m.get("event").getAsString().equals("changes")
                && contains(m.getAsJsonArray("removed"), b)));
        JsonObject last = frames.get(frames.size() - 1);
        assertThat(last.getAsJsonObject("node").get("servers_total").getAsInt()).isEqualTo(1);

        // Batches: only "changes" after the snapshot, and two of them never less than a second apart.
        assertThat(frames).allMatch(m -> m.get("event").getAsString().equals("changes"));
        for (int i = 1; i < frames.size(); i++) {
            long gap = frames.get(i).get("sent_at").getAsLong() - frames.get(i - 1).get("sent_at").getAsLong();
            assertThat(gap).as("daemon clock between batch %d and %d", i - 1, i).isGreaterThanOrEqualTo(1000);
        }
    }

    @Test
    void afterARestartTheSnapshotShowsEachServerAsRestored() throws Exception {
        String stopped = lightd.id("stopped");
        String fresh = lightd.id("fresh");
        WsClient watch = lightd.ws(stopped);
        lightd.create(stopped, ECHO, null, null);
        watch.await(WsClient.state("installed"));
        assertThat(lightd.daemon().request("POST", "/containers/" + stopped + "/start", null).status()).isEqualTo(202);
        watch.await(WsClient.state("running"));
        assertThat(lightd.daemon().request("POST", "/containers/" + stopped + "/kill", null).status()).isEqualTo(202);
        watch.await(WsClient.state("exit"));
        WsClient watchFresh = lightd.ws(fresh);
        lightd.create(fresh, ECHO, null, null);
        watchFresh.await(WsClient.state("installed"));
        watch.close();
        watchFresh.close();
        lightd.daemon().restart();

        JsonObject snapshot = nodeStream().next();
        assertThat(row(snapshot, stopped).get("state").getAsString()).isEqualTo("exit");
        assertThat(row(snapshot, stopped).get("consoles").getAsInt()).isZero();
        assertThat(row(snapshot, fresh).get("state").getAsString()).isEqualTo("installed");
        assertThat(row(snapshot, fresh).get("install_state").getAsString()).isEqualTo("installed");
    }

    @Test
    void manyChangesWithinASecondArriveTogether() {
        WsClient node = nodeStream();
        assertThat(node.next().get("event").getAsString()).isEqualTo("snapshot");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            ids.add(lightd.id("burst-" + i));
            lightd.create(ids.get(i), ECHO, null, null);
        }
        // Each server goes installing -> installed: 24 changes; rows of one id within one batch are one row.
        List<JsonObject> frames = new ArrayList<>();
        java.util.Set<String> installed = new java.util.HashSet<>();
        while (installed.size() < ids.size()) {
            JsonObject m = node.next();
            frames.add(m);
            for (JsonElement e : m.getAsJsonArray("servers")) {
                JsonObject r = e.getAsJsonObject();
                if (r.get("install_state").getAsString().equals("installed")) {
                    installed.add(r.get("internal_id").getAsString());
                }
            }
        }
        for (JsonObject m : frames) {
            List<String> inFrame = new ArrayList<>();
            m.getAsJsonArray("servers").forEach(e -> inFrame.add(e.getAsJsonObject().get("internal_id").getAsString()));
            assertThat(inFrame).as("one row per server per batch").doesNotHaveDuplicates();
        }
        assertThat(frames.size()).as("batches for %d state changes", ids.size() * 2).isLessThan(ids.size() * 2);
    }

    @Test
    void refusedWithoutTheMasterToken() {
        assertThat(lightd.daemon().refusedStatus("/node/stream", Map.of())).isEqualTo(401);
        assertThat(lightd.daemon().refusedStatus("/node/stream?token=lightd_wrong", Map.of())).isEqualTo(401);
        Daemon.Reply issued = lightd.daemon().request("POST", "/auth/tokens", "{\"ttl\":\"15m\"}");
        String consoleToken = issued.body().get("token").getAsString();
        assertThat(lightd.daemon().refusedStatus("/node/stream?token=" + consoleToken, Map.of())).isEqualTo(403);
        assertThat(lightd.daemon().refusedStatus("/node/stream", Map.of("Authorization", "Bearer " + consoleToken)))
                .isEqualTo(403);
        // The refusal is JSON with a reason, as every refusal is; a request that is no handshake is
        // refused for that first, as on /ws/{id}, whatever its token.
        Daemon.Reply plain = lightd.daemon().request("GET", "/node/stream", null, consoleToken);
        assertThat(plain.status()).isEqualTo(400);
        assertThat(plain.body().get("error").getAsString())
                .isEqualTo("not a WebSocket handshake: Upgrade: websocket is missing");
        Daemon.Reply none = lightd.daemon().request("GET", "/node/stream", null, Daemon.TOKEN);
        assertThat(none.status()).isEqualTo(400);
        assertThat(none.body().get("error").getAsString())
                .isEqualTo("not a WebSocket handshake: Upgrade: websocket is missing");
        // With the header instead of the query it opens.
        WsClient node = lightd.daemon().ws("/node/stream", Map.of("Authorization", "Bearer " + Daemon.TOKEN));
        lightd.closeAfter(node);
        assertThat(node.next().get("event").getAsString()).isEqualTo("snapshot");
    }

    @Test
    void failedAttemptsCountAgainstTheAddressLikeEveryLogin() throws Exception {
        JsonObject limits = new JsonObject();
        limits.addProperty("auth_failures_per_ip_per_minute", 3);
        try (Daemon strict = new Daemon(otherStorage, limits)) {
            for (int i = 0; i < 3; i++) {
                assertThat(strict.refusedStatus("/node/stream?token=lightd_guess-" + i, Map.of())).isEqualTo(401);
            }
            assertThat(strict.refusedStatus("/node/stream?token=" + Daemon.TOKEN, Map.of()))
                    .as("three failed logins from this address: refused even with the master token").isEqualTo(429);
            assertThat(strict.request("GET", "/containers", null).status())
                    .as("the same count as REST").isEqualTo(429);
        }
    }

    @Test
    void replacingTheMasterTokenClosesTheStreamAsRevokedAndShutdownAsGoingAway() {
        WsClient node = nodeStream();
        assertThat(node.next().get("event").getAsString()).isEqualTo("snapshot");
        WsClient other = nodeStream();
        assertThat(other.next().get("event").getAsString()).isEqualTo("snapshot");
        assertThat(lightd.daemon().server().tokens().replaceMaster("lightd_a-new-master-token")).isTrue();
        assertThat(node.awaitClose()).isEqualTo(new WsClient.Close(4003, "token revoked"));
        assertThat(other.awaitClose().code()).isEqualTo(4003);
        WsClient fresh = lightd.daemon().ws("/node/stream?token=lightd_a-new-master-token", Map.of());
        lightd.closeAfter(fresh);
        assertThat(fresh.next().get("event").getAsString()).isEqualTo("snapshot");
        lightd.daemon().close();
        assertThat(fresh.awaitClose().code()).isEqualTo(1001);
    }

    @Test
    void anInboundFrameOverOneKibClosesTheStreamWith1009() {
        WsClient node = nodeStream();
        assertThat(node.next().get("event").getAsString()).isEqualTo("snapshot");
        node.send("x".repeat(1025));
        assertThat(node.awaitClose().code()).isEqualTo(1009);
    }

    @Test
    void countsInTheConnectionCaps() throws Exception {
        JsonObject limits = new JsonObject();
        limits.addProperty("max_connections", 2);
        limits.addProperty("max_connections_per_container", 1);
        try (Daemon small = new Daemon(otherStorage, limits)) {
            WsClient first = small.ws("/node/stream?token=" + Daemon.TOKEN, Map.of());
            lightd.closeAfter(first);
            assertThat(first.next().get("event").getAsString()).isEqualTo("snapshot");
            assertThat(small.refusedStatus("/node/stream?token=" + Daemon.TOKEN, Map.of()))
                    .as("a second node stream, over the per-endpoint cap").isEqualTo(429);
            WsClient console = small.ws(lightd.id("x"));
            lightd.closeAfter(console);
            assertThat(small.refusedStatus("/ws/" + lightd.id("y") + "?token=" + Daemon.TOKEN, Map.of()))
                    .as("a console beyond the total cap, which counts the node stream").isEqualTo(429);
            first.close();
            WsClient again = awaitAdmitted(small);
            assertThat(again.next().get("event").getAsString()).isEqualTo("snapshot");
        }
    }

    /**
     * 5,000 servers (process runtime, none started): the snapshot is one frame with every one of them.
     * Prints how long the upgrade and snapshot took and how large the frame was (benchmarks/RESULTS.md).
     */
    @Test
    void aNodeWithFiveThousandServersArrivesInOneSnapshot() throws Exception {
        int servers = 5_000;
        NodeSeed.installedServers(otherStorage, lightd.prefix(), servers);
        try (Daemon big = new Daemon(otherStorage, new JsonObject())) {
            long start = System.nanoTime();
            WsClient node = big.ws("/node/stream?token=" + Daemon.TOKEN, Map.of());
            lightd.closeAfter(node);
            String raw = node.nextText();
            long micros = (System.nanoTime() - start) / 1000;
            JsonObject snapshot = com.google.gson.JsonParser.parseString(raw).getAsJsonObject();
            assertThat(snapshot.get("event").getAsString()).isEqualTo("snapshot");
            assertThat(snapshot.getAsJsonArray("servers")).hasSize(servers);
            assertThat(snapshot.getAsJsonObject("node").get("servers_total").getAsInt()).isEqualTo(servers);
            assertThat(row(snapshot, lightd.prefix() + "4999").get("state").getAsString()).isEqualTo("installed");
            System.out.printf("node stream: %d servers, snapshot of %d bytes in one frame, %.1f ms from "
                    + "connect to the whole frame%n", servers, raw.getBytes(java.nio.charset.StandardCharsets.UTF_8)
                    .length, micros / 1000.0);
            // A second watcher, the daemon warm now.
            long again = System.nanoTime();
            WsClient second = big.ws("/node/stream?token=" + Daemon.TOKEN, Map.of());
            lightd.closeAfter(second);
            String warm = second.nextText();
            System.out.printf("node stream: %d servers, a second watcher: %.1f ms from connect to the whole frame%n",
                    servers, (System.nanoTime() - again) / 1_000_000.0);
            assertThat(warm).startsWith("{\"event\":\"snapshot\"");
            // And the next changes still come as batches: one start shows up as its row.
            assertThat(big.request("POST", "/containers/" + lightd.prefix() + "0042/start", null).status()).isEqualTo(202);
            node.await(changed(lightd.prefix() + "0042", r -> r.get("state").getAsString().equals("running")));
        }
    }

    /** The place of a closed stream is given back once the daemon has seen the close; until then 429. */
    private WsClient awaitAdmitted(Daemon d) throws Exception {
        WsClient c = Await.until("the node stream's place given back", WsClient.WAIT, () -> {
            try {
                return d.ws("/node/stream?token=" + Daemon.TOKEN, Map.of());
            } catch (java.util.concurrent.CompletionException refused) {
                return null;
            }
        }, Objects::nonNull);
        lightd.closeAfter(c);
        return c;
    }

    private static boolean contains(JsonArray array, String value) {
        for (JsonElement e : array) {
            if (e.getAsString().equals(value)) {
                return true;
            }
        }
        return false;
    }
}
