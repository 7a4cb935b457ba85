package io.lightd.server.it;

import static io.lightd.server.it.WsClient.daemon;
import static io.lightd.server.it.WsClient.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.lightd.runtime.StopSignal;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Server lifecycle end to end, the same for every runtime: stops that reach the whole process tree
 * at once, a stop command and stop signal inside one stop timeout, every stop signal, exits told as
 * they happened (clean, error, out of memory), crash restarts, delete and reinstall of a running
 * server, a kill that ends an install under way, and the disk limit. A real daemon, a real
 * WebSocket client, real processes or containers. The daemon's stop timeout is 3 s.
 */
abstract class LifecycleScenarios {

    /** The daemon of each test: the subclass names the runtime (and tty), these scenarios add their limits. */
    @RegisterExtension
    final LightdExtension lightd;

    LifecycleScenarios(LightdExtension.Builder lightd) {
        this.lightd = lightd.limit("inbound_rate_per_second", 1000).limit("inbound_burst", 1000)
                .limit("disk_check_seconds", 1).build();
    }

    /** A shell server that reads stdin: without an init it would ignore SIGTERM as PID 1 on Docker. */
    static final String READ_LOOP = "echo up; while read l; do echo \"got $l\"; done";
    /** A server that ignores SIGTERM and never reads its stop command. */
    static final String IGNORES_TERM = "trap 'echo ignoring-term' TERM; echo Ready; while :; do sleep 1 & wait $!; done";
    /** A server that just runs. */
    static final String IDLE = "echo up; while :; do sleep 1 & wait $!; done";

    private static final String START = "{\"event\":\"power\",\"action\":\"start\"}";
    private static final String STOP = "{\"event\":\"power\",\"action\":\"stop\"}";

    private static boolean consoleHas(JsonObject m, String text) {
        return m.get("event").getAsString().equals("console") && m.get("data").getAsString().contains(text);
    }

    private JsonObject record(String id) {
        Daemon.Reply r = lightd.daemon().request("GET", "/containers/" + id, null);
        assertThat(r.status()).isEqualTo(200);
        return r.body();
    }

    private WsClient createAndStart(String id, String startup, String extraJson, String firstLine) {
        WsClient c = lightd.ws(id);
        lightd.create(id, startup, null, extraJson);
        c.await(state("installed"));
        c.send(START);
        c.await(m -> consoleHas(m, firstLine));
        return c;
    }

    @Test
    void stopAndRestartOfAShellServerEndItAtOnceWithTheSignal() {
        String id = lightd.id("shell-1");
        WsClient c = createAndStart(id, READ_LOOP, null, "up");
        c.send(STOP);
        List<JsonObject> stop = c.until(daemon("Container stopped"));
        assertThat(ConsoleScenarios.withoutConsole(stop)).containsExactly("event:stopping", "event:exit",
                "daemon_message:Container stopped");
        assertThat(record(id).getAsJsonObject("last_exit").get("code").getAsInt())
                .as("ended by SIGTERM (143), not killed at the timeout (137)").isEqualTo(143);

        c.send(START);
        c.await(m -> consoleHas(m, "up"));
        c.send("{\"event\":\"power\",\"action\":\"restart\"}");
        List<JsonObject> restart = c.until(daemon("Container restarted"));
        assertThat(ConsoleScenarios.withoutConsole(restart)).containsExactly("event:stopping", "event:exit",
                "daemon_message:Container stopped", "event:starting", "daemon_message:Container started",
                "event:running", "daemon_message:Container restarted");
        assertThat(record(id).getAsJsonObject("last_exit").get("code").getAsInt()).isEqualTo(143);
    }

    @Test
    void aStopCommandThatIsIgnoredEndsInOneTimeoutWithTheKillSaid() {
        String id = lightd.id("cmd-1");
        WsClient c = createAndStart(id, IGNORES_TERM, "{\"stop_command\":\"please-stop\\n\"}", "Ready");
        c.send(STOP);
        List<JsonObject> stop = c.until(daemon("Error: server did not stop within 3 s; killed"));
        assertThat(ConsoleScenarios.withoutConsole(stop)).containsExactly("event:stopping", "event:exit",
                "daemon_message:Container stopped", "daemon_message:Error: server did not stop within 3 s; killed");
        assertThat(ConsoleScenarios.consoleText(stop, "console")).as("the stop signal reached it before the kill")
                .contains("ignoring-term");
        assertThat(record(id).getAsJsonObject("last_exit").get("code").getAsInt()).isEqualTo(137);
    }

