package io.lightd.server.hub;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.lightd.protocol.ContainerState;
import io.lightd.protocol.PowerAction;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.fanout.SharedFrames;
import io.lightd.server.metrics.Metrics;
import io.lightd.server.record.ContainerRecord;
import io.lightd.server.record.ExitHistory;
import io.lightd.server.store.ContainerRegistry;
import io.lightd.server.store.JsonFileStore;
import io.lightd.testing.ScriptedRuntime;
import io.netty.buffer.ByteBuf;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hub's lifecycle on an embedded loop whose clock the test moves: the stop sequence inside one
 * stop timeout, the stop signal, exit messages (clean, error, out of memory), the restart policy with
 * its backoff and limit, a pending restart carried over a daemon restart, and delete and reinstall
 * killing first. The same logic serves both runtimes, which only write, signal and kill.
 */
class HubLifecycleTest {

    private static final String ID = "life-1";
    private static final long STOP_TIMEOUT_MILLIS = LightdConfig.Defaults.limits().stopTimeout().toMillis();

    @TempDir
    Path dir;
    private final EmbeddedChannel loopChannel = new EmbeddedChannel();
    private final ScriptedRuntime runtime = new ScriptedRuntime();
    private final List<EmbeddedChannel> clients = new ArrayList<>();
    private final Clock clock = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    private ContainerRegistry registry;
    private ContainerHub hub;

    @BeforeEach
    void setUp() {
        loopChannel.freezeTime(); // the loop's clock moves only when the test moves it
        registry = new ContainerRegistry(new JsonFileStore.Factory(dir, Runnable::run));
        hub = new ContainerHub(ID, loopChannel.eventLoop(), runtime, registry, clock, LightdConfig.Defaults.limits(),
                new Metrics());
    }

    @AfterEach
    void tearDown() {
        clients.forEach(EmbeddedChannel::finishAndReleaseAll);
        loopChannel.finishAndReleaseAll();
    }

    private void settle() {
        loopChannel.runPendingTasks();
    }

    private void advance(long millis) {
        loopChannel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        loopChannel.runScheduledPendingTasks();
        settle();
    }

    private EmbeddedChannel client() {
        EmbeddedChannel c = new EmbeddedChannel(DefaultChannelId.newInstance());
        clients.add(c);
        hub.subscribe(c);
        settle();
        frames(c);
        return c;
    }

    /** State events and daemon messages, as "event:x" and "daemon_message:y". */
    private List<String> frames(EmbeddedChannel c) {
        settle();
        List<String> out = new ArrayList<>();
        for (Object o; (o = c.readOutbound()) != null; ) {
            List<String> jsons = new ArrayList<>();
            if (o instanceof io.netty.handler.codec.http.websocketx.TextWebSocketFrame f) {
                jsons.add(f.content().toString(StandardCharsets.UTF_8));
                f.release();
            } else {
                ByteBuf shared = (ByteBuf) o;
                for (byte[] payload : SharedFrames.payloads(shared)) {
                    jsons.add(new String(payload, StandardCharsets.UTF_8));
                }
                shared.release();
            }
            for (String json : jsons) {
                JsonObject m = JsonParser.parseString(json).getAsJsonObject();
                out.add(m.get("event").getAsString() + ":" + m.get("data").getAsString());
            }
        }
        return out;
    }

    private void create(String extraJson) {
        JsonObject body = JsonParser.parseString("{\"internal_id\":\"" + ID
                + "\",\"image\":\"img\",\"startup_command\":\"run\"}").getAsJsonObject();
        JsonParser.parseString(extraJson).getAsJsonObject().entrySet().forEach(e -> body.add(e.getKey(), e.getValue()));
        ContainerRecord r = ContainerRecord.fromCreateBody(body, Instant.EPOCH);
        registry.putIfAbsent(r);
        hub.create(r);
        settle();
    }

    private ActionResult power(PowerAction action) {
        ActionResult result = hub.power(action).join();
        settle();
        return result;
    }

    private long starts() {
        return runtime.calls().stream().filter(s -> s.startsWith("start ")).count();
    }

