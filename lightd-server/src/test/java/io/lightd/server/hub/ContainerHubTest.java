package io.lightd.server.hub;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.lightd.protocol.ActionOutcome;
import io.lightd.protocol.ContainerState;
import io.lightd.protocol.PowerAction;
import io.lightd.protocol.Stats;
import io.lightd.runtime.ContainerNotFoundException;
import io.lightd.runtime.RuntimeUnavailableException;
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
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hub's state machine and fan-out, on an embedded loop with a hand-driven runtime. */
class ContainerHubTest {

    private static final String ID = "srv-1";

    @TempDir
    Path dir;
    /** The hub's loop; its clock moves only when a test advances it, never with the machine's. */
    private final HubClients hubClients = new HubClients();
    private final EmbeddedChannel loopChannel = hubClients.loop;
    private final ScriptedRuntime runtime = new ScriptedRuntime();
    private final Metrics metrics = new Metrics();
    private ContainerRegistry registry;
    private ContainerHub hub;


    @BeforeEach
    void setUp() {
        registry = new ContainerRegistry(new JsonFileStore.Factory(dir, Runnable::run));
        hub = newHub(LightdConfig.Defaults.limits());
    }

    private ContainerHub newHub(LightdConfig.Limits limits) {
        Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
        return new ContainerHub(ID, loopChannel.eventLoop(), runtime, registry, clock, limits, metrics);
    }

    @AfterEach
    void tearDown() {
        hubClients.close();
    }

    private EmbeddedChannel client() {
        return hubClients.subscribe(hub);
    }

    /** Runs what the hub queued on its loop (runtime completions hop back there). */
    private void settle() {
        loopChannel.runPendingTasks();
    }

