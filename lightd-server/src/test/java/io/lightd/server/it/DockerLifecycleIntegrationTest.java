package io.lightd.server.it;

import static io.lightd.server.it.WsClient.daemon;
import static io.lightd.server.it.WsClient.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.lightd.runtime.docker.DockerEngineExtension;
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

    @Override
    Daemon.Runtime runtime() {
        return Daemon.Runtime.DOCKER;
    }

    @Test
    void theCrashCountSurvivesADaemonRestartMidWay() throws Exception {
        String id = id("survive-1");
        WsClient c = ws(id);
        create(id, "echo up; read x; exit 3", null,
                "{\"restart_policy\":{\"name\":\"on-failure\",\"max_retries\":2,\"window_seconds\":300}}");
        c.await(state("installed"));
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        c.await(m -> m.get("event").getAsString().equals("console") && m.get("data").getAsString().equals("up\n"));
        c.send("{\"event\":\"send_command\",\"command\":\"crash\\n\"}");
        c.await(daemon("Restarting after crash (attempt 1 of 2)"));
        c.await(m -> m.get("event").getAsString().equals("console") && m.get("data").getAsString().equals("up\n"));

        daemon.restart();

        WsClient again = daemon.ws(id);
        clients.add(again);
        assertThat(WsClient.describe(again.next())).as("re-attached across the restart").isEqualTo("event:running");
        again.send("{\"event\":\"send_command\",\"command\":\"crash\\n\"}");
        List<JsonObject> second = again.until(daemon("Restarting after crash (attempt 2 of 2)"));
        assertThat(ConsoleScenarios.withoutConsole(second)).endsWith("daemon_message:Error: server exited with code 3",
                "daemon_message:Restarting after crash (attempt 2 of 2)");
        again.await(m -> m.get("event").getAsString().equals("console") && m.get("data").getAsString().equals("up\n"));
        again.send("{\"event\":\"send_command\",\"command\":\"crash\\n\"}");
        again.await(daemon("Error: server crashed 3 times in 300 s; not restarting"));
    }
}