    @Test
    void stopWithACommandSignalsAtHalfTheTimeoutAndKillsAtTheTimeoutNotTwice() {
        create("{\"stop_command\":\"please-stop\\n\"}");
        power(PowerAction.START);
        EmbeddedChannel c = client();
        power(PowerAction.STOP);
        assertThat(runtime.calls()).endsWith("stdin " + ID);
        assertThat(new String(runtime.stdin().get(0), StandardCharsets.UTF_8)).isEqualTo("please-stop\n");
        advance(STOP_TIMEOUT_MILLIS / 2 - 1);
        assertThat(runtime.calls()).endsWith("stdin " + ID);
        advance(1);
        assertThat(runtime.calls()).endsWith("signal " + ID + " SIGTERM");
        advance(STOP_TIMEOUT_MILLIS / 2 - 1);
        assertThat(runtime.calls()).as("no kill before the one timeout").endsWith("signal " + ID + " SIGTERM");
        advance(1);
        assertThat(runtime.calls()).as("killed at the one timeout").endsWith("kill " + ID);
        runtime.exit(ID, 137);
        assertThat(frames(c)).containsExactly("event:stopping", "event:exit", "daemon_message:Container stopped",
                "daemon_message:Error: server did not stop within 30 s; killed");
        advance(STOP_TIMEOUT_MILLIS * 2);
        assertThat(runtime.calls()).endsWith("kill " + ID);
        assertThat(frames(c)).isEmpty();
    }

    @Test
    void stopWithoutACommandSendsTheStopSignalAtOnce() {
        create("{\"stop_signal\":\"SIGINT\"}");
        power(PowerAction.START);
        EmbeddedChannel c = client();
        power(PowerAction.STOP);
        assertThat(runtime.calls()).endsWith("signal " + ID + " SIGINT");
        runtime.exit(ID, 0);
        assertThat(frames(c)).containsExactly("event:stopping", "event:exit", "daemon_message:Container stopped");
        advance(STOP_TIMEOUT_MILLIS);
        assertThat(runtime.calls()).as("no kill after the exit").doesNotContain("kill " + ID);
    }

    @Test
    void restartsStopUsesTheStopSignalToo() {
        create("{\"stop_signal\":\"SIGUSR1\"}");
        power(PowerAction.START);
        power(PowerAction.RESTART);
        assertThat(runtime.calls()).endsWith("signal " + ID + " SIGUSR1");
        runtime.exit(ID, 0);
        settle();
        assertThat(starts()).isEqualTo(2);
    }

    @Test
    void exitsNobodyAskedForSayHowTheServerEnded() {
        create("{\"limits\":{\"memory\":16777216}}");
        EmbeddedChannel c = client();
        power(PowerAction.START);
        frames(c);
        runtime.exit(ID, 0);
        assertThat(frames(c)).containsExactly("event:exit", "daemon_message:Container stopped",
                "daemon_message:Server exited with code 0");
        power(PowerAction.START);
        frames(c);
        runtime.exit(ID, 3);
        assertThat(frames(c)).containsExactly("event:exit", "daemon_message:Container stopped",
                "daemon_message:Error: server exited with code 3");
        assertThat(registry.get(ID).exits().lastExitOutOfMemory()).isFalse();
        power(PowerAction.START);
        frames(c);
        runtime.outOfMemory(ID);
        assertThat(frames(c)).containsExactly("event:exit", "daemon_message:Container stopped",
                "daemon_message:Error: server ran out of memory (limit 16 MiB) and was killed");
        assertThat(registry.get(ID).exits().lastExitCode()).isEqualTo(137);
        assertThat(registry.get(ID).exits().lastExitOutOfMemory()).isTrue();
        assertThat(registry.get(ID).toJson().getAsJsonObject("last_exit").get("out_of_memory").getAsBoolean()).isTrue();
    }

