package io.lightd.server.it;

import static io.lightd.server.it.WsClient.daemon;
import static io.lightd.server.it.WsClient.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Servers on a terminal ({@code tty}, the create body's default), the same for every runtime: output
 * of programs that buffer on pipes arrives line by line, console data is exactly what the program
 * wrote (no {@code \r} added, no command echoed), and programs see a terminal. A subclass names the
 * runtime and a program of its own that buffers its output on a pipe.
 */
abstract class TerminalScenarios {

    /** The daemon of each test, with the runtime the subclass names. */
    @RegisterExtension
    final LightdExtension lightd;

    TerminalScenarios(LightdExtension.Builder lightd) {
        this.lightd = lightd.build();
    }

    /** Create fields that leave the server's shell nothing but its builtins. */
    static final String NO_PATH = "{\"env\":{\"PATH\":\"/nonexistent\"}}";

    /**
     * A program from the issue that writes four lines a second apart through a block-buffered stdout
     * when it is a pipe, and exits.
     */
    abstract String bufferingProgram();

    /** The four lines {@link #bufferingProgram} writes, each with its {@code \n}. */
    abstract List<String> bufferingProgramLines();

    private WsClient startWhenInstalled(String id, String startup, String extraJson) {
        WsClient c = lightd.ws(id);
        lightd.create(id, startup, null, extraJson);
        c.await(state("installed"));
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        c.await(state("running"));
        return c;
    }

    private static boolean isConsole(JsonObject m) {
        return m.get("event").getAsString().equals("console");
    }

    private static String consoleText(List<JsonObject> messages) {
        return ConsoleScenarios.consoleText(messages, "console");
    }

    @Test
    void eachLineOfAPipeBufferingProgramArrivesBeforeItWritesTheNext() {
        // cut writes through C stdio, which buffers in blocks on a pipe (so does sed, but busybox's
        // reads a line ahead whatever its output is); each line after the first is written only once
        // the test answered the one before, so a line held in a buffer stops the test.
        String id = lightd.id("lockstep-1");
        WsClient c = startWhenInstalled(id,
                "(echo line a; read x; echo line b; read x; echo line c; read x; echo line d) | cut -c1-", null);
        List<JsonObject> seen = new ArrayList<>();
        for (String letter : List.of("a", "b", "c", "d")) {
            seen.addAll(c.until(m -> isConsole(m) && m.get("data").getAsString().endsWith("line " + letter + "\n")));
            if (!letter.equals("d")) {
                c.send("{\"event\":\"send_command\",\"command\":\"\\n\"}");
            }
        }
        seen.addAll(c.until(daemon("Container stopped")));
        assertThat(consoleText(seen)).isEqualTo("line a\nline b\nline c\nline d\n");
    }

    @Test
    void theIssuesProgramShowsEachLineWhenWrittenNotAtItsExit() {
        String id = lightd.id("ticks-1");
        WsClient c = startWhenInstalled(id, bufferingProgram(), null);
        List<JsonObject> all = new ArrayList<>();
        List<Long> arrivals = new ArrayList<>();
        all.addAll(c.until(m -> {
            arrivals.add(System.nanoTime());
            return daemon("Container stopped").test(m);
        }));
        // reported, not asserted: the gaps between the console events (the program sleeps 1 s per line)
        StringBuilder gaps = new StringBuilder();
        for (int i = 1; i < all.size(); i++) {
            if (isConsole(all.get(i)) || WsClient.describe(all.get(i)).equals("event:exit")) {
                gaps.append(String.format(" %s +%d ms;", WsClient.describe(all.get(i)).replace("\n", "\\n"),
                        (arrivals.get(i) - arrivals.get(0)) / 1_000_000));
            }
        }
        System.out.println(lightd.runtime() + " arrivals after the first message:" + gaps);
        List<String> chunks = all.stream().filter(TerminalScenarios::isConsole)
                .map(m -> m.get("data").getAsString()).toList();
        assertThat(chunks).as("one console event per line, as each was written").isEqualTo(bufferingProgramLines());
        List<String> order = all.stream().map(WsClient::describe)
                .filter(d -> d.startsWith("console:") || d.equals("event:exit")).toList();
        assertThat(order.get(order.size() - 1)).as("every line came before the exit").isEqualTo("event:exit");
    }

    @Test
    void consoleDataIsExactlyTheBytesTheProgramWrote() {
        String id = lightd.id("exact-1");
        // builtins only, and a PATH with nothing on it: no stty of the image's can take part
        WsClient c = startWhenInstalled(id, "printf 'a\\r\\nb\\n'; printf '50%%\\r100%%\\n'; printf '\\n\\nend\\n'",
                NO_PATH);
        List<JsonObject> all = c.until(daemon("Container stopped"));
        String expected = "a\r\nb\n50%\r100%\n\n\nend\n";
        assertThat(consoleText(all)).isEqualTo(expected);
        c.send("{\"event\":\"request_logs\"}");
        assertThat(c.await(m -> m.get("event").getAsString().equals("logs")).get("data").getAsString())
                .as("history").isEqualTo(expected);
    }

    @Test
    void aCommandIsNotEchoedIntoTheConsole() {
        String id = lightd.id("echo-1");
        WsClient c = startWhenInstalled(id, "while read l; do echo \"got: $l\"; done", NO_PATH);
        c.send("{\"event\":\"send_command\",\"command\":\"hello\\n\"}");
        List<JsonObject> seen = new ArrayList<>(c.until(m -> isConsole(m)
                && m.get("data").getAsString().contains("got: hello")));
        c.send("{\"event\":\"power\",\"action\":\"kill\"}");
        seen.addAll(c.until(daemon("Container stopped")));
        assertThat(consoleText(seen)).isEqualTo("got: hello\n");
    }

    @Test
    void aProgramColoursOnATerminalAndNotOnPipes() {
        String program = "[ -t 1 ] && printf '\\033[32mtty\\033[0m\\n'; echo done";
        String onTerminal = lightd.id("colour-tty");
        WsClient t = startWhenInstalled(onTerminal, program, null);
        assertThat(consoleText(t.until(daemon("Container stopped")))).isEqualTo("\u001b[32mtty\u001b[0m\ndone\n");
        assertThat(lightd.daemon().request("GET", "/containers/" + onTerminal, null).body().get("tty").getAsBoolean()).isTrue();

        String onPipes = lightd.id("colour-pipe");
        WsClient p = startWhenInstalled(onPipes, program, "{\"tty\":false}");
        assertThat(consoleText(p.until(daemon("Container stopped")))).isEqualTo("done\n");
        assertThat(lightd.daemon().request("GET", "/containers/" + onPipes, null).body().get("tty").getAsBoolean()).isFalse();
    }

    @Test
    void aColouredLineMatchesTheStartPatternOnATerminalAndOnPipes() {
        String program = "printf '\\033[32mDone\\033[0m (1.2s)!\\n'; while read l; do echo \"got: $l\"; done";
        for (String tty : List.of("true", "false")) {
            String id = lightd.id("coloured-" + tty);
            WsClient c = lightd.ws(id);
            lightd.create(id, program, "Done \\(", "{\"tty\":" + tty + "}");
            c.await(state("installed"));
            c.send("{\"event\":\"power\",\"action\":\"start\"}");
            List<JsonObject> seen = new ArrayList<>(c.until(state("running")));
            c.send("{\"event\":\"request_logs\"}");
            assertThat(c.await(m -> m.get("event").getAsString().equals("logs")).get("data").getAsString())
                    .as("history, tty " + tty).isEqualTo("\u001b[32mDone\u001b[0m (1.2s)!\n");
            c.send("{\"event\":\"power\",\"action\":\"kill\"}");
            seen.addAll(c.until(daemon("Container stopped")));
            assertThat(consoleText(seen)).as("console, tty " + tty).isEqualTo("\u001b[32mDone\u001b[0m (1.2s)!\n");
        }
    }

    @Test
    void theTerminalHasItsFixedSizeAndTerm() {
        String id = lightd.id("size-1");
        WsClient c = startWhenInstalled(id, "echo \"$TERM\"; stty size", null);
        assertThat(consoleText(c.until(daemon("Container stopped")))).isEqualTo("xterm-256color\n50 200\n");
    }

    @Test
    void aContainerFromARegistryWrittenBeforeTerminalsKeepsItsPipes() throws Exception {
        String id = lightd.id("legacy-1");
        WsClient c = lightd.ws(id);
        lightd.create(id, "[ -t 1 ] && echo terminal; echo done", null, "{\"tty\":false}");
        c.await(state("installed"));
        lightd.daemon().close();
        Path registry = lightd.storage().resolve("registry/containers.json");
        JsonElement stored = JsonParser.parseString(Files.readString(registry, StandardCharsets.UTF_8));
        removeTty(stored);
        assertThat(stored.toString()).doesNotContain("\"tty\"");
        Files.writeString(registry, stored.toString(), StandardCharsets.UTF_8);
        lightd.daemon().start();

        assertThat(lightd.daemon().request("GET", "/containers/" + id, null).body().get("tty").getAsBoolean()).isFalse();
        WsClient again = lightd.ws(id);
        again.await(state("installed"));
        again.send("{\"event\":\"power\",\"action\":\"start\"}");
        assertThat(consoleText(again.until(daemon("Container stopped")))).isEqualTo("done\n");
    }

    private static void removeTty(JsonElement e) {
        if (e.isJsonObject()) {
            e.getAsJsonObject().remove("tty");
            e.getAsJsonObject().entrySet().forEach(entry -> removeTty(entry.getValue()));
        } else if (e.isJsonArray()) {
            e.getAsJsonArray().forEach(TerminalScenarios::removeTty);
        }
    }
}
