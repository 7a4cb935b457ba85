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
 * subscribers receive when output comes fast, slowly, just before a state change, or above the
 * console throttle.
 */
class ConsoleCoalescingHubTest {

    private static final String ID = "srv-coalesce";
    private static final int BUDGET_MS = LightdConfig.Defaults.DEFAULT_CONSOLE_COALESCE_MS;

    @TempDir
    Path dir;
    private final HubClients hubClients = new HubClients();
    private final EmbeddedChannel loopChannel = hubClients.loop;
    private final ScriptedRuntime runtime = new ScriptedRuntime();
    private ContainerRegistry registry;
    private ContainerHub hub;

    @BeforeEach
    void setUp() {
        registry = new ContainerRegistry(new JsonFileStore.Factory(dir, Runnable::run));
        hub = started(ID, LightdConfig.Defaults.limits());
    }

    /** A running container's hub with the default frame budget and these limits. */
    private ContainerHub started(String id, LightdConfig.Limits limits) {
        Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
        ContainerHub started = new ContainerHub(id, loopChannel.eventLoop(), runtime, registry, clock, limits,
                new Metrics(), BUDGET_MS);
        ContainerRecord r = ContainerRecord.fromCreateBody(JsonParser.parseString(
                "{\"internal_id\":\"" + id + "\",\"image\":\"img\",\"startup_command\":\"run\"}").getAsJsonObject(),
                Instant.EPOCH);
        registry.putIfAbsent(r);
        started.create(r);
        loopChannel.runPendingTasks();
        started.power(PowerAction.START).join();
        loopChannel.runPendingTasks();
        return started;
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

    @Test
    void aFloodAboveTheThrottleKeepsItsFrameBudgetAndGetsOneNoticeASecond() {
        String id = "srv-flood";
        hub = started(id, LightdConfig.Defaults.limits().withConsoleThrottle(1000, 1 << 20));
        EmbeddedChannel a = client();
        long floodMillis = 2 * ConsoleStream.THROTTLE_QUIET_MILLIS - 2;
        int written = 0;
        List<String> received = new ArrayList<>();
        for (long t = 0; t < floodMillis; t++) {
            for (int i = 0; i < 5; i++) {
                runtime.output(id, "line " + written++ + "\n");
            }
            advance(1);
            received.addAll(frames(a));
        }
        advance(ConsoleStream.THROTTLE_QUIET_MILLIS);
        received.addAll(frames(a));
        List<String> notices = new ArrayList<>();
        long consoleEvents = 0;
        long liveLines = 0;
        for (String frame : received) {
            if (frame.startsWith("{\"event\":\"daemon_message\"")) {
                notices.add(frame);
            } else if (frame.startsWith("{\"event\":\"console\",")) {
                consoleEvents++;
                liveLines += frame.split("\\\\n", -1).length - 1;
            }
        }
        // 5000 lines a second against 1000: a line gets through about every ms, so the budget gathers
        // them; a notice per admitted line would flush (and send) each.
        assertThat(notices).as("an interim report after a second of flood, the rest when it ended").hasSize(2);
        assertThat(consoleEvents).as("one console event per frame budget, and one more per notice's flush at most")
                .isLessThanOrEqualTo(floodMillis / BUDGET_MS + 1 + notices.size());
        long skipped = 0;
        for (String notice : notices) {
            assertThat(notice).matches(".*Error: console output throttled, skipped \\d+ lines.*");
            skipped += Long.parseLong(notice.replaceAll("\\D", ""));
        }
        assertThat(liveLines + skipped).as("every line either live or counted in one notice").isEqualTo(written);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