    @Test
    void everyStopSignalReachesAServerThatTrapsItAndExits() {
        for (StopSignal signal : StopSignal.values()) {
            String name = signal.shortName();
            String id = lightd.id("sig-" + name.toLowerCase(java.util.Locale.ROOT));
            WsClient c = createAndStart(id, "trap 'echo got-" + name + "; exit 0' " + name
                    + "; echo Ready; while :; do sleep 1 & wait $!; done", "{\"stop_signal\":\"" + signal.name() + "\"}",
                    "Ready");
            c.send(STOP);
            List<JsonObject> stop = c.until(daemon("Container stopped"));
            assertThat(ConsoleScenarios.consoleText(stop, "console")).as(signal.name()).contains("got-" + name);
            assertThat(ConsoleScenarios.withoutConsole(stop)).as(signal.name()).containsExactly("event:stopping",
                    "event:exit", "daemon_message:Container stopped");
            assertThat(record(id).get("stop_signal").getAsString()).isEqualTo(signal.name());
            c.close();
        }
    }

    @Test
    void deletingARunningServerShowsTheKillThenNothingUntilItIsCreatedAgain() {
        String id = lightd.id("del-1");
        WsClient c = createAndStart(id, IDLE, null, "up");
        assertThat(lightd.daemon().request("DELETE", "/containers/" + id, null).status()).isEqualTo(200);
        List<JsonObject> gone = c.until(daemon("Container stopped"));
        assertThat(ConsoleScenarios.withoutConsole(gone)).containsExactly("event:stopping", "event:exit",
                "daemon_message:Container stopped");
        assertThat(lightd.daemon().request("GET", "/containers/" + id, null).status()).isEqualTo(404);
        lightd.create(id, IDLE, null, null);
        List<JsonObject> again = c.until(state("installed"));
        assertThat(ConsoleScenarios.withoutConsole(again)).as("nothing between the stop and the new container")
                .containsExactly("event:installing", "event:installed");
    }

    @Test
    void deletingAnInstallingServerEndsTheInstallWithTheEventsOfAKill() throws Exception {
        String id = lightd.id("delinst-1");
        WsClient c = lightd.ws(id);
        lightd.create(id, IDLE, null, "{\"install_script\":\"echo fetching; sleep 60\"}");
        c.await(m -> consoleHas(m, "fetching"));
        assertThat(lightd.daemon().request("DELETE", "/containers/" + id, null).status()).isEqualTo(200);
        List<JsonObject> gone = c.until(daemon("Container stopped"));
        assertThat(ConsoleScenarios.withoutConsole(gone)).containsExactly("event:stopping", "event:exit",
                "daemon_message:Container stopped");
        assertThat(lightd.daemon().request("GET", "/containers/" + id, null).status()).isEqualTo(404);
        if (lightd.runtime() == Daemon.Runtime.DOCKER) {
            assertThat(EngineApi.managedContainers()).noneMatch(container -> EngineApi.internalIdOf(container).equals(id));
        }
    }

    @Test
    void killingAnInstallingServerEndsTheInstallAsFailedUntilAReinstall() {
        String id = lightd.id("killinst-1");
        WsClient c = lightd.ws(id);
        lightd.create(id, IDLE, null, "{\"install_script\":\"echo fetching; sleep 60\"}");
        c.await(m -> consoleHas(m, "fetching"));
        assertThat(lightd.daemon().request("POST", "/containers/" + id + "/kill", null).status()).isEqualTo(202);
        List<JsonObject> ended = c.until(daemon("Container stopped"));
        assertThat(ConsoleScenarios.withoutConsole(ended)).containsExactly("event:stopping", "event:exit",
                "daemon_message:Container stopped");
        assertThat(record(id).get("install_state").getAsString()).isEqualTo("failed");
        Daemon.Reply start = lightd.daemon().request("POST", "/containers/" + id + "/start", null);
        assertThat(start.status()).isEqualTo(409);
        assertThat(start.body().get("error").getAsString()).isEqualTo("install failed; reinstall the server first");
        assertThat(lightd.daemon().request("POST", "/containers/" + id + "/reinstall", "{\"install_script\":\"echo again\"}")
                .status()).isEqualTo(202);
        c.await(state("installed"));
        assertThat(record(id).get("install_state").getAsString()).isEqualTo("installed");
    }

