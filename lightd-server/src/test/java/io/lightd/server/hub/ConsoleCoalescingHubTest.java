package io.lightd.server.hub;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import io.lightd.protocol.PowerAction;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.console.ConsoleStream;
import io.lightd.server.fanout.SharedFrames;
import io.lightd.server.metrics.Metrics;
import io.lightd.server.record.ContainerRecord;
import io.lightd.server.store.ContainerRegistry;
import io.lightd.server.store.JsonFileStore;
import io.lightd.testing.ScriptedRuntime;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hub with its default frame budget, on an embedded loop whose clock the test moves: what
 * subscribers receive when output comes fast, slowly, or just before a state change.
 */
class ConsoleCoalescingHubTest {

    private static final String ID = "srv-coalesce";
    private static final int BUDGET_MS = LightdConfig.Defaults.DEFAULT_CONSOLE_COALESCE_MS;

    @TempDir
    Path dir;
    private final HubClients hubClients = new HubClients();
    private final EmbeddedChannel loopChannel = hubClients.loop;
    private final ScriptedRuntime runtime = new ScriptedRuntime();
    private ContainerHub hub;

    @BeforeEach
    void setUp() {
        ContainerRegistry registry = new ContainerRegistry(new JsonFileStore.Factory(dir, Runnable::run));
        Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
        hub = new ContainerHub(ID, loopChannel.eventLoop(), runtime, registry, clock, LightdConfig.Defaults.limits(),
                new Metrics(), BUDGET_MS);
        ContainerRecord r = ContainerRecord.fromCreateBody(JsonParser.parseString(
                "{\"internal_id\":\"" + ID + "\",\"image\":\"img\",\"startup_command\":\"run\"}").getAsJsonObject(),
                Instant.EPOCH);
        registry.putIfAbsent(r);
        hub.create(r);
        loopChannel.runPendingTasks();
        hub.power(PowerAction.START).join();
        loopChannel.runPendingTasks();
    }

    @AfterEach
    void tearDown() {
        hubClients.close();
    }

    private EmbeddedChannel client() {
        EmbeddedChannel c = hubClients.subscribe(hub);
        frames(c);
        return c;
    }

    private void advance(long millis) {
        loopChannel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        loopChannel.runScheduledPendingTasks();
    }

    private List<String> frames(EmbeddedChannel c) {
        loopChannel.runPendingTasks();
        List<String> out = new ArrayList<>();
        for (Object o; (o = c.readOutbound()) != null; ) {
            if (o instanceof TextWebSocketFrame f) {
                out.add(f.content().toString(StandardCharsets.UTF_8));
                f.release();
            } else {
                ByteBuf shared = (ByteBuf) o;
                for (byte[] payload : SharedFrames.payloads(shared)) {
                    out.add(new String(payload, StandardCharsets.UTF_8));
                }
                shared.release();
            }
        }
        return out;
    }

    private static List<String> console(String data) {
        String json = data.replace("\n", "\\n").replace("\r", "\\r");
        return List.of("{\"event\":\"console\",\"data\":\"" + json + "\"}",
                "{\"event\":\"console duplicate\",\"data\":\"" + json + "\"}");
    }

    @Test
    void fastLinesGoOutAsOneEventPerBudgetWithEveryByteInOrder() {
        EmbeddedChannel a = client();
        EmbeddedChannel b = client();
        runtime.output(ID, "one\n");
        runtime.output(ID, "two\n");
        runtime.output(ID, "thr");
        runtime.output(ID, "ee\r\n\n");
        assertThat(frames(a)).containsExactlyElementsOf(console("one\n"));
        advance(BUDGET_MS);
        List<String> expected = console("two\nthree\r\n\n");
        assertThat(frames(a)).containsExactlyElementsOf(expected);
        assertThat(frames(b)).containsExactlyElementsOf(concat(console("one\n"), expected));
        assertThat(hub.logs(OptionalInt.empty()).join()).isEqualTo("one\ntwo\nthree\r\n\n");
    }

    @Test
    void aQuietConsoleIsSentAtOnce() {
        EmbeddedChannel a = client();
        runtime.output(ID, "first\n");
        assertThat(frames(a)).containsExactlyElementsOf(console("first\n"));
        advance(BUDGET_MS);
        runtime.output(ID, "second\n");
        assertThat(frames(a)).containsExactlyElementsOf(console("second\n"));
    }

    @Test
    void gatheredOutputGoesOutBeforeTheExitEvents() {
        EmbeddedChannel a = client();
        runtime.output(ID, "first\n");
        runtime.output(ID, "last words\n");
        runtime.output(ID, "prompt> ");
        runtime.exit(ID, 1);
        List<String> expected = new ArrayList<>(console("first\n"));
        expected.addAll(console("last words\nprompt> "));
        expected.add("{\"event\":\"event\",\"data\":\"exit\"}");
        expected.add("{\"event\":\"daemon_message\",\"data\":\"Container stopped\"}");
        expected.add("{\"event\":\"daemon_message\",\"data\":\"Error: server exited with code 1\"}");
        assertThat(frames(a)).containsExactlyElementsOf(expected);
        advance(BUDGET_MS);
        assertThat(frames(a)).isEmpty();
    }

    @Test
    void aPartialLineStillGoesOutAfterItsFlushDelay() {
        EmbeddedChannel a = client();
        runtime.output(ID, "line\n");
        runtime.output(ID, "> ");
        assertThat(frames(a)).containsExactlyElementsOf(console("line\n"));
        advance(ConsoleStream.PARTIAL_LINE_FLUSH_MILLIS);
        assertThat(frames(a)).containsExactlyElementsOf(console("> "));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
