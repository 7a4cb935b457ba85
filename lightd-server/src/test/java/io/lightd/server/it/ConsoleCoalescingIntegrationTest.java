package io.lightd.server.it;

import static io.lightd.server.it.WsClient.daemon;
import static io.lightd.server.it.WsClient.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The frame budget end to end: a real daemon (process runtime) with {@code console.coalesce_ms} at a
 * second, a real WebSocket client, and a process that writes its lines in many small writes with
 * pauses between them. The budget is large so that what is asserted (how many events carry the
 * lines) does not depend on how fast the machine runs the process.
 */
class ConsoleCoalescingIntegrationTest {

    @RegisterExtension
    static final LightdExtension lightd = LightdExtension.builder()
            .runtime(Daemon.Runtime.PROCESS)
            .configure(ConsoleCoalescingIntegrationTest::configure)
            .build();

    private static final int LINES = 300;

    private static void configure(JsonObject config) {
        JsonObject console = new JsonObject();
        console.addProperty("coalesce_ms", 1000);
        config.add("console", console);
    }

    @Test
    void fastOutputArrivesInFewerEventsThanLinesWithEveryByteInOrder() {
        String id = lightd.id("burst-1");
        WsClient c = lightd.ws(id);
        // One echo per line (one write each), a pause after every tenth: without a budget the pump
        // hands over at least one chunk per pause, so at least 30 events.
        lightd.create(id, "i=0; while [ $i -lt " + LINES + " ]; do i=$((i+1)); echo \"line $i \u00e9\u20ac\"; "
                + "[ $((i % 10)) -eq 0 ] && sleep 0.01; done; printf 'tail'", null, null);
        c.await(state("installed"));
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        List<JsonObject> all = c.until(daemon("Container stopped"));

        StringBuilder expected = new StringBuilder();
        for (int i = 1; i <= LINES; i++) {
            expected.append("line ").append(i).append(" \u00e9\u20ac\n");
        }
        expected.append("tail");
        String console = ConsoleScenarios.consoleText(all, "console");
        assertThat(console).isEqualTo(expected.toString());
        assertThat(ConsoleScenarios.consoleText(all, "console duplicate")).isEqualTo(console);
        long events = all.stream().filter(m -> m.get("event").getAsString().equals("console")).count();
        assertThat(events).as("console events carrying %d lines", LINES).isLessThanOrEqualTo(5);
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).get("event").getAsString().equals("console")) {
                assertThat(all.get(i + 1).get("event").getAsString()).isEqualTo("console duplicate");
                assertThat(all.get(i + 1).get("data")).isEqualTo(all.get(i).get("data"));
            }
        }
        assertThat(ConsoleScenarios.withoutConsole(all)).endsWith("event:exit", "daemon_message:Container stopped");

        c.send("{\"event\":\"request_logs\"}");
        assertThat(c.await(m -> m.get("event").getAsString().equals("logs")).get("data").getAsString())
                .isEqualTo(expected + "\n");
    }
}
