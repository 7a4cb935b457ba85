package io.lightd.server.ws;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.lightd.server.config.ConfigLoader;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.hub.ContainerManager;
import io.lightd.server.record.ContainerRecord;
import io.lightd.server.metrics.Metrics;
import io.lightd.server.record.ContainerRecord;
import io.lightd.server.store.ContainerRegistry;
import io.lightd.server.store.JsonFileStore;
import io.lightd.testing.ScriptedRuntime;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node stream on one embedded loop (hubs, stream and watcher together, the batch timer driven
 * by hand): snapshot on join, nothing between batches, one row per changed server per batch,
 * removals, and a watcher that was unwritable getting a fresh snapshot instead of the batches it missed.
 */
class NodeStreamTest {

    @TempDir
    Path dir;
    private final EmbeddedChannel watcher = new EmbeddedChannel();
    private ContainerManager manager;
    private NodeStream stream;

    @BeforeEach
    void setUp() throws Exception {
        LightdConfig config = ConfigLoader.parse(ConfigLoader.defaultsJson("lightd_node-stream-unit"), dir);
        JsonFileStore.Factory files = new JsonFileStore.Factory(dir, Runnable::run);
        manager = new ContainerManager(watcher.eventLoop(), new ScriptedRuntime(),
                new ContainerRegistry(files), config.limits(), Clock.systemUTC(), dir, Runnable::run, new Metrics());
        stream = new NodeStream(manager, new LiveSessions(), watcher.eventLoop(), Runnable::run, Clock.systemUTC(),
                "test");
        manager.observe(stream);
        watcher.runPendingTasks();
    }

    @AfterEach
    void tearDown() {
        assertThat(watcher.finishAndReleaseAll()).as("no unread frames").isFalse();
    }

    private void create(String id) {
        JsonObject body = new JsonObject();
        body.addProperty("internal_id", id);
        body.addProperty("image", "img-" + id);
        body.addProperty("startup_command", "run");
        assertThat(manager.create(ContainerRecord.fromCreateBody(body, Instant.now())).join()).isTrue();
        watcher.runPendingTasks();
    }

    private JsonObject read() {
        watcher.runPendingTasks();
        TextWebSocketFrame frame = watcher.readOutbound();
        assertThat(frame).as("a frame").isNotNull();
        try {
            return JsonParser.parseString(frame.content().toString(StandardCharsets.UTF_8)).getAsJsonObject();
        } finally {
            frame.release();
        }
    }

    private static List<String> ids(JsonObject frame, String key) {
        List<String> ids = new ArrayList<>();
        for (JsonElement e : frame.getAsJsonArray(key)) {
            ids.add(e.isJsonObject() ? e.getAsJsonObject().get("internal_id").getAsString() : e.getAsString());
        }
        return ids;
    }

    @Test
    void snapshotOnJoinThenOneRowPerChangedServerPerBatch() {
        create("a");
        stream.join(watcher);
        JsonObject snapshot = read();
        assertThat(snapshot.get("event").getAsString()).isEqualTo("snapshot");
        assertThat(ids(snapshot, "servers")).containsExactly("a");
        assertThat(snapshot.getAsJsonObject("node").get("runtime").getAsString()).isEqualTo(ScriptedRuntime.NAME);

        create("b");
        create("c");
        assertThat((Object) watcher.readOutbound()).as("nothing between batches").isNull();
        stream.sendChanges();
        JsonObject batch = read();
        assertThat(batch.get("event").getAsString()).isEqualTo("changes");
        // b and c each went installing -> installed before the batch: one row each, as they are now.
        assertThat(ids(batch, "servers")).containsExactlyInAnyOrder("b", "c");
        for (JsonElement row : batch.getAsJsonArray("servers")) {
            assertThat(row.getAsJsonObject().get("state").getAsString()).isEqualTo("installed");
            assertThat(row.getAsJsonObject().get("install_state").getAsString()).isEqualTo("installed");
        }
        assertThat(batch.getAsJsonObject("node").get("servers_total").getAsInt()).isEqualTo(3);

        stream.sendChanges();
        assertThat((Object) watcher.readOutbound()).as("no batch without a change").isNull();

        assertThat(manager.delete("c").join()).isTrue();
        stream.sendChanges();
        JsonObject removal = read();
        assertThat(ids(removal, "servers")).isEmpty();
        assertThat(ids(removal, "removed")).containsExactly("c");
    }

    @Test
    void anUnwritableWatcherSkipsBatchesAndGetsAFreshSnapshotOnceItDrains() {
        create("a");
        stream.join(watcher);
        assertThat(read().get("event").getAsString()).isEqualTo("snapshot");

        watcher.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        create("b");
        stream.sendChanges();
        assertThat((Object) watcher.readOutbound()).as("no batch while unwritable").isNull();
        assertThat(manager.delete("a").join()).isTrue();
        stream.sendChanges();
        assertThat((Object) watcher.readOutbound()).isNull();

        watcher.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        stream.sendChanges();
        JsonObject fresh = read();
        assertThat(fresh.get("event").getAsString()).isEqualTo("snapshot");
        assertThat(ids(fresh, "servers")).containsExactly("b");

        create("c");
        stream.sendChanges();
        JsonObject next = read();
        assertThat(next.get("event").getAsString()).isEqualTo("changes");
        assertThat(ids(next, "servers")).containsExactly("c");
    }

    @Test
    void aWatcherThatLeftGetsNothingAndNothingIsKeptForIt() {
        stream.join(watcher);
        read();
        stream.leave(watcher);
        watcher.runPendingTasks();
        create("a");
        stream.sendChanges();
        assertThat((Object) watcher.readOutbound()).isNull();
        stream.join(watcher);
        assertThat(ids(read(), "servers")).containsExactly("a");
    }
}
