package io.lightd.server.it;

import static io.lightd.server.it.DockerRecoveryIntegrationTest.console;
import static io.lightd.server.it.WsClient.daemon;
import static io.lightd.server.it.WsClient.event;
import static io.lightd.server.it.WsClient.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.lightd.runtime.docker.DockerEngineExtension;
import io.lightd.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Docker engine restarts under a running daemon with consoles open. The engine of
 * {@code scripts/lib/docker-engine.sh} runs with live-restore, so containers keep running while it
 * is down. lightd keeps answering REST and WebSocket, refuses power actions as
 * {@code container runtime unavailable} (503) while the engine is down; once it is back, lightd
 * re-attaches to the container that kept running (console both ways, stats, state {@code running})
 * and reports the one whose process ended during the outage as {@code exit} with its code. Stops
 * and starts the engine through the script, so it runs only against an engine that script started;
 * otherwise it is skipped loudly.
 */
@ExtendWith(DockerEngineExtension.class)
class DockerEngineRestartIntegrationTest {

    @RegisterExtension
    static final LightdExtension lightd = LightdExtension.builder()
            .runtime(Daemon.Runtime.DOCKER)
            .build();

    /** Exits with 7 on SIGTERM. */
    static final String TRAPPING_SERVER = "trap 'echo bye; exit 7' TERM; echo up; "
            + "while true; do sleep 1 & wait $!; done";
    /** Echoes each line of stdin. */
    static final String ECHO_SERVER = "echo up; while read line; do echo \"echo: $line\"; done";