    @Test
    void crashesAreRestartedWithBackoffUntilTheLimitThenLeftExited() {
        create("{\"restart_policy\":{\"name\":\"on-failure\",\"max_retries\":2,\"window_seconds\":60}}");
        EmbeddedChannel c = client();
        power(PowerAction.START);
        frames(c);
        runtime.exit(ID, 3);
        assertThat(frames(c)).containsExactly("event:exit", "daemon_message:Container stopped",
                "daemon_message:Error: server exited with code 3",
                "daemon_message:Restarting after crash (attempt 1 of 2)");
        advance(999);
        assertThat(starts()).as("backoff 1 s").isEqualTo(1);
        advance(1);
        assertThat(starts()).isEqualTo(2);
        assertThat(frames(c)).containsExactly("event:starting", "daemon_message:Container started", "event:running");
        runtime.exit(ID, 3);
        assertThat(frames(c)).endsWith("daemon_message:Restarting after crash (attempt 2 of 2)");
        advance(1999);
        assertThat(starts()).as("backoff 2 s").isEqualTo(2);
        advance(1);
        assertThat(starts()).isEqualTo(3);
        frames(c);
        runtime.exit(ID, 3);
        assertThat(frames(c)).containsExactly("event:exit", "daemon_message:Container stopped",
                "daemon_message:Error: server exited with code 3",
                "daemon_message:Error: server crashed 3 times in 60 s; not restarting");
        advance(120_000);
        assertThat(starts()).isEqualTo(3);
        assertThat(registry.get(ID).state()).isEqualTo(ContainerState.EXIT);
    }

    @Test
    void onFailureDoesNotRestartACleanExitAndAlwaysDoes() {
        create("{\"restart_policy\":{\"name\":\"on-failure\",\"max_retries\":5}}");
        power(PowerAction.START);
        runtime.exit(ID, 0);
        advance(60_000);
        assertThat(starts()).isEqualTo(1);
        hub.delete().join();
        registry.remove(ID);
        settle();
        create("{\"restart_policy\":{\"name\":\"always\"}}");
        power(PowerAction.START);
        runtime.exit(ID, 0);
        advance(1000);
        assertThat(starts()).isEqualTo(3);
    }

    @Test
    void aRequestedStopOrKillIsNeverACrash() {
        create("{\"restart_policy\":{\"name\":\"always\"}}");
        power(PowerAction.START);
        power(PowerAction.STOP);
        runtime.exit(ID, 143);
        advance(60_000);
        power(PowerAction.START);
        power(PowerAction.KILL);
        runtime.exit(ID, 137);
        advance(60_000);
        assertThat(starts()).isEqualTo(2);
        assertThat(registry.get(ID).exits().recentCrashes()).isEmpty();
    }

    @Test
    void aRestartDueWhenTheDaemonStoppedIsCarriedOutAfterTheRestore() {
        create("{\"restart_policy\":{\"name\":\"on-failure\",\"max_retries\":2}}");
        power(PowerAction.START);
        runtime.exit(ID, 3);
        settle();
        assertThat(registry.get(ID).exits().restartPending()).isTrue();
        hub.shutdown().join();
        advance(60_000);
        assertThat(starts()).as("no restart while the daemon shuts down").isEqualTo(1);

        // A new daemon: a new hub restores the stored record.
        ContainerRecord stored = ContainerRecord.fromStoredJson(registry.get(ID).toJson());
        assertThat(stored.exits().recentCrashes()).hasSize(1);
        ContainerHub restored = new ContainerHub(ID, loopChannel.eventLoop(), runtime, registry, clock,
                LightdConfig.Defaults.limits(), new Metrics());
        hub = restored;
        restored.restore(stored, false, 1024);
        settle();
        advance(1000);
        assertThat(starts()).isEqualTo(2);
        runtime.exit(ID, 3);
        EmbeddedChannel c = client();
        settle();
        assertThat(registry.get(ID).exits().recentCrashes()).as("the crash before the restart still counts").hasSize(2);
        advance(2000);
        assertThat(starts()).isEqualTo(3);
        runtime.exit(ID, 3);
        assertThat(frames(c)).endsWith("daemon_message:Error: server crashed 3 times in 300 s; not restarting");
    }

