package io.lightd.server.it;

import static io.lightd.server.it.DockerRecoveryIntegrationTest.awaitTrue;
import static io.lightd.server.it.DockerRecoveryIntegrationTest.console;
import static io.lightd.server.it.WsClient.daemon;
import static io.lightd.server.it.WsClient.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.lightd.runtime.docker.DockerEngineExtension;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Docker engine restarts under a running daemon with a console open: lightd keeps answering
 * REST and WebSocket, refuses power actions as {@code container runtime unavailable} (503) while
 * the engine is down, reports the container that died with the engine as {@code exit} with its
 * code, and works normally once the engine is back. Stops and starts the engine through
 * {@code scripts/lib/docker-engine.sh}, so it runs only against an engine that script started;
 * otherwise it is skipped loudly.
 */
@ExtendWith(DockerEngineExtension.class)
class DockerEngineRestartIntegrationTest {

    /** Exits with 7 on SIGTERM, which is how the engine stops it when it shuts down. */
    static final String TRAPPING_SERVER = "trap 'echo bye; exit 7' TERM; echo up; "
            + "while true; do sleep 1 & wait $!; done";

    @TempDir
    Path storage;
    private Daemon daemon;
    private final List<WsClient> clients = new ArrayList<>();
    private final String prefix = "e" + UUID.randomUUID().toString().substring(0, 6) + "-";

    @BeforeEach
    void start() throws Exception {
        daemon = new Daemon(storage, new JsonObject(), Daemon.Runtime.DOCKER);
    }

    @AfterEach
    void stop() throws Exception {
        clients.forEach(WsClient::close);
        daemon.close();
        EngineApi.removeAll(prefix);
    }

    @Test
    void consolesAndRestOutliveAnEngineRestart() throws Exception {
        String why = EngineApi.whyNotRestartable();
        if (why != null) {
            String message = "*** SKIPPED *** the Docker engine restart test cannot run: " + why;
            System.err.println("\n" + message + "\n");
            Assumptions.abort(message);
        }
        String id = prefix + "engine-1";
        String idle = prefix + "idle-1";
        WsClient c = ws(id);
        create(id, TRAPPING_SERVER);
        c.await(state("installed"));
        create(idle, "true");
        awaitTrue(() -> "installed".equals(daemon.request("GET", "/containers/" + idle, null).body()
                .get("install_state").getAsString()), idle + " installed");
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        assertThat(c.await(console()).get("data").getAsString()).isEqualTo("up\n");
        // stopping a stopped container: refused as "not running" while the engine answers
        assertThat(stopStatus(idle)).isEqualTo(409);

        EngineApi.engine("stop");
        try {
            awaitTrue(() -> stopStatus(idle) == 503, "power actions answer 503 while the engine is down");
            Daemon.Reply refused = daemon.request("POST", "/containers/" + idle + "/stop", null);
            assertThat(refused.body().get("error").getAsString()).isEqualTo("container runtime unavailable");
            assertThat(daemon.request("GET", "/containers/" + id, null).status()).isEqualTo(200);
            WsClient during = ws(id);
            assertThat(during.next().get("event").getAsString()).isEqualTo("event");
            during.send("{\"event\":\"request_logs\"}");
            assertThat(during.await(m -> m.get("event").getAsString().equals("logs")).get("data").getAsString())
                    .startsWith("up\n");
            during.send("{\"event\":\"power\",\"action\":\"restart\"}");
            during.await(daemon("Error: container runtime unavailable"));
        } finally {
            EngineApi.engine("start");
        }

        // without live-restore the engine stopped the container: the open console hears its exit
        List<JsonObject> died = c.until(daemon("Container stopped"));
        assertThat(ConsoleScenarios.withoutConsole(died)).containsExactly("event:exit", "daemon_message:Container stopped");
        assertThat(WsClient.describe(c.next())).isEqualTo("daemon_message:Error: server exited with code 7");

        awaitTrue(() -> stopStatus(idle) == 409, "power actions are accepted again once the engine is back");
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        List<JsonObject> again = c.until(console());
        assertThat(ConsoleScenarios.withoutConsole(again)).containsExactly("event:starting",
                "daemon_message:Container started", "event:running");
        assertThat(again.get(again.size() - 1).get("data").getAsString()).isEqualTo("up\n");
        c.await(m -> m.get("event").getAsString().equals("stats"));
        c.send("{\"event\":\"power\",\"action\":\"kill\"}");
        assertThat(ConsoleScenarios.withoutConsole(c.until(daemon("Container stopped"))))
                .containsExactly("event:stopping", "event:exit", "daemon_message:Container stopped");
    }

    private int stopStatus(String id) {
        return daemon.request("POST", "/containers/" + id + "/stop", null).status();
    }

    private WsClient ws(String id) {
        WsClient c = daemon.ws(id);
        clients.add(c);
        return c;
    }

    private void create(String id, String startup) {
        JsonObject body = new JsonObject();
        body.addProperty("internal_id", id);
        body.addProperty("image", DockerEngineExtension.TEST_IMAGE);
        body.addProperty("startup_command", startup);
        Daemon.Reply r = daemon.request("POST", "/containers", body.toString());
        assertThat(r.status()).as(r.body().toString()).isEqualTo(202);
    }
}
