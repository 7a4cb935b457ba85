package io.lightd.server.it;

import static io.lightd.server.it.WsClient.daemon;
import static io.lightd.server.it.WsClient.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.lightd.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The lifecycle scenarios of {@link LifecycleScenarios} with the process runtime: signals go to the
 * server's process group, and the memory limit is enforced from the stats samples. Plus what only
 * this runtime has to handle: a descendant that left the group in a session of its own.
 */
class ProcessLifecycleIntegrationTest extends LifecycleScenarios {

    ProcessLifecycleIntegrationTest() {
        super(LightdExtension.builder()
                .runtime(Daemon.Runtime.PROCESS));
    }

    @Test
    void aDescendantInItsOwnSessionNeitherBlocksTheStopNorTheNextStart() throws Exception {
        String id = lightd.id("own-session");
        WsClient c = lightd.ws(id);
        lightd.create(id, "setsid sh -c 'echo $$ > orphan.pid; while :; do sleep 1; done' & "
                + "while [ ! -s orphan.pid ]; do sleep 0.1; done; echo up; while :; do sleep 1 & wait $!; done",
                null, null);
        c.await(state("installed"));
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        c.await(m -> m.get("event").getAsString().equals("console") && m.get("data").getAsString().equals("up\n"));
        Path pidFile = lightd.storage().resolve("volumes").resolve(id).resolve("orphan.pid");
        long orphan = Long.parseLong(Files.readString(pidFile).trim());
        assertThat(Files.exists(Path.of("/proc", Long.toString(orphan)))).isTrue();

        c.send("{\"event\":\"power\",\"action\":\"stop\"}");
        List<JsonObject> stop = c.until(daemon("Container stopped"));
        assertThat(ConsoleScenarios.withoutConsole(stop)).containsExactly("event:stopping", "event:exit",
                "daemon_message:Container stopped");
        JsonObject lastExit = lightd.daemon().request("GET", "/containers/" + id, null).body().getAsJsonObject("last_exit");
        assertThat(lastExit.get("code").getAsInt()).as("the shell's own exit, by the stop signal").isEqualTo(143);
        Await.until("the descendant outside the group is killed", () -> gone(orphan));

        Files.delete(pidFile);
        assertThat(lightd.daemon().request("POST", "/containers/" + id + "/start", null).status()).isEqualTo(202);
        c.await(m -> m.get("event").getAsString().equals("console") && m.get("data").getAsString().equals("up\n"));
    }

    /** No such process, or only its zombie until whoever adopted it reaps it. */
    private static boolean gone(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return true;
        }
    }
}
