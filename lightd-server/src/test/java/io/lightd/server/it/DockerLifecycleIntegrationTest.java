package io.lightd.server.it;

import static io.lightd.server.it.WsClient.daemon;
import static io.lightd.server.it.WsClient.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.lightd.runtime.docker.DockerEngineExtension;
import io.lightd.testing.Await;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The lifecycle scenarios of {@link LifecycleScenarios} on a real Docker engine (test image, network
 * mode none), plus the crash policy carried across a restart of the daemon while the container keeps
 * running. Skipped loudly without an engine.
 */
@ExtendWith(DockerEngineExtension.class)
class DockerLifecycleIntegrationTest extends LifecycleScenarios {

    DockerLifecycleIntegrationTest() {
        super(LightdExtension.builder()
                .runtime(Daemon.Runtime.DOCKER));
    }

    @Test
    void theCrashCountSurvivesADaemonRestartMidWay() throws Exception {
        String id = lightd.id("survive-1");
        WsClient c = lightd.ws(id);
        lightd.create(id, "echo up; read x; exit 3", null,
                "{\"restart_policy\":{\"name\":\"on-failure\",\"max_retries\":2,\"window_seconds\":300}}");
        c.await(state("installed"));
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        c.await(m -> m.get("event").getAsString().equals("console") && m.get("data").getAsString().equals("up\n"));
        c.send("{\"event\":\"send_command\",\"command\":\"crash\\n\"}");
        c.await(daemon("Restarting after crash (attempt 1 of 2)"));
        c.await(m -> m.get("event").getAsString().equals("console") && m.get("data").getAsString().equals("up\n"));

        lightd.daemon().restart();

        WsClient again = lightd.daemon().ws(id);
        lightd.closeAfter(again);
        assertThat(WsClient.describe(again.next())).as("re-attached across the restart").isEqualTo("event:running");
        again.send("{\"event\":\"send_command\",\"command\":\"crash\\n\"}");
        List<JsonObject> second = again.until(daemon("Restarting after crash (attempt 2 of 2)"));
        assertThat(ConsoleScenarios.withoutConsole(second)).endsWith("daemon_message:Error: server exited with code 3",
                "daemon_message:Restarting after crash (attempt 2 of 2)");
        again.await(m -> m.get("event").getAsString().equals("console") && m.get("data").getAsString().equals("up\n"));
        again.send("{\"event\":\"send_command\",\"command\":\"crash\\n\"}");
        again.await(daemon("Error: server crashed 3 times in 300 s; not restarting"));
    }

    @Test
    void aCrashWhileTheDaemonIsDownIsReportedAndRestartedOnItsReturn() throws Exception {
        String id = lightd.id("down-crash");
        WsClient c = lightd.ws(id);
        lightd.create(id, "echo up; while [ ! -e crash ]; do sleep 0.2; done; exit 3", null,
                "{\"restart_policy\":{\"name\":\"on-failure\",\"max_retries\":2,\"window_seconds\":300}}");
        c.await(state("installed"));
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        c.await(m -> m.get("event").getAsString().equals("console") && m.get("data").getAsString().equals("up\n"));

        lightd.daemon().server().close();
        java.nio.file.Files.writeString(lightd.storage().resolve("volumes").resolve(id).resolve("crash"), "");
        Await.until("the container exited while the daemon is down", () -> !EngineApi.running(id));
        assertThat(EngineApi.state(id).get("ExitCode").getAsInt()).isEqualTo(3);
        java.nio.file.Files.delete(lightd.storage().resolve("volumes").resolve(id).resolve("crash"));
        lightd.daemon().start();

        // The restore reports the exit before any console can be open again: the record tells it.
        JsonObject record = lightd.daemon().request("GET", "/containers/" + id, null).body();
        assertThat(record.get("last_exit").isJsonObject()).as("the exit while down is recorded: %s", record).isTrue();
        JsonObject lastExit = record.getAsJsonObject("last_exit");
        assertThat(lastExit.get("code").getAsInt()).isEqualTo(3);
        assertThat(lastExit.get("out_of_memory").getAsBoolean()).isFalse();
        assertThat(record.getAsJsonArray("recent_crashes")).as("counted as a crash").hasSize(1);
        Await.until("restarted by the policy", () -> EngineApi.running(id)
                && "running".equals(lightd.daemon().request("GET", "/containers/" + id, null).body().get("state").getAsString()));
    }

    @Test
    void aChildKilledForMemoryIsANoticeNotTheServersExit() {
        String id = lightd.id("child-oom");
        WsClient c = lightd.ws(id);
        // The child asks to be the OOM killer's first choice, so the server's own shell is not the one taken.
        lightd.create(id, "(echo 1000 > /proc/self/oom_score_adj; x=$(yes | head -c 80000000); echo held ${#x}); "
                + "echo survived; exit 0", null,
                "{\"limits\":{\"memory\":16777216},\"restart_policy\":{\"name\":\"on-failure\"}}");
        c.await(state("installed"));
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        List<JsonObject> all = c.until(daemon("Server exited with code 0"));
        List<String> events = ConsoleScenarios.withoutConsole(all);
        assertThat(events).contains(
                "daemon_message:Error: a process of the server ran out of memory (limit 16 MiB) and was killed");
        assertThat(events).doesNotContain("daemon_message:Error: server ran out of memory (limit 16 MiB) and was killed");
        assertThat(events).endsWith("event:exit", "daemon_message:Container stopped",
                "daemon_message:Server exited with code 0");
        JsonObject lastExit = lightd.daemon().request("GET", "/containers/" + id, null).body().getAsJsonObject("last_exit");
        assertThat(lastExit.get("code").getAsInt()).isZero();
        assertThat(lastExit.get("out_of_memory").getAsBoolean()).isFalse();
        assertThat(lightd.daemon().request("GET", "/containers/" + id, null).body().get("restart_pending").getAsBoolean())
                .as("a clean exit is no crash for on-failure").isFalse();
    }
}