    private List<String> frames(EmbeddedChannel c) {
        settle();
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

    private static String event(String state) {
        return "{\"event\":\"event\",\"data\":\"" + state + "\"}";
    }

    private static String daemon(String text) {
        return "{\"event\":\"daemon_message\",\"data\":\"" + text + "\"}";
    }

    private void create(String startPattern) {
        ContainerRecord r = ContainerRecord.fromCreateBody(JsonParser.parseString(
                "{\"internal_id\":\"" + ID + "\",\"image\":\"img\",\"startup_command\":\"run\""
                        + (startPattern == null ? "" : ",\"start_pattern\":\"" + startPattern + "\"")
                        + ",\"stop_command\":\"stop\\n\"}").getAsJsonObject(), Instant.EPOCH);
        registry.putIfAbsent(r);
        hub.create(r);
        settle();
    }

    /** Lets {@code millis} of the loop's time pass, running what falls due. */
    private void advance(long millis) {
        loopChannel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        loopChannel.runScheduledPendingTasks();
        settle();
    }

    private static final long STOP_TIMEOUT_MILLIS = LightdConfig.Defaults.limits().stopTimeout().toMillis();

    private ActionResult power(PowerAction action) {
        ActionResult result = hub.power(action).join();
        settle();
        return result;
    }

    @Test
    void unknownContainerSendsNothingUntilCreated() {
        EmbeddedChannel c = client();
        assertThat(frames(c)).isEmpty();
        assertThat(hub.logs(OptionalInt.empty()).join()).isNull();
        create(null);
        assertThat(frames(c)).containsExactly(event("installing"), event("installed"));
    }

    @Test
    void newSubscriberGetsCurrentStateThenLatestStatsWhenRunning() {
        create(null);
        power(PowerAction.START);
        runtime.stats(ID, new Stats(1.234, 10, 20, 0, 0, 5, 6));
        EmbeddedChannel late = client();
        List<String> got = frames(late);
        assertThat(got).hasSize(2);
        assertThat(got.get(0)).isEqualTo(event("running"));
        JsonObject stats = JsonParser.parseString(got.get(1)).getAsJsonObject();
        assertThat(stats.get("event").getAsString()).isEqualTo("stats");
        assertThat(stats.get("cpu_usage").getAsDouble()).isEqualTo(1.23);
    }

    @Test
    void theFirstSubscriberAsksForStatsAndTheLastOneLeavingStopsAsking() {
        create(null);
        EmbeddedChannel first = client();
        EmbeddedChannel second = client();
        settle();
        assertThat(runtime.statsDemands()).containsExactly(ID + ":true");
        first.close();
        settle();
        assertThat(runtime.statsDemands()).containsExactly(ID + ":true");
        second.close();
        settle();
        assertThat(runtime.statsDemands()).containsExactly(ID + ":true", ID + ":false");
    }

    @Test
    void aNewSubscriberGetsAFreshSampleNotAStaleOne() {
        create(null);
        power(PowerAction.START);
        runtime.stats(ID, new Stats(1, 10, 20, 0, 0, 0, 0));
        settle();
        // Nobody watched for a while: the last sample is an idle one, 9 s old.
        loopChannel.advanceTimeBy(9, TimeUnit.SECONDS);
        EmbeddedChannel late = client();
        assertThat(frames(late)).containsExactly(event("running"));
        // The runtime's prompt sample (unchanged figures): now the subscriber gets them.
        runtime.stats(ID, new Stats(1, 10, 20, 0, 0, 0, 0));
        List<String> got = frames(late);
        assertThat(got).hasSize(1);
        assertThat(JsonParser.parseString(got.get(0)).getAsJsonObject().get("memory_usage").getAsLong()).isEqualTo(10);

        // A fresh sample with new figures reaches a waiting subscriber once, as the broadcast.
        loopChannel.advanceTimeBy(9, TimeUnit.SECONDS);
        EmbeddedChannel later = client();
        assertThat(frames(later)).containsExactly(event("running"));
        runtime.stats(ID, new Stats(1, 11, 20, 0, 0, 0, 0));
        got = frames(later);
        assertThat(got).hasSize(1);
        assertThat(JsonParser.parseString(got.get(0)).getAsJsonObject().get("memory_usage").getAsLong()).isEqualTo(11);
    }

    @Test
    void startWithoutPatternIsRunningAtOnce() {
        create(null);
        EmbeddedChannel c = client();
        frames(c);
        assertThat(power(PowerAction.START).accepted()).isTrue();
        assertThat(frames(c)).containsExactly(event("starting"), daemon("Container started"), event("running"));
        assertThat(registry.get(ID).state()).isEqualTo(ContainerState.RUNNING);
    }

    @Test
    void startWithPatternIsRunningWhenALineMatchesEvenIfSplit() {
        create("Done \\\\(");
        EmbeddedChannel c = client();
        frames(c);
        power(PowerAction.START);
        assertThat(frames(c)).containsExactly(event("starting"), daemon("Container started"));
        runtime.output(ID, "Loading\nDo");
        loopChannel.advanceTimeBy(50, TimeUnit.MILLISECONDS);
        loopChannel.runScheduledPendingTasks();
        runtime.output(ID, "ne (1.2s)\n");
        assertThat(frames(c)).containsExactly(
                "{\"event\":\"console\",\"data\":\"Loading\\n\"}",
                "{\"event\":\"console duplicate\",\"data\":\"Loading\\n\"}",
                "{\"event\":\"console\",\"data\":\"Do\"}",
                "{\"event\":\"console duplicate\",\"data\":\"Do\"}",
                "{\"event\":\"console\",\"data\":\"ne (1.2s)\\n\"}",
                "{\"event\":\"console duplicate\",\"data\":\"ne (1.2s)\\n\"}",
                event("running"), daemon("Server started"));
    }

    @Test
    void theStartPatternMatchesALineWithoutItsColoursWhileConsoleAndHistoryKeepThem() {
        create("Done \\\\(");
        EmbeddedChannel c = client();
        frames(c);
        power(PowerAction.START);
        assertThat(frames(c)).containsExactly(event("starting"), daemon("Container started"));
        // a colour (CSI), a window title (OSC) and a charset choice, the colour split between two writes
        runtime.output(ID, "\u001b]0;server\u0007\u001b(B\u001b[32mDo");
        loopChannel.advanceTimeBy(50, TimeUnit.MILLISECONDS);
        loopChannel.runScheduledPendingTasks();
        runtime.output(ID, "ne\u001b[0m (1.2s)!\n");
        List<String> got = frames(c);
        assertThat(got).endsWith(event("running"), daemon("Server started"));
        assertThat(registry.get(ID).state()).isEqualTo(ContainerState.RUNNING);
        StringBuilder console = new StringBuilder();
        for (String frame : got) {
            JsonObject m = JsonParser.parseString(frame).getAsJsonObject();
            if (m.get("event").getAsString().equals("console")) {
                console.append(m.get("data").getAsString());
            }
        }
        assertThat(console.toString()).isEqualTo("\u001b]0;server\u0007\u001b(B\u001b[32mDone\u001b[0m (1.2s)!\n");
        assertThat(hub.logs(OptionalInt.empty()).join())
                .isEqualTo("\u001b]0;server\u0007\u001b(B\u001b[32mDone\u001b[0m (1.2s)!\n");
    }

    @Test
    void everySubscriberGetsConsoleThenDuplicateWithIdenticalData() {
        create(null);
        EmbeddedChannel a = client();
        EmbeddedChannel b = client();
        power(PowerAction.START);
        frames(a);
        frames(b);
        runtime.output(ID, "h\u00e9llo\n\n\r\n");
        String console = "{\"event\":\"console\",\"data\":\"h\u00e9llo\\n\\n\\r\\n\"}";
        String duplicate = "{\"event\":\"console duplicate\",\"data\":\"h\u00e9llo\\n\\n\\r\\n\"}";
        assertThat(frames(a)).containsExactly(console, duplicate);
        assertThat(frames(b)).containsExactly(console, duplicate);
    }

    @Test
    void stopSendsStopCommandAndRequestedExitHasNoError() {
        create(null);
        power(PowerAction.START);
        EmbeddedChannel c = client();
        frames(c);
        assertThat(power(PowerAction.STOP).accepted()).isTrue();
        assertThat(runtime.calls()).endsWith("stdin " + ID);
        assertThat(new String(runtime.stdin().get(0), StandardCharsets.UTF_8)).isEqualTo("stop\n");
        runtime.exit(ID, 0);
        assertThat(frames(c)).containsExactly(event("stopping"), event("exit"), daemon("Container stopped"));
        advance(STOP_TIMEOUT_MILLIS);
        assertThat(runtime.calls()).as("nothing after the exit").endsWith("stdin " + ID);
    }

    @Test
    void stopWhoseExitReportIsLostEndsAsExitOnceTheRuntimeNoLongerRunsIt() {
        create(null);
        power(PowerAction.START);
        EmbeddedChannel c = client();
        frames(c);
        assertThat(power(PowerAction.STOP).accepted()).isTrue();
        runtime.vanishSilently(ID);
        assertThat(frames(c)).containsExactly(event("stopping"));
        advance(STOP_TIMEOUT_MILLIS);
        advance(ContainerHub.EXIT_CONFIRM_MILLIS);
        assertThat(frames(c)).containsExactly(event("exit"), daemon("Container stopped"),
                daemon("Error: server did not stop within 30 s; killed"));
        assertThat(power(PowerAction.START).accepted()).as("startable again").isTrue();
    }

    @Test
    void stopThatLeavesTheProcessRunningReturnsToRunningAndSaysSo() {
        create(null);
        power(PowerAction.START);
        EmbeddedChannel c = client();
        frames(c);
        assertThat(power(PowerAction.STOP).accepted()).isTrue();
        advance(STOP_TIMEOUT_MILLIS);
        advance(ContainerHub.EXIT_CONFIRM_MILLIS);
        assertThat(frames(c)).containsExactly(event("stopping"),
                daemon("Error: stop did not end the server; it is still running"), event("running"));
        runtime.exit(ID, 0);
        assertThat(frames(c)).containsExactly(event("exit"), daemon("Container stopped"),
                daemon("Server exited with code 0"));
    }

    @Test
    void killThenExit() {
        create(null);
        power(PowerAction.START);
        EmbeddedChannel c = client();
        frames(c);
        power(PowerAction.KILL);
        assertThat(runtime.calls()).contains("kill " + ID);
        runtime.exit(ID, 137);
        assertThat(frames(c)).containsExactly(event("stopping"), event("exit"), daemon("Container stopped"));
    }

    @Test
    void unrequestedExitReportsItsCode() {
        create(null);
        power(PowerAction.START);
        EmbeddedChannel c = client();
        frames(c);
        runtime.output(ID, "bye");
        runtime.exit(ID, 3);
        assertThat(frames(c)).containsExactly(
                "{\"event\":\"console\",\"data\":\"bye\"}",
                "{\"event\":\"console duplicate\",\"data\":\"bye\"}",
                event("exit"), daemon("Container stopped"), daemon("Error: server exited with code 3"));
    }

    @Test
    void restartStopsThenStartsAndSaysRestarted() {
        create(null);
        power(PowerAction.START);
        EmbeddedChannel c = client();
        frames(c);
        power(PowerAction.RESTART);
        runtime.exit(ID, 0);
        settle();
        assertThat(frames(c)).containsExactly(event("stopping"), event("exit"), daemon("Container stopped"),
                event("starting"), daemon("Container started"), event("running"), daemon("Container restarted"));
        assertThat(runtime.calls()).containsSubsequence("start " + ID, "stdin " + ID, "start " + ID);
    }

    @Test
    void startingTwiceAndStoppingWhenStoppedAreRefused() {
        create(null);
        assertThat(power(PowerAction.STOP)).isEqualTo(ActionResult.conflict("not running"));
        assertThat(power(PowerAction.KILL)).isEqualTo(ActionResult.conflict("not running"));
        power(PowerAction.START);
        assertThat(power(PowerAction.START)).isEqualTo(ActionResult.conflict("already running"));
        assertThat(runtime.calls().stream().filter(s -> s.startsWith("start")).count()).isEqualTo(1);
    }

    @Test
    void commandsGoToStdinOnlyWhileRunning() {
        create(null);
        assertThat(hub.command("say hi\n").join()).isEqualTo(ActionResult.conflict("not running"));
        power(PowerAction.START);
        assertThat(hub.command("say hi\n").join().accepted()).isTrue();
        settle();
        assertThat(new String(runtime.stdin().get(0), StandardCharsets.UTF_8)).isEqualTo("say hi\n");
    }

    @Test
    void statsAreSentOnlyWhenTheyChange() {
        create(null);
        power(PowerAction.START);
        EmbeddedChannel c = client();
        frames(c);
        runtime.stats(ID, new Stats(10.001, 1, 2, 3, 4, 5, 6));
        runtime.stats(ID, new Stats(10.004, 1, 2, 3, 4, 5, 6));
        runtime.stats(ID, new Stats(10.004, 1, 2, 3, 4, 5, 7));
        assertThat(frames(c)).hasSize(2);
    }

    @Test
    void failedInstallIsReportedAndBlocksStart() {
        runtime.installExitCode(2);
        runtime.installOutput("fetching...\n".getBytes(StandardCharsets.UTF_8));
        EmbeddedChannel c = client();
        create(null);
        assertThat(frames(c)).containsExactly(event("installing"),
                "{\"event\":\"console\",\"data\":\"fetching...\\n\"}",
                "{\"event\":\"console duplicate\",\"data\":\"fetching...\\n\"}",
                daemon("Error: install failed (exit 2)"), event("exit"));
        assertThat(registry.get(ID).installState().wireName()).isEqualTo("failed");
        assertThat(power(PowerAction.START).accepted()).isFalse();
    }

    @Test
    void failedStartEndsInExitWithAnError() {
        runtime.failStartWith(new IllegalStateException("no such binary"));
        create(null);
        EmbeddedChannel c = client();
        frames(c);
        power(PowerAction.START);
        assertThat(frames(c)).containsExactly(event("starting"), daemon("Error: start failed: no such binary"),
                event("exit"));
    }

    @Test
    void startThrowingInsteadOfFailingStillEndsInExitWithAnError() {
        runtime.failStartWith(new IllegalStateException("engine exploded"));
        runtime.throwInsteadOfFailing(true);
        create(null);
        EmbeddedChannel c = client();
        frames(c);
        assertThat(power(PowerAction.START).accepted()).isTrue();
        assertThat(frames(c)).containsExactly(event("starting"), daemon("Error: start failed: engine exploded"),
                event("exit"));
        assertThat(registry.get(ID).state()).isEqualTo(ContainerState.EXIT);
    }

    /** Each refusal is an outcome of its own, not an HTTP status: REST maps it, the metrics label it. */
    @Test
    void refusalsAreOutcomesByReason() {
        assertThat(power(PowerAction.START).outcome()).as("before the create").isEqualTo(ActionOutcome.NOT_FOUND);
        create(null);
        assertThat(power(PowerAction.STOP).outcome()).isEqualTo(ActionOutcome.CONFLICT);
        assertThat(hub.command("say hi\n").join().outcome()).isEqualTo(ActionOutcome.CONFLICT);
        runtime.available(false);
        assertThat(power(PowerAction.START))
                .isEqualTo(new ActionResult(ActionOutcome.UNAVAILABLE, "container runtime unavailable"));
        runtime.available(true);
        assertThat(power(PowerAction.START)).isEqualTo(ActionResult.ok());
        runtime.failStdinWith(new RuntimeUnavailableException("engine gone", null));
        assertThat(hub.command("say hi\n").join())
                .isEqualTo(new ActionResult(ActionOutcome.UNAVAILABLE, "container runtime unavailable"));
        runtime.failStdinWith(new IllegalStateException("pipe broke"));
        assertThat(hub.command("say hi\n").join())
                .isEqualTo(new ActionResult(ActionOutcome.FAILED, "command failed: pipe broke"));
        runtime.failStdinWith(new ContainerNotFoundException(ID));
        assertThat(hub.command("say hi\n").join()).isEqualTo(
                new ActionResult(ActionOutcome.CONFLICT, "command failed: the runtime has no such container"));
    }

    @Test
    void startOfAContainerTheRuntimeLostEndsInExitWithAnError() {
        runtime.failStartWith(new ContainerNotFoundException(ID));
        create(null);
        EmbeddedChannel c = client();
        frames(c);
        power(PowerAction.START);
        assertThat(frames(c)).containsExactly(event("starting"),
                daemon("Error: start failed: the runtime has no such container"), event("exit"));
        runtime.failStartWith(null);
        assertThat(power(PowerAction.START).accepted()).isTrue();
        assertThat(frames(c)).containsExactly(event("starting"), daemon("Container started"), event("running"));
    }

    @Test
    void containerVanishingWhileStartingIsAnUnrequestedExit() {
        create("Done");
        power(PowerAction.START);
        EmbeddedChannel c = client();
        frames(c);
        runtime.exit(ID, 137);
        assertThat(frames(c)).containsExactly(event("exit"), daemon("Container stopped"),
                daemon("Error: server exited with code 137"));
        assertThat(registry.get(ID).state()).isEqualTo(ContainerState.EXIT);
    }

    @Test
    void failedStopLeavesTheServerRunningAndSaysWhy() {
        for (boolean throwing : new boolean[] {false, true}) {
            create(null);
            power(PowerAction.START);
            EmbeddedChannel c = client();
            frames(c);
            runtime.failStopWith(new IllegalStateException("engine error 500"));
            runtime.throwInsteadOfFailing(throwing);
            assertThat(power(PowerAction.STOP).accepted()).isTrue();
            advance(STOP_TIMEOUT_MILLIS / 2);
            assertThat(frames(c)).as("throwing %s", throwing).containsExactly(event("stopping"),
                    daemon("Error: stop failed: engine error 500"), event("running"));
            assertThat(registry.get(ID).state()).isEqualTo(ContainerState.RUNNING);
            runtime.failStopWith(null);
            assertThat(power(PowerAction.STOP).accepted()).isTrue();
            runtime.exit(ID, 0);
            assertThat(frames(c)).containsExactly(event("stopping"), event("exit"), daemon("Container stopped"));
            hub.delete().join();
            settle();
            registry.remove(ID);
        }
    }

    @Test
    void failedKillLeavesTheServerRunningAndSaysWhy() {
        for (boolean throwing : new boolean[] {false, true}) {
            create(null);
            power(PowerAction.START);
            EmbeddedChannel c = client();
            frames(c);
            runtime.failKillWith(new IllegalStateException("engine error 500"));
            runtime.throwInsteadOfFailing(throwing);
            assertThat(power(PowerAction.KILL).accepted()).isTrue();
            assertThat(frames(c)).as("throwing %s", throwing).containsExactly(event("stopping"),
                    daemon("Error: kill failed: engine error 500"), event("running"));
            runtime.failKillWith(null);
            power(PowerAction.KILL);
            runtime.exit(ID, 137);
            assertThat(frames(c)).containsExactly(event("stopping"), event("exit"), daemon("Container stopped"));
            hub.delete().join();
            settle();
            registry.remove(ID);
        }
    }

    @Test
    void restartWhoseStopFailsIsDroppedAndTheServerKeepsRunning() {
        create(null);
        power(PowerAction.START);
        EmbeddedChannel c = client();
        frames(c);
        runtime.failStopWith(new IllegalStateException("engine error 500"));
        assertThat(power(PowerAction.RESTART).accepted()).isTrue();
        advance(STOP_TIMEOUT_MILLIS / 2);
        assertThat(frames(c)).containsExactly(event("stopping"), daemon("Error: stop failed: engine error 500"),
                event("running"));
        runtime.failStopWith(null);
        power(PowerAction.STOP);
        runtime.exit(ID, 0);
        settle();
        assertThat(runtime.calls().stream().filter(s -> s.startsWith("start")).count()).isEqualTo(1);
        assertThat(registry.get(ID).state()).isEqualTo(ContainerState.EXIT);
    }

    @Test
    void stopOrKillOfAContainerTheRuntimeLostEndsInExit() {
        for (PowerAction action : new PowerAction[] {PowerAction.STOP, PowerAction.KILL}) {
            create(null);
            power(PowerAction.START);
            EmbeddedChannel c = client();
            frames(c);
            runtime.failStopWith(new ContainerNotFoundException(ID));
            runtime.failKillWith(new ContainerNotFoundException(ID));
            assertThat(power(action).accepted()).isTrue();
            advance(STOP_TIMEOUT_MILLIS / 2); // with a stop command, the stop signal goes at half the timeout
            String verb = action == PowerAction.STOP ? "stop" : "kill";
            assertThat(frames(c)).as(verb).containsExactly(event("stopping"),
                    daemon("Error: " + verb + " failed: the runtime has no such container"), event("exit"),
                    daemon("Container stopped"));
            assertThat(registry.get(ID).state()).isEqualTo(ContainerState.EXIT);
            runtime.failStopWith(null);
            runtime.failKillWith(null);
            assertThat(power(PowerAction.START).accepted()).as("startable again after " + verb).isTrue();
            assertThat(frames(c)).containsExactly(event("starting"), daemon("Container started"), event("running"));
            CompletableFuture<Void> deleted = hub.delete(); // a running server is killed first
            settle();
            runtime.exit(ID, 137);
            deleted.join();
            settle();
            registry.remove(ID);
        }
    }

    @Test
    void installThatCrashesOrThrowsMarksTheInstallFailed() {
        for (boolean throwing : new boolean[] {false, true}) {
            runtime.failInstallWith(new IllegalStateException("pull failed: no such image"));
            runtime.throwInsteadOfFailing(throwing);
            EmbeddedChannel c = client();
            create(null);
            assertThat(frames(c)).as("throwing %s", throwing).containsExactly(event("installing"),
                    daemon("Error: install failed: pull failed: no such image"), event("exit"));
            assertThat(registry.get(ID).installState().wireName()).isEqualTo("failed");
            assertThat(registry.get(ID).state()).isEqualTo(ContainerState.EXIT);
            assertThat(power(PowerAction.START))
                    .isEqualTo(ActionResult.conflict("install failed; reinstall the server first"));
            runtime.failInstallWith(null);
            assertThat(hub.reinstall(null, null).join().accepted()).isTrue();
            settle();
            assertThat(frames(c)).containsExactly(event("installing"), event("installed"));
            hub.delete().join();
            settle();
            registry.remove(ID);
        }
    }

    @Test
    void logsReturnTheHistoryOldestFirst() {
        create(null);
        power(PowerAction.START);
        runtime.output(ID, "one\ntwo\nthree\n");
        assertThat(hub.logs(OptionalInt.empty()).join()).isEqualTo("one\ntwo\nthree\n");
        assertThat(hub.logs(OptionalInt.of(2)).join()).isEqualTo("two\nthree\n");
    }

    @Test
    void deleteGoesSilentAndRemovesTheRuntimeContainer() {
        create(null);
        EmbeddedChannel c = client();
        frames(c);
        hub.delete().join();
        settle();
        assertThat(runtime.calls()).contains("remove " + ID);
        assertThat(hub.power(PowerAction.START).join()).isEqualTo(ActionResult.notFound("unknown container"));
        assertThat(frames(c)).isEmpty();
    }

    @Test
    void throttledOutputStaysInHistoryAndPatternAndIsReportedOnce() {
        hub = newHub(LightdConfig.Defaults.limits().withConsoleThrottle(3, 1 << 20));
        create("Done");
        power(PowerAction.START);
        EmbeddedChannel c = client();
        frames(c);
        for (int i = 1; i <= 6; i++) {
            runtime.output(ID, "line " + i + "\n");
        }
        runtime.output(ID, "Done\n");
        List<String> live = frames(c);
        assertThat(live).containsExactly(
                "{\"event\":\"console\",\"data\":\"line 1\\n\"}",
                "{\"event\":\"console duplicate\",\"data\":\"line 1\\n\"}",
                "{\"event\":\"console\",\"data\":\"line 2\\n\"}",
                "{\"event\":\"console duplicate\",\"data\":\"line 2\\n\"}",
                "{\"event\":\"console\",\"data\":\"line 3\\n\"}",
                "{\"event\":\"console duplicate\",\"data\":\"line 3\\n\"}",
                event("running"), daemon("Server started"));
        loopChannel.advanceTimeBy(ConsoleStream.THROTTLE_QUIET_MILLIS, TimeUnit.MILLISECONDS);
        loopChannel.runScheduledPendingTasks();
        assertThat(frames(c)).containsExactly(daemon("Error: console output throttled, skipped 4 lines"));
        assertThat(metrics.throttledLines()).isEqualTo(4);
        assertThat(hub.logs(OptionalInt.empty()).join())
                .isEqualTo("line 1\nline 2\nline 3\nline 4\nline 5\nline 6\nDone\n");
        loopChannel.advanceTimeBy(2, TimeUnit.SECONDS);
        runtime.output(ID, "after\n");
        assertThat(frames(c)).containsExactly("{\"event\":\"console\",\"data\":\"after\\n\"}",
                "{\"event\":\"console duplicate\",\"data\":\"after\\n\"}");
    }
}