    @Test
    void deleteOfARunningServerKillsItWithTheEventsOfAKillThenGoesSilent() {
        create("{}");
        power(PowerAction.START);
        EmbeddedChannel c = client();
        CompletableFuture<Void> deleted = hub.delete();
        settle();
        assertThat(runtime.calls()).endsWith("kill " + ID);
        assertThat(deleted).isNotDone();
        runtime.exit(ID, 137);
        settle();
        assertThat(deleted).isDone();
        assertThat(runtime.calls()).endsWith("kill " + ID, "remove " + ID);
        assertThat(frames(c)).containsExactly("event:stopping", "event:exit", "daemon_message:Container stopped");
        assertThat(hub.power(PowerAction.START).join()).isEqualTo(ActionResult.notFound("unknown container"));
        assertThat(frames(c)).isEmpty();
    }

    @Test
    void reinstallOfARunningServerKillsItFirstAndADuringInstallOneIsRefused() {
        create("{}");
        power(PowerAction.START);
        EmbeddedChannel c = client();
        assertThat(hub.reinstall(null, "echo again").join().accepted()).isTrue();
        settle();
        assertThat(runtime.calls()).endsWith("kill " + ID);
        runtime.exit(ID, 137);
        settle();
        assertThat(frames(c)).containsExactly("event:stopping", "event:exit", "daemon_message:Container stopped",
                "event:installing", "event:installed");
        assertThat(registry.get(ID).installScript()).isEqualTo("echo again");
    }

    @Test
    void aKillDuringAnInstallEndsItAsFailedAndOnlyAReinstallStartsAgain() {
        runtime.installHangs(true);
        create("{\"install_script\":\"sleep 600\"}");
        EmbeddedChannel c = client();
        assertThat(hub.power(PowerAction.STOP).join()).isEqualTo(ActionResult.conflict("not running"));
        assertThat(hub.power(PowerAction.START).join()).isEqualTo(ActionResult.conflict("server is installing"));
        assertThat(power(PowerAction.KILL).accepted()).isTrue();
        assertThat(runtime.calls()).endsWith("remove " + ID);
        assertThat(frames(c)).containsExactly("event:stopping", "event:exit", "daemon_message:Container stopped");
        assertThat(hub.view().installState()).isEqualTo(io.lightd.protocol.InstallState.FAILED);
        assertThat(hub.power(PowerAction.START).join())
                .isEqualTo(ActionResult.conflict("install failed; reinstall the server first"));
        assertThat(hub.power(PowerAction.RESTART).join())
                .isEqualTo(ActionResult.conflict("install failed; reinstall the server first"));
        assertThat(hub.power(PowerAction.KILL).join()).isEqualTo(ActionResult.conflict("not running"));
        runtime.installHangs(false);
        assertThat(hub.reinstall(null, "echo again").join().accepted()).isTrue();
        settle();
        assertThat(frames(c)).containsExactly("event:installing", "event:installed");
    }

    @Test
    void aStopOrKillDuringACrashRestartsBackoffCancelsIt() {
        for (PowerAction action : List.of(PowerAction.STOP, PowerAction.KILL)) {
            create("{\"restart_policy\":{\"name\":\"always\"}}");
            EmbeddedChannel c = client();
            power(PowerAction.START);
            long startsBefore = starts();
            runtime.exit(ID, 3);
            assertThat(registry.get(ID).exits().restartPending()).isTrue();
            frames(c);
            assertThat(power(action)).as(action.wireName()).isEqualTo(ActionResult.ok());
            assertThat(frames(c)).containsExactly(
                    "daemon_message:Pending restart after crash cancelled by " + action.wireName());
            assertThat(registry.get(ID).exits().restartPending()).isFalse();
            assertThat(registry.get(ID).state()).isEqualTo(ContainerState.EXIT);
            advance(120_000);
            assertThat(starts()).as("no restart after the " + action.wireName()).isEqualTo(startsBefore);
            assertThat(power(action)).as("nothing pending any more").isEqualTo(ActionResult.conflict("not running"));
            hub.delete().join();
            registry.remove(ID);
            settle();
        }
    }