    @Test
    void consolesAndRestOutliveAnEngineRestart() throws Exception {
        String why = EngineApi.whyNotRestartable();
        if (why != null) {
            String message = "*** SKIPPED *** the Docker engine restart test cannot run: " + why;
            System.err.println("\n" + message + "\n");
            Assumptions.abort(message);
        }
        String lasting = lightd.prefix() + "lasting-1";
        String dying = lightd.prefix() + "dying-1";
        String idle = lightd.prefix() + "idle-1";
        WsClient l = lightd.ws(lasting);
        WsClient d = lightd.ws(dying);
        lightd.create(lasting, ECHO_SERVER, null, null);
        l.await(state("installed"));
        // On pipes: the engine (20.10, live-restore) gives a terminal container that ended during its
        // outage a SIGHUP at its first start afterwards (exit 129; the next start runs), as plain
        // `docker start` shows too. README, "Servers on a terminal", says so.
        lightd.create(dying, TRAPPING_SERVER, null, "{\"tty\":false}");
        d.await(state("installed"));
        lightd.create(idle, "true", null, null);
        Await.until(idle + " installed", DockerRecoveryIntegrationTest.WAIT, () -> "installed".equals(
                lightd.daemon().request("GET", "/containers/" + idle, null).body().get("install_state").getAsString()));
        l.send("{\"event\":\"power\",\"action\":\"start\"}");
        assertThat(l.await(console()).get("data").getAsString()).isEqualTo("up\n");
        d.send("{\"event\":\"power\",\"action\":\"start\"}");
        assertThat(d.await(console()).get("data").getAsString()).isEqualTo("up\n");
        sendCommand(l, "before");
        assertThat(l.await(console()).get("data").getAsString()).isEqualTo("echo: before\n");
        // stopping a stopped container: refused as "not running" while the engine answers
        assertThat(stopStatus(idle)).isEqualTo(409);
        long lastingPid = EngineApi.pid(lasting);
        long dyingPid = EngineApi.pid(dying);
        assertThat(lastingPid).isPositive();
        assertThat(dyingPid).isPositive();

        EngineApi.engine("stop");
        try {
            Await.until("power actions answer 503 while the engine is down", DockerRecoveryIntegrationTest.WAIT,
                    () -> stopStatus(idle) == 503);
            Daemon.Reply refused = lightd.daemon().request("POST", "/containers/" + idle + "/stop", null);
            assertThat(refused.body().get("error").getAsString()).isEqualTo("container runtime unavailable");
            assertThat(lightd.daemon().server().containers().runtime().available()).as("runtime_available of the ping")
                    .isFalse();
            assertThat(lightd.daemon().request("GET", "/containers/" + dying, null).status()).isEqualTo(200);
            WsClient during = lightd.ws(dying);
            assertThat(during.next().get("event").getAsString()).isEqualTo("event");
            during.send("{\"event\":\"request_logs\"}");
            assertThat(during.await(m -> m.get("event").getAsString().equals("logs")).get("data").getAsString())
                    .startsWith("up\n");
            during.send("{\"event\":\"power\",\"action\":\"restart\"}");
            during.await(daemon("Error: container runtime unavailable"));
            // live-restore keeps the processes running without the engine; one of them ends meanwhile
            assertThat(EngineApi.processExists(lastingPid)).as("the lasting container's process").isTrue();
            assertThat(EngineApi.processExists(dyingPid)).as("the dying container's process").isTrue();
            EngineApi.signal(dyingPid, "TERM");
            Await.until("the dying container's process ended", DockerRecoveryIntegrationTest.WAIT,
                    () -> !EngineApi.processExists(dyingPid));
            assertThat(EngineApi.processExists(lastingPid)).as("the lasting container's process").isTrue();
        } finally {
            EngineApi.engine("start");
        }

        // the container that died during the outage is reported as exited, with its code
        List<JsonObject> died = d.until(daemon("Container stopped"));
        assertThat(ConsoleScenarios.withoutConsole(died)).containsExactly("event:exit", "daemon_message:Container stopped");
        assertThat(WsClient.describe(d.next())).isEqualTo("daemon_message:Error: server exited with code 7");
        Await.until("power actions are accepted again once the engine is back", DockerRecoveryIntegrationTest.WAIT,
                () -> stopStatus(idle) == 409);
        assertThat(lightd.daemon().server().containers().runtime().streamReopens())
                .as("the events stream, re-opened after the restart, counts in lightd_runtime_stream_reopens_total")
                .isPositive();

        // the one that kept running is re-attached: its open console reaches the same process again
        assertThat(EngineApi.pid(lasting)).isEqualTo(lastingPid);
        List<JsonObject> reattached = untilEchoed(l);
        assertThat(ConsoleScenarios.withoutConsole(reattached)).doesNotContain("event:exit", "event:stopping",
                "daemon_message:Container stopped");
        WsClient fresh = lightd.ws(lasting);
        assertThat(WsClient.describe(fresh.next())).isEqualTo("event:running");
        sendCommand(fresh, "after");
        fresh.await(event("console", "echo: after\n"));
        l.await(event("console", "echo: after\n"));
        l.await(m -> m.get("event").getAsString().equals("stats"));
        assertThat(lightd.daemon().request("GET", "/containers/" + lasting, null).body().get("state").getAsString())
                .isEqualTo("running");
        l.send("{\"event\":\"power\",\"action\":\"kill\"}");
        assertThat(ConsoleScenarios.withoutConsole(l.until(daemon("Container stopped"))))
                .containsExactly("event:stopping", "event:exit", "daemon_message:Container stopped");

        // the one that died starts again as usual
        d.send("{\"event\":\"power\",\"action\":\"start\"}");
        List<JsonObject> again = d.until(console());
        assertThat(ConsoleScenarios.withoutConsole(again)).containsExactly("event:starting",
                "daemon_message:Container started", "event:running");
        assertThat(again.get(again.size() - 1).get("data").getAsString()).isEqualTo("up\n");
        d.await(m -> m.get("event").getAsString().equals("stats"));
        d.send("{\"event\":\"power\",\"action\":\"kill\"}");
        assertThat(ConsoleScenarios.withoutConsole(d.until(daemon("Container stopped"))))
                .containsExactly("event:stopping", "event:exit", "daemon_message:Container stopped");
    }

    /**
     * Sends numbered commands until one comes back echoed (the re-attach may still be under way
     * when the first ones are sent); every message seen on the way.
     */
    private static List<JsonObject> untilEchoed(WsClient c) throws InterruptedException {
        List<JsonObject> seen = new ArrayList<>();
        long deadline = System.nanoTime() + DockerRecoveryIntegrationTest.WAIT.toNanos();
        for (int n = 1; System.nanoTime() < deadline; n++) {
            sendCommand(c, "ping " + n);
            long wait = System.nanoTime() + Duration.ofMillis(500).toNanos();
            JsonObject m;
            while ((m = c.poll(Duration.ofNanos(Math.max(1, wait - System.nanoTime())))) != null) {
                seen.add(m);
                if (console().test(m) && m.get("data").getAsString().startsWith("echo: ping ")) {
                    return seen;
                }
            }
        }
        throw new AssertionError("no command echoed within " + DockerRecoveryIntegrationTest.WAIT + "; saw "
                + seen.stream().map(WsClient::describe).toList());
    }

    private static void sendCommand(WsClient c, String line) {
        c.send("{\"event\":\"send_command\",\"command\":\"" + line + "\\n\"}");
    }

    private int stopStatus(String id) {
        return lightd.daemon().request("POST", "/containers/" + id + "/stop", null).status();
    }
}