    @Test
    void reinstallingARunningServerKillsItFirstAndDuringAnInstallIsRefused() {
        String id = lightd.id("reinst-1");
        WsClient c = createAndStart(id, IDLE, null, "up");
        assertThat(lightd.daemon().request("POST", "/containers/" + id + "/reinstall",
                "{\"install_script\":\"sleep 1; echo again\"}")
                .status()).isEqualTo(202);
        Daemon.Reply during = lightd.daemon().request("POST", "/containers/" + id + "/reinstall", null);
        assertThat(during.status()).isEqualTo(409);
        List<JsonObject> seen = c.until(state("installed"));
        assertThat(ConsoleScenarios.withoutConsole(seen)).containsExactly("event:stopping", "event:exit",
                "daemon_message:Container stopped", "event:installing", "event:installed");
        assertThat(ConsoleScenarios.consoleText(seen, "console")).endsWith("again\n");
    }

    @Test
    void anOutOfMemoryKillIsToldAsSuchAndRecorded() {
        String id = lightd.id("oom-1");
        WsClient c = lightd.ws(id);
        lightd.create(id, "x=$(yes | head -c 80000000); echo held ${#x}; sleep 100", null,
                "{\"limits\":{\"memory\":16777216}}");
        c.await(state("installed"));
        c.send(START);
        List<JsonObject> all = c.until(daemon("Error: server ran out of memory (limit 16 MiB) and was killed"));
        assertThat(ConsoleScenarios.withoutConsole(all)).endsWith("event:exit", "daemon_message:Container stopped",
                "daemon_message:Error: server ran out of memory (limit 16 MiB) and was killed");
        JsonObject lastExit = record(id).getAsJsonObject("last_exit");
        assertThat(lastExit.get("out_of_memory").getAsBoolean()).isTrue();
        assertThat(lastExit.get("code").getAsInt()).isEqualTo(137);
    }

    @Test
    void aServerThatEndsCleanlyIsNotAnError() {
        String id = lightd.id("clean-1");
        WsClient c = lightd.ws(id);
        lightd.create(id, "echo bye", null, null);
        c.await(state("installed"));
        c.send(START);
        List<JsonObject> all = c.until(daemon("Server exited with code 0"));
        assertThat(ConsoleScenarios.withoutConsole(all)).containsExactly("event:starting",
                "daemon_message:Container started", "event:running", "event:exit", "daemon_message:Container stopped",
                "daemon_message:Server exited with code 0");
    }

    @Test
    void aCrashingServerIsRestartedTwiceThenLeftExited() {
        String id = lightd.id("crash-1");
        WsClient c = lightd.ws(id);
        lightd.create(id, "echo up; sleep 1; exit 3", null,
                "{\"restart_policy\":{\"name\":\"on-failure\",\"max_retries\":2,\"window_seconds\":60}}");
        c.await(state("installed"));
        c.send(START);
        List<JsonObject> all = c.until(daemon("Error: server crashed 3 times in 60 s; not restarting"));
        List<String> events = ConsoleScenarios.withoutConsole(all);
        String crash = "daemon_message:Error: server exited with code 3";
        assertThat(events).containsExactly("event:starting", "daemon_message:Container started", "event:running",
                "event:exit", "daemon_message:Container stopped", crash,
                "daemon_message:Restarting after crash (attempt 1 of 2)",
                "event:starting", "daemon_message:Container started", "event:running",
                "event:exit", "daemon_message:Container stopped", crash,
                "daemon_message:Restarting after crash (attempt 2 of 2)",
                "event:starting", "daemon_message:Container started", "event:running",
                "event:exit", "daemon_message:Container stopped", crash,
                "daemon_message:Error: server crashed 3 times in 60 s; not restarting");
        JsonObject record = record(id);
        assertThat(record.get("state").getAsString()).isEqualTo("exit");
        assertThat(record.get("restart_pending").getAsBoolean()).isFalse();
        assertThat(record.getAsJsonArray("recent_crashes")).hasSize(3);
    }

    @Test
    void aRequestedStopIsNeverRestarted() throws Exception {
        String id = lightd.id("nocrash-1");
        WsClient c = createAndStart(id, IDLE, "{\"restart_policy\":{\"name\":\"always\"}}", "up");
        c.send(STOP);
        c.await(daemon("Container stopped"));
        JsonObject record = record(id);
        assertThat(record.get("restart_pending").getAsBoolean()).isFalse();
        assertThat(record.getAsJsonArray("recent_crashes")).isEmpty();
        // A restart would come after a 1 s backoff: nothing in three times that.
        JsonObject later = c.poll(Duration.ofSeconds(3));
        assertThat(later).as("no restart after a requested stop").isNull();
    }

