package io.lightd.server.it;

import static io.lightd.server.it.WsClient.daemon;
import static io.lightd.server.it.WsClient.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.lightd.runtime.docker.DockerEngineExtension;
import io.lightd.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What goes wrong around a Docker container, end to end with a real daemon and engine: the daemon
 * restarts under a running container, the container is removed behind lightd's back, the image
 * does not exist. Skipped loudly without an engine.
 */
@ExtendWith(DockerEngineExtension.class)
class DockerRecoveryIntegrationTest {

    @RegisterExtension
    static final LightdExtension lightd = LightdExtension.builder()
            .runtime(Daemon.Runtime.DOCKER)
            .build();

    static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aRunningContainerOutlivesTheDaemonAndIsReattachedWithItsHistory() throws Exception {
        String id = lightd.prefix() + "alive-1";
        WsClient c = lightd.ws(id);
        lightd.create(id, ConsoleScenarios.ECHO_SERVER, "Done \\(", null);
        c.await(state("installed"));
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        c.await(daemon("Server started"));
        c.send("{\"event\":\"send_command\",\"command\":\"before\\n\"}");
        assertThat(c.await(console()).get("data").getAsString()).isEqualTo("echo: before\n");

        lightd.daemon().close();
        c.awaitClose();
        assertThat(EngineApi.running(id)).as("the container keeps running without lightd").isTrue();

        lightd.daemon().start();
        Await.until(id + " is marked running after the restart", WAIT, () -> "running".equals(stateOf(id)));
        WsClient again = lightd.ws(id);
        assertThat(WsClient.describe(again.next())).isEqualTo("event:running");
        again.send("{\"event\":\"request_logs\"}");
        assertThat(again.await(m -> m.get("event").getAsString().equals("logs")).get("data").getAsString())
                .as("history seeded from the engine's log").isEqualTo("Booting\nDone (0.1s)!\necho: before\n");
        again.send("{\"event\":\"send_command\",\"command\":\"after\\n\"}");
        assertThat(again.await(console()).get("data").getAsString()).isEqualTo("echo: after\n");
        assertThat(again.await(m -> m.get("event").getAsString().equals("stats")).get("memory_usage").getAsLong())
                .isPositive();
        again.send("{\"event\":\"request_logs\"}");
        assertThat(again.await(m -> m.get("event").getAsString().equals("logs")).get("data").getAsString())
                .isEqualTo("Booting\nDone (0.1s)!\necho: before\necho: after\n");

        again.send("{\"event\":\"send_command\",\"command\":\"stop\\n\"}");
        List<JsonObject> end = again.until(daemon("Container stopped"));
        assertThat(ConsoleScenarios.withoutConsole(end)).endsWith("event:exit", "daemon_message:Container stopped");
        assertThat(again.next().get("data").getAsString()).isEqualTo("Server exited with code 0");
    }

    @Test
    void aContainerRemovedBehindLightdsBackIsReportedAndLaterActionsFailClearly() throws Exception {
        String id = lightd.prefix() + "gone-1";
        WsClient c = lightd.ws(id);
        lightd.create(id, "echo up; while true; do sleep 1; done", null, null);
        c.await(state("installed"));
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        assertThat(c.await(console()).get("data").getAsString()).isEqualTo("up\n");

        assertThat(EngineApi.removeForced(id)).isTrue();
        List<JsonObject> gone = c.until(daemon("Container stopped"));
        assertThat(ConsoleScenarios.withoutConsole(gone)).endsWith("event:exit", "daemon_message:Container stopped");
        assertThat(WsClient.describe(c.next())).startsWith("daemon_message:Error: server exited with code ");
        assertThat(stateOf(id)).isEqualTo("exit");

        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        List<JsonObject> refused = c.until(m -> m.get("event").getAsString().equals("daemon_message"));
        assertThat(WsClient.describe(refused.get(refused.size() - 1)))
                .isEqualTo("daemon_message:Error: start failed: the runtime has no such container");
        c.await(state("exit"));
        assertThat(lightd.daemon().request("POST", "/containers/" + id + "/kill", null).status()).isEqualTo(409);
        assertThat(lightd.daemon().request("GET", "/api/v1/public/ping", null, null).status()).isEqualTo(200);

        // a reinstall makes a new engine container, and it runs
        assertThat(lightd.daemon().request("POST", "/containers/" + id + "/reinstall", null).status()).isEqualTo(202);
        c.await(state("installed"));
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        assertThat(c.await(console()).get("data").getAsString()).isEqualTo("up\n");
        assertThat(EngineApi.running(id)).isTrue();
    }

    @Test
    void aMissingImageFailsTheInstallWithAClearError() {
        String id = lightd.prefix() + "noimage-1";
        String image = "lightd-missing-" + lightd.prefix() + "image:nope";
        WsClient c = lightd.ws(id);
        lightd.create(id, image, "true", null, null);
        List<JsonObject> install = c.until(state("exit"));
        List<String> messages = ConsoleScenarios.withoutConsole(install);
        assertThat(messages).first().isEqualTo("event:installing");
        assertThat(messages).contains("daemon_message:Pulling image " + image);
        assertThat(messages.get(messages.size() - 2))
                .startsWith("daemon_message:Error: install failed: image " + image + " not found and could not be pulled: ");
        assertThat(messages).last().isEqualTo("event:exit");
        JsonObject record = lightd.daemon().request("GET", "/containers/" + id, null).body();
        assertThat(record.get("install_state").getAsString()).isEqualTo("failed");

        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        assertThat(WsClient.describe(c.next())).isEqualTo("daemon_message:Error: install failed; reinstall the server first");
    }

    // ---- helpers -----------------------------------------------------------------------------

    private String stateOf(String id) {
        Daemon.Reply r = lightd.daemon().request("GET", "/containers/" + id, null);
        return r.status() == 200 ? r.body().get("state").getAsString() : null;
    }

    static Predicate<JsonObject> console() {
        return m -> m.get("event").getAsString().equals("console");
    }
}