    @Test
    void aReinstallDuringACrashRestartsBackoffClearsItForGood() {
        create("{\"restart_policy\":{\"name\":\"always\"}}");
        power(PowerAction.START);
        runtime.exit(ID, 3);
        assertThat(registry.get(ID).exits().restartPending()).isTrue();
        assertThat(hub.reinstall(null, null).join().accepted()).isTrue();
        settle();
        assertThat(registry.get(ID).exits().restartPending()).as("stored for the next daemon").isFalse();
        advance(120_000);
        assertThat(starts()).isEqualTo(1);
    }

    @Test
    void aCrashRestartMeasuresTheDiskFirstAndOverTheLimitIsRefusedForGood() throws Exception {
        Path volume = java.nio.file.Files.createDirectories(dir.resolve("volume"));
        hub = new ContainerHub(ID, loopChannel.eventLoop(), runtime, registry, clock, LightdConfig.Defaults.limits(),
                new Metrics(), volume, Runnable::run);
        create("{\"restart_policy\":{\"name\":\"always\"},\"limits\":{\"disk\":1024}}");
        EmbeddedChannel c = client();
        power(PowerAction.START);
        assertThat(starts()).isEqualTo(1);
        java.nio.file.Files.write(volume.resolve("big"), new byte[4096]);
        runtime.exit(ID, 3);
        assertThat(frames(c)).endsWith("daemon_message:Restarting after crash (attempt 1)");
        advance(1000);
        assertThat(starts()).as("refused by the disk check").isEqualTo(1);
        assertThat(frames(c)).containsExactly("daemon_message:Error: disk limit exceeded (used 4096 of 1024 bytes)");
        assertThat(registry.get(ID).state()).isEqualTo(ContainerState.EXIT);
        assertThat(registry.get(ID).exits().restartPending()).isFalse();
        advance(120_000);
        assertThat(starts()).as("no further restarts").isEqualTo(1);
    }

    @Test
    void anExitWhileTheDaemonWasDownIsReportedAsTheCrashItWas() {
        create("{\"restart_policy\":{\"name\":\"on-failure\",\"max_retries\":2},\"limits\":{\"memory\":16777216}}");
        power(PowerAction.START);
        hub.shutdown().join();
        settle();
        ContainerRecord stored = ContainerRecord.fromStoredJson(registry.get(ID).toJson());
        assertThat(stored.state()).isEqualTo(ContainerState.RUNNING);
        Instant finished = Instant.parse("2025-12-31T23:59:58Z");
        runtime.reportLastExit(ID, new io.lightd.runtime.ExitReport(3, false, finished));

        hub = new ContainerHub(ID, loopChannel.eventLoop(), runtime, registry, clock,
                LightdConfig.Defaults.limits(), new Metrics());
        EmbeddedChannel c = client();
        hub.restore(stored, false, 1024);
        settle();
        assertThat(frames(c)).contains("daemon_message:Error: server exited with code 3",
                "daemon_message:Restarting after crash (attempt 1 of 2)");
        ExitHistory exits = registry.get(ID).exits();
        assertThat(exits.lastExitCode()).isEqualTo(3);
        assertThat(exits.lastExitAt()).isEqualTo(finished);
        assertThat(exits.recentCrashes()).containsExactly(finished);
        advance(1000);
        assertThat(starts()).as("restarted by the policy").isEqualTo(2);

        // the engine's OOM kill of the server itself while the daemon was down
        hub.shutdown().join();
        runtime.reportLastExit(ID, new io.lightd.runtime.ExitReport(137, true, finished));
        ContainerRecord again = ContainerRecord.fromStoredJson(registry.get(ID).toJson());
        hub = new ContainerHub(ID, loopChannel.eventLoop(), runtime, registry, clock,
                LightdConfig.Defaults.limits(), new Metrics());
        EmbeddedChannel d = client();
        hub.restore(again, false, 1024);
        settle();
        assertThat(frames(d)).contains("daemon_message:Error: server ran out of memory (limit 16 MiB) and was killed");
        assertThat(registry.get(ID).exits().lastExitOutOfMemory()).isTrue();
    }
}