    @Test
    void overTheDiskLimitTheServerIsStoppedAndCannotStartUntilTheFileIsGone() throws Exception {
        String id = lightd.id("disk-1");
        WsClient c = createAndStart(id, "echo up; head -c 2000000 /dev/zero > big.bin; echo written; "
                + "while :; do sleep 1 & wait $!; done", "{\"limits\":{\"disk\":1048576}}", "up");
        JsonObject over = c.await(m -> m.get("event").getAsString().equals("daemon_message")
                && m.get("data").getAsString().startsWith("Error: disk limit exceeded"));
        assertThat(over.get("data").getAsString()).startsWith("Error: disk limit exceeded (used ")
                .endsWith(" of 1048576 bytes)");
        List<JsonObject> stop = c.until(daemon("Container stopped"));
        assertThat(ConsoleScenarios.withoutConsole(stop)).containsExactly("event:stopping", "event:exit",
                "daemon_message:Container stopped");

        Daemon.Reply refused = lightd.daemon().request("POST", "/containers/" + id + "/start", null);
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.body().get("error").getAsString())
                .isEqualTo("disk limit exceeded (used 2000000 of 1048576 bytes)");
        c.send(START);
        assertThat(c.await(m -> m.get("event").getAsString().equals("daemon_message")).get("data").getAsString())
                .isEqualTo("Error: disk limit exceeded (used 2000000 of 1048576 bytes)");
        assertThat(record(id).get("disk_usage").getAsLong()).isEqualTo(2_000_000L);
        assertThat(record(id).getAsJsonObject("limits").get("disk").getAsLong()).isEqualTo(1_048_576L);
        HttpResponse<String> metrics = lightd.daemon().http().send(HttpRequest.newBuilder(lightd.daemon().uri("/metrics"))
                .header("Authorization", "Bearer " + Daemon.TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body()).contains("lightd_container_disk_usage_bytes{container=\"" + id + "\"} 2000000");

        Path big = lightd.storage().resolve("volumes").resolve(id).resolve("big.bin");
        Files.delete(big);
        assertThat(lightd.daemon().request("POST", "/containers/" + id + "/start", null).status()).isEqualTo(202);
        c.await(m -> consoleHas(m, "up"));
    }

    @Test
    void aStopOrKillDuringACrashLoopsBackoffEndsIt() {
        for (String action : List.of("stop", "kill")) {
            String id = lightd.id("loop-" + action);
            WsClient c = lightd.ws(id);
            lightd.create(id, "echo hi; exit 3", null, "{\"restart_policy\":{\"name\":\"always\"}}");
            c.await(state("installed"));
            c.send(START);
            c.await(daemon("Restarting after crash (attempt 1)"));
            Daemon.Reply answer = lightd.daemon().request("POST", "/containers/" + id + "/" + action, null);
            assertThat(answer.status()).as("%s during the backoff: %s", action, answer.body()).isEqualTo(202);
            c.await(daemon("Pending restart after crash cancelled by " + action));
            JsonObject record = record(id);
            assertThat(record.get("state").getAsString()).isEqualTo("exit");
            assertThat(record.get("restart_pending").getAsBoolean()).isFalse();
        }
    }

    @Test
    void aReinstallDuringACrashLoopsBackoffClearsThePendingRestart() throws Exception {
        String id = lightd.id("loop-reinstall");
        WsClient c = lightd.ws(id);
        lightd.create(id, "echo hi; exit 3", null, "{\"restart_policy\":{\"name\":\"always\"}}");
        c.await(state("installed"));
        c.send(START);
        c.await(daemon("Restarting after crash (attempt 1)"));
        assertThat(lightd.daemon().request("POST", "/containers/" + id + "/reinstall", "{}").status()).isEqualTo(202);
        assertThat(record(id).get("restart_pending").getAsBoolean()).as("cleared with the reinstall").isFalse();
        c.await(state("installed"));
        lightd.daemon().restart();
        JsonObject after = record(id);
        assertThat(after.get("restart_pending").getAsBoolean()).isFalse();
        assertThat(after.get("state").getAsString()).as("not started by the daemon's restart").isEqualTo("installed");
    }
}
