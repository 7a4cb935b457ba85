package io.lightd.server.it;

import static io.lightd.server.it.WsClient.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.lightd.runtime.docker.DockerEngineExtension;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link TerminalScenarios} on a real Docker engine with the busybox test image (the terminal's modes
 * are set from the host, so the image's own {@code stty} plays no part), with the sed pipeline.
 */
@ExtendWith(DockerEngineExtension.class)
class DockerTerminalIntegrationTest extends TerminalScenarios {

    DockerTerminalIntegrationTest() {
        super(LightdExtension.builder()
                .runtime(Daemon.Runtime.DOCKER));
    }

    @Override
    String bufferingProgram() {
        return "(echo a; sleep 1; echo b; sleep 1; echo c; sleep 1; echo d; sleep 1) | busybox sed 's/^/x /'";
    }

    @Override
    List<String> bufferingProgramLines() {
        return List.of("x a\n", "x b\n", "x c\n", "x d\n");
    }

    @Test
    void aServerRunningOnATerminalIsReattachedAfterADaemonRestart() throws Exception {
        String id = lightd.id("reattach-1");
        WsClient c = lightd.ws(id);
        lightd.create(id, "echo ready; while read l; do echo \"got: $l\"; done", "ready", null);
        c.await(state("installed"));
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        c.await(state("running"));
        lightd.daemon().close();
        lightd.daemon().start();

        WsClient again = lightd.ws(id);
        again.await(state("running"));
        again.send("{\"event\":\"send_command\",\"command\":\"again\\r\\n\"}");
        JsonObject console = again.await(m -> m.get("event").getAsString().equals("console"));
        assertThat(console.get("data").getAsString()).as("raw stream, no echo, \\r kept as sent")
                .isEqualTo("got: again\r\n");
        again.send("{\"event\":\"power\",\"action\":\"kill\"}");
        again.await(WsClient.daemon("Container stopped"));
    }

    @Test
    void aContainerStartedThroughTheEngineWhileTheDaemonWasDownGetsItsGateOpened() throws Exception {
        String id = lightd.id("gate-1");
        WsClient c = lightd.ws(id);
        lightd.create(id, "echo hello-from-server; while read l; do echo \"got: $l\"; done", null, null);
        c.await(state("installed"));
        lightd.daemon().close();
        EngineApi.Answer started = EngineApi.request("POST", "/containers/" + EngineApi.containerName(id) + "/start");
        assertThat(started.status()).as(started.body()).isEqualTo(204);
        lightd.daemon().start();

        WsClient again = lightd.ws(id);
        again.await(state("running"));
        again.send("{\"event\":\"send_command\",\"command\":\"x\\n\"}");
        again.await(m -> m.get("event").getAsString().equals("console")
                && m.get("data").getAsString().contains("got: x"));
        again.send("{\"event\":\"request_logs\"}");
        assertThat(again.await(m -> m.get("event").getAsString().equals("logs")).get("data").getAsString())
                .as("the gate took no command; raw, no echo").isEqualTo("hello-from-server\ngot: x\n");
        again.send("{\"event\":\"power\",\"action\":\"kill\"}");
        again.await(WsClient.daemon("Container stopped"));
    }

    @Test
    void historyAfterADaemonRestartIsTheTerminalsOutputExactly() throws Exception {
        // a first line shorter than a multiplexed frame header: the raw log must be read as it is
        String id = lightd.id("history-1");
        WsClient c = lightd.ws(id);
        lightd.create(id, "printf 'ab\\ncdefghij\\r\\nk\\n'", null, null);
        c.await(state("installed"));
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        c.await(WsClient.daemon("Container stopped"));
        lightd.daemon().close();
        lightd.daemon().start();

        WsClient again = lightd.ws(id);
        again.send("{\"event\":\"request_logs\"}");
        assertThat(again.await(m -> m.get("event").getAsString().equals("logs")).get("data").getAsString())
                .isEqualTo("ab\ncdefghij\r\nk\n");
    }
}
