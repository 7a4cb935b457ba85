package io.lightd.server.it;

import static io.lightd.server.it.WsClient.daemon;
import static io.lightd.server.it.WsClient.event;
import static io.lightd.server.it.WsClient.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.lightd.testing.Await;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The protocol end to end, the same for every runtime: a real daemon on a real port, driven by a
 * real WebSocket client and real HTTP requests. A subclass names the runtime (and the create
 * body's {@code tty}) in the {@link LightdExtension.Builder} it passes up; the extension starts a
 * fresh daemon for each test and removes what its runtime left behind.
 */
abstract class ConsoleScenarios {

    /** The daemon of each test: the subclass names the runtime (and tty), these scenarios add their limits. */
    @RegisterExtension
    final LightdExtension lightd;

    ConsoleScenarios(LightdExtension.Builder lightd) {
        this.lightd = lightd.limit("inbound_rate_per_second", 1000).limit("inbound_burst", 1000).build();
    }

    /** Prints a banner, waits for lines on stdin and echoes them; "stop" ends it with code 0. */
    static final String ECHO_SERVER = "echo Booting; echo 'Done (0.1s)!'; "
            + "while read line; do echo \"echo: $line\"; [ \"$line\" = stop ] && exit 0; done";

    static List<String> describe(List<JsonObject> messages) {
        return messages.stream().map(WsClient::describe).collect(Collectors.toList());
    }

    static List<String> withoutConsole(List<JsonObject> messages) {
        return messages.stream().filter(m -> !m.get("event").getAsString().startsWith("console")
                && !m.get("event").getAsString().equals("stats")).map(WsClient::describe).collect(Collectors.toList());
    }

    static String consoleText(List<JsonObject> messages, String event) {
        return messages.stream().filter(m -> m.get("event").getAsString().equals(event))
                .map(m -> m.get("data").getAsString()).collect(Collectors.joining());
    }

    @Test
    void fullLifecycleOverOneConnection() {
        String id = lightd.id("life-1");
        WsClient c = lightd.ws(id);
        lightd.create(id, ECHO_SERVER, "Done \\(", "{\"install_script\":\"echo fetching...; echo ok > installed.txt\"}");
        List<JsonObject> install = c.until(state("installed"));
        assertThat(withoutConsole(install)).containsExactly("event:installing", "event:installed");
        assertThat(consoleText(install, "console")).isEqualTo("fetching...\n");
        assertThat(Files.exists(lightd.storage().resolve("volumes/" + id + "/installed.txt"))).isTrue();

        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        List<JsonObject> start = c.until(daemon("Server started"));
        assertThat(withoutConsole(start)).containsExactly("event:starting", "daemon_message:Container started",
                "event:running", "daemon_message:Server started");
        assertThat(consoleText(start, "console")).isEqualTo("Booting\nDone (0.1s)!\n");
        assertThat(consoleText(start, "console duplicate")).isEqualTo("Booting\nDone (0.1s)!\n");

        c.send("{\"event\":\"send_command\",\"command\":\"h\u00e9llo w\u20acrld\\n\"}");
        assertThat(c.await(m -> m.get("event").getAsString().equals("console")).get("data").getAsString())
                .isEqualTo("echo: h\u00e9llo w\u20acrld\n");
        assertThat(c.next().get("event").getAsString()).isEqualTo("console duplicate");

        c.send("{\"event\":\"request_logs\"}");
        JsonObject logs = c.await(m -> m.get("event").getAsString().equals("logs"));
        assertThat(logs.get("data").getAsString()).isEqualTo("fetching...\nBooting\nDone (0.1s)!\necho: h\u00e9llo w\u20acrld\n");
        c.send("{\"event\":\"request_logs\",\"lines\":1}");
        assertThat(c.await(m -> m.get("event").getAsString().equals("logs")).get("data").getAsString())
                .isEqualTo("echo: h\u00e9llo w\u20acrld\n");

        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        assertThat(c.await(m -> m.get("event").getAsString().equals("daemon_message")).get("data").getAsString())
                .isEqualTo("Error: already running");

        c.send("{\"event\":\"power\",\"action\":\"restart\"}");
        List<JsonObject> restart = c.until(daemon("Container restarted"));
        assertThat(withoutConsole(restart)).containsExactly("event:stopping", "event:exit",
                "daemon_message:Container stopped", "event:starting", "daemon_message:Container started",
                "daemon_message:Container restarted");
        c.await(daemon("Server started"));

        c.send("{\"event\":\"power\",\"action\":\"stop\"}");
        List<JsonObject> stop = c.until(daemon("Container stopped"));
        assertThat(withoutConsole(stop)).containsExactly("event:stopping", "event:exit", "daemon_message:Container stopped");

        c.send("{\"event\":\"power\",\"action\":\"stop\"}");
        assertThat(c.await(m -> m.get("event").getAsString().equals("daemon_message")).get("data").getAsString())
                .isEqualTo("Error: not running");

        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        c.await(daemon("Server started"));
        c.send("{\"event\":\"power\",\"action\":\"kill\"}");
        List<JsonObject> kill = c.until(daemon("Container stopped"));
        assertThat(withoutConsole(kill)).containsExactly("event:stopping", "event:exit", "daemon_message:Container stopped");
    }

    @Test
    void consoleBytesAreExactWithSplitCharactersBlankLinesAndCarriageReturns() {
        String id = lightd.id("bytes-1");
        WsClient c = lightd.ws(id);
        lightd.create(id, "printf 'first\\n\\n\\r\\nsplit: a\\342\\202'; sleep 0.3; printf '\\254b\\n'; "
                + "printf 'prompt> '; sleep 0.3; printf 'tail\\n'", null, null);
        c.await(state("installed"));
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        List<JsonObject> all = c.until(daemon("Container stopped"));
        String console = consoleText(all, "console");
        assertThat(console).isEqualTo("first\n\n\r\nsplit: a\u20acb\nprompt> tail\n");
        assertThat(consoleText(all, "console duplicate")).isEqualTo(console);
        List<String> chunks = all.stream().filter(m -> m.get("event").getAsString().equals("console"))
                .map(m -> m.get("data").getAsString()).toList();
        assertThat(chunks).as("the partial prompt goes out before its line ends").contains("prompt> ");
        assertThat(chunks).noneMatch(s -> s.contains("\uFFFD"));
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).get("event").getAsString().equals("console")) {
                assertThat(all.get(i + 1).get("event").getAsString()).isEqualTo("console duplicate");
                assertThat(all.get(i + 1).get("data")).isEqualTo(all.get(i).get("data"));
            }
        }
        assertThat(withoutConsole(all)).endsWith("event:exit", "daemon_message:Container stopped");
    }

    @Test
    void aProcessThatEndsByItselfReportsItsExitCode() {
        String id = lightd.id("exit-1");
        WsClient c = lightd.ws(id);
        lightd.create(id, "echo bye; exit 3", null, null);
        c.await(state("installed"));
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        List<JsonObject> all = c.until(daemon("Error: server exited with code 3"));
        assertThat(withoutConsole(all)).endsWith("event:exit", "daemon_message:Container stopped",
                "daemon_message:Error: server exited with code 3");
    }

    @Test
    void statsCarrySevenNumbersWithTheConfiguredLimitAndOnlyChanges() throws Exception {
        String id = lightd.id("stats-1");
        WsClient c = lightd.ws(id);
        lightd.create(id, "sleep 30", null, "{\"limits\":{\"memory\":268435456}}");
        c.await(state("installed"));
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        JsonObject stats = c.await(m -> m.get("event").getAsString().equals("stats"));
        assertThat(stats.keySet()).containsExactlyInAnyOrder("event", "cpu_usage", "memory_usage", "memory_limit",
                "network_rx", "network_tx", "block_read", "block_write");
        assertThat(stats.get("memory_limit").getAsLong()).isEqualTo(268435456L);
        assertThat(stats.get("memory_usage").getAsLong()).isPositive();
        List<JsonObject> more = new ArrayList<>();
        more.add(stats);
        long until = System.nanoTime() + Duration.ofSeconds(4).toNanos();
        while (System.nanoTime() < until) {
            JsonObject m = c.poll(Duration.ofMillis(500));
            if (m != null && m.get("event").getAsString().equals("stats")) {
                more.add(m);
            }
        }
        for (int i = 1; i < more.size(); i++) {
            JsonObject a = more.get(i - 1).deepCopy();
            JsonObject b = more.get(i).deepCopy();
            assertThat(b).as("consecutive stats frames differ").isNotEqualTo(a);
        }
        WsClient late = lightd.ws(id);
        assertThat(WsClient.describe(late.next())).isEqualTo("event:running");
        assertThat(late.next().get("event").getAsString()).isEqualTo("stats");
    }

    @Test
    void twoClientsEachReceiveTheWholeStream() {
        String id = lightd.id("two-1");
        WsClient a = lightd.ws(id);
        WsClient b = lightd.ws(id);
        lightd.create(id, "for i in 1 2 3 4 5; do echo line $i; done", null, null);
        a.await(state("installed"));
        b.await(state("installed"));
        a.send("{\"event\":\"power\",\"action\":\"start\"}");
        List<JsonObject> fromA = a.until(daemon("Container stopped"));
        List<JsonObject> fromB = b.until(daemon("Container stopped"));
        assertThat(describe(fromB)).isEqualTo(describe(fromA));
        assertThat(consoleText(fromA, "console")).isEqualTo("line 1\nline 2\nline 3\nline 4\nline 5\n");
    }

    @Test
    void everyBadFrameGetsOneErrorAndTheConnectionStaysUsable() {
        String id = lightd.id("bad-1");
        WsClient c = lightd.ws(id);
        lightd.create(id, "cat", null, null);
        c.await(state("installed"));
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("not json", "Error: invalid JSON");
        cases.put("[1]", "Error: expected a JSON object");
        cases.put("{}", "Error: missing \"event\"");
        cases.put("{\"event\":\"explode\"}", "Error: unknown event \"explode\"");
        cases.put("{\"event\":\"send_command\"}", "Error: missing \"command\"");
        cases.put("{\"event\":\"send_command\",\"command\":1}", "Error: \"command\" must be a string");
        cases.put("{\"event\":\"power\",\"action\":\"explode\"}", "Error: unknown power action \"explode\"");
        cases.put("{\"event\":\"request_logs\",\"lines\":\"x\"}", "Error: \"lines\" must be a positive integer");
        for (Map.Entry<String, String> e : cases.entrySet()) {
            c.send(e.getKey());
            assertThat(WsClient.describe(c.next())).as(e.getKey()).isEqualTo("daemon_message:" + e.getValue());
        }
        c.sendBinary(new byte[] {1, 2, 3});
        assertThat(c.next().get("data").getAsString()).startsWith("Error: binary frames");
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        c.await(daemon("Container started"));
        c.send("{\"event\":\"send_command\",\"command\":\"still here\\n\"}");
        assertThat(c.await(m -> m.get("event").getAsString().equals("console")).get("data").getAsString())
                .isEqualTo("still here\n");
    }

    @Test
    void restRoutesAndTheirErrors() throws Exception {
        String id = lightd.id("rest-1");
        assertThat(lightd.daemon().request("GET", "/api/v1/public/ping", null, null).body().get("status").getAsString())
                .isEqualTo("ok");
        assertThat(lightd.daemon().request("GET", "/containers", null, null).status()).isEqualTo(401);
        assertThat(lightd.daemon().request("GET", "/containers", null, "lightd_nope-nope-nope-nope").status()).isEqualTo(401);
        assertThat(lightd.daemon().request("POST", "/containers", "{\"image\":\"x\"}").body().get("error").getAsString())
                .isEqualTo("internal_id is required");
        assertThat(lightd.daemon().request("POST", "/containers", "{oops").status()).isEqualTo(400);
        assertThat(lightd.daemon().request("POST", "/containers",
                "{\"internal_id\":\"../etc\",\"image\":\"x\",\"startup_command\":\"true\"}").status()).isEqualTo(400);
        assertThat(lightd.daemon().request("POST", "/containers",
                "{\"internal_id\":\"r-1\",\"image\":\"x\",\"startup_command\":\"true\",\"start_pattern\":\"(\"}")
                .status()).isEqualTo(400);
        lightd.create(id, "cat", null, "{\"env\":{\"GREETING\":\"hi\"},\"stop_command\":\"stop\\n\"}");
        assertThat(lightd.daemon().request("POST", "/containers",
                "{\"internal_id\":\"" + id + "\",\"image\":\"x\",\"startup_command\":\"true\"}").status()).isEqualTo(409);
        awaitInstalled(id);
        Daemon.Reply list = lightd.daemon().request("GET", "/containers", null);
        assertThat(list.body().getAsJsonArray("containers").get(0).getAsJsonObject().get("internal_id").getAsString())
                .isEqualTo(id);
        Daemon.Reply one = lightd.daemon().request("GET", "/containers/" + id, null);
        assertThat(one.body().get("install_state").getAsString()).isEqualTo("installed");
        assertThat(one.body().getAsJsonObject("env").get("GREETING").getAsString()).isEqualTo("hi");
        assertThat(one.body().has("created_at")).isTrue();
        assertThat(lightd.daemon().request("GET", "/containers/nope-1", null).status()).isEqualTo(404);
        assertThat(lightd.daemon().request("POST", "/containers/nope-1/start", null).status()).isEqualTo(404);
        assertThat(lightd.daemon().request("POST", "/containers/" + id + "/explode", null).status()).isEqualTo(404);
        assertThat(lightd.daemon().request("POST", "/containers/" + id + "/stop", null).status()).isEqualTo(409);
        assertThat(lightd.daemon().request("POST", "/containers/" + id + "/command", "{\"command\":\"x\\n\"}").status())
                .isEqualTo(409);
        assertThat(lightd.daemon().request("POST", "/containers/" + id + "/command", "{\"command\":5}").status()).isEqualTo(400);

        WsClient c = lightd.ws(id);
        c.await(state("installed"));
        assertThat(lightd.daemon().request("POST", "/containers/" + id + "/start", null).status()).isEqualTo(202);
        c.await(state("running"));
        assertThat(lightd.daemon().request("POST", "/containers/" + id + "/start", null).status()).isEqualTo(409);
        assertThat(lightd.daemon().request("POST", "/containers/" + id + "/command", "{\"command\":\"from rest\\n\"}").status())
                .isEqualTo(202);
        assertThat(c.await(m -> m.get("event").getAsString().equals("console")).get("data").getAsString())
                .isEqualTo("from rest\n");
        assertThat(lightd.daemon().request("POST", "/containers/" + id + "/kill", null).status()).isEqualTo(202);
        c.await(daemon("Container stopped"));
        assertThat(lightd.daemon().request("POST", "/containers/" + id + "/reinstall",
                "{\"install_script\":\"echo again\"}").status())
                .isEqualTo(202);
        c.await(state("installing"));
        c.await(state("installed"));
        assertThat(lightd.daemon().request("DELETE", "/containers/" + id + "?purge=true", null).status()).isEqualTo(200);
        assertThat(lightd.daemon().request("GET", "/containers/" + id, null).status()).isEqualTo(404);
        assertThat(Files.exists(lightd.storage().resolve("volumes/" + id))).isFalse();
        assertThat(lightd.daemon().request("DELETE", "/containers/" + id, null).status()).isEqualTo(404);
        assertThat(lightd.daemon().request("POST", "/auth/tokens", "{\"ttl\":\"forever\"}").status()).isEqualTo(400);
        assertThat(lightd.daemon().request("GET", "/auth/tokens", null).status()).isEqualTo(405);
        assertThat(lightd.daemon().request("GET", "/nowhere", null).status()).isEqualTo(404);
    }

    @Test
    void restartingTheDaemonKeepsContainersTokensAndHistory() throws Exception {
        String id = lightd.id("keep-1");
        lightd.create(id, "echo remembered", null, null);
        awaitInstalled(id);
        WsClient c = lightd.ws(id);
        c.await(state("installed"));
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        c.await(daemon("Container stopped"));
        String token = lightd.daemon().request("POST", "/auth/tokens", "{\"ttl\":\"1h\"}").body().get("token").getAsString();
        String registry = Files.readString(lightd.storage().resolve("registry/tokens.json"), StandardCharsets.UTF_8);
        assertThat(registry).doesNotContain(token).doesNotContain(token.substring(7));

        lightd.daemon().restart();

        assertThat(lightd.daemon().request("GET", "/containers/" + id, null, token).status())
                .as("the issued token is known after the restart, and a console token").isEqualTo(403);
        Daemon.Reply one = lightd.daemon().request("GET", "/containers/" + id, null);
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.body().get("install_state").getAsString()).isEqualTo("installed");
        WsClient again = lightd.daemon().ws(id, token);
        lightd.closeAfter(again);
        assertThat(WsClient.describe(again.next())).isEqualTo("event:exit");
        again.send("{\"event\":\"request_logs\"}");
        assertThat(again.await(m -> m.get("event").getAsString().equals("logs")).get("data").getAsString())
                .isEqualTo("remembered\n");
    }

    protected void awaitInstalled(String id) throws Exception {
        Await.until(id + " installed", Duration.ofSeconds(15), () -> lightd.daemon().request("GET", "/containers/" + id, null),
                r -> r.status() == 200 && r.body().get("install_state").getAsString().equals("installed"));
    }
}
