package io.lightd.server.it;

import static io.lightd.server.it.WsClient.daemon;
import static io.lightd.server.it.WsClient.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node page ({@code GET /}) in a real browser: headless Chromium, driven by
 * {@code src/test/browser/node-check.mjs} (playwright-core), against a real daemon with the process
 * runtime. With three servers (one running) it lists them live, stops one from the page, shows a
 * refused create's error next to the field it names (each value the engine would refuse too, and the
 * lifecycle fields), creates one that reaches {@code installed},
 * filters and sorts, restarts, kills, starts, reinstalls and deletes (after a confirmation), kills,
 * reinstalls and deletes a server whose install hangs while each row offers exactly the actions the
 * daemon accepts (every other one answered 409) and its badges are not cut at 1,400 px, and opens a
 * console with the same tab token; screenshots under {@code target/browser/node*.png}. A second test
 * loads the page on a node with 5,000 servers and prints what it measured (benchmarks/RESULTS.md).
 *
 * <p>Skipped loudly without Chromium, Node or the script's packages, and a failure under
 * {@code LIGHTD_REQUIRE_BROWSER=1}, like {@link BrowserConsoleIntegrationTest}.
 */
@ExtendWith(BrowserConsoleIntegrationTest.BrowserAvailable.class)
class BrowserNodePageIntegrationTest {

    @RegisterExtension
    static final LightdExtension lightd = LightdExtension.builder()
            .runtime(Daemon.Runtime.PROCESS)
            .build();

    private static final Path MODULE = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
    private static final Path SCRIPT_DIR = MODULE.resolve("src/test/browser");
    private static final Path OUT = MODULE.resolve("target/browser");
    private static final String CHROMIUM = System.getenv().getOrDefault("LIGHTD_CHROMIUM", "/usr/bin/chromium");
    private static final long SCRIPT_TIMEOUT_SECONDS = 150;
    private static final String ECHO = "echo 'Done (0.1s)!'; while read line; do echo \"echo: $line\"; done";

    @TempDir
    Path bigStorage;

    @Test
    void theNodePageListsAndDrivesEveryServer() throws Exception {
        String running = lightd.id("run");
        String idle1 = lightd.id("idle-1");
        String idle2 = lightd.id("idle-2");
        WsClient watcher = lightd.ws(running);
        lightd.create(running, ECHO, "Done \\(", "{\"limits\":{\"memory\":268435456}}");
        lightd.create(idle1, ECHO, "Done \\(", null);
        lightd.create(idle2, ECHO, null, null);
        watcher.await(state("installed"));
        watcher.send("{\"event\":\"power\",\"action\":\"start\"}");
        watcher.await(daemon("Server started"));
        watcher.await(m -> m.get("event").getAsString().equals("stats"));

        JsonObject cfg = new JsonObject();
        cfg.addProperty("mode", "drive");
        cfg.addProperty("base", "http://127.0.0.1:" + lightd.daemon().server().port());
        cfg.addProperty("masterToken", Daemon.TOKEN);
        cfg.addProperty("running", running);
        JsonArray installed = new JsonArray();
        installed.add(idle1);
        installed.add(idle2);
        cfg.add("installed", installed);
        cfg.addProperty("newId", lightd.id("made-in-browser"));
        cfg.addProperty("hungId", lightd.id("hung-install"));
        cfg.addProperty("chromium", CHROMIUM);
        cfg.addProperty("out", OUT.toString());
        List<JsonObject> lines = run(cfg, "node-check.log");

        assertThat(checks(lines)).containsExactly(
                "page loads and takes the token out of the URL",
                "lists every server with its live state and the node facts",
                "shows CPU and memory of the running server, with its limit, and its open consoles",
                "a screenshot of the node page",
                "stopping a server from the page updates its row",
                "a bad field shows the daemon's error next to that field",
                "each value the engine would refuse shows the daemon's error next to its field",
                "a good create adds its row and it reaches installed",
                "filters and sorts the list",
                "restart, kill, start and reinstall from the page",
                "delete asks first, then removes the row",
                "a hung install can be killed, reinstalled and deleted; a row offers only what the daemon accepts",
                "opens a server's console with the same tab token",
                "a wrong token is refused and asked for again",
                "nothing external, no script or policy errors");
        assertThat(OUT.resolve("node.png")).isNotEmptyFile();

        // What the daemon's own client saw: the page's stop, restart and kill really happened.
        List<JsonObject> seen = watcher.until(daemon("Container stopped"));
        seen.addAll(watcher.until(daemon("Container restarted")));
        seen.addAll(watcher.until(daemon("Container stopped")));
        seen.addAll(watcher.until(daemon("Server started")));
        assertThat(ConsoleScenarios.withoutConsole(seen)).containsSubsequence(
                "event:stopping", "event:exit", "event:starting", "event:running", "event:stopping", "event:exit",
                "event:starting", "event:running");
        assertThat(lightd.daemon().request("GET", "/containers/" + lightd.id("made-in-browser"), null).status()).isEqualTo(404);
    }

    @Test
    void fiveThousandServersRenderWithoutStallingThePage() throws Exception {
        int servers = 5_000;
        NodeSeed.installedServers(bigStorage, lightd.prefix(), servers);
        lightd.daemon().close();
        try (Daemon big = new Daemon(bigStorage, new JsonObject())) {
            JsonObject cfg = new JsonObject();
            cfg.addProperty("mode", "scale");
            cfg.addProperty("base", "http://127.0.0.1:" + big.server().port());
            cfg.addProperty("masterToken", Daemon.TOKEN);
            cfg.addProperty("servers", servers);
            cfg.addProperty("last", lightd.prefix() + String.format("%04d", servers - 1));
            cfg.addProperty("chromium", CHROMIUM);
            cfg.addProperty("out", OUT.toString());
            List<JsonObject> lines = run(cfg, "node-scale.log");
            assertThat(checks(lines)).containsExactly(
                    "renders 5000 servers from one snapshot",
                    "renders them again after a reload (the daemon warm)",
                    "filters, sorts and scrolls the whole list",
                    "nothing external, no script or policy errors");
            for (JsonObject line : lines) {
                if (line.has("detail")) {
                    System.out.println("node page at " + servers + " servers: " + line.get("check").getAsString()
                            + ": " + line.get("detail"));
                }
            }
        }
    }

    private static List<String> checks(List<JsonObject> lines) {
        return lines.stream().filter(l -> l.has("check")).map(l -> l.get("check").getAsString()).toList();
    }

    /** Runs the script; every check must have passed and the script must have ended well. */
    private static List<JsonObject> run(JsonObject cfg, String logName) throws IOException, InterruptedException {
        Path log = Files.createDirectories(OUT).resolve(logName);
        Process p = new ProcessBuilder("node", SCRIPT_DIR.resolve("node-check.mjs").toString(), cfg.toString())
                .directory(SCRIPT_DIR.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        boolean finished = p.waitFor(SCRIPT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!finished) {
            p.destroyForcibly().waitFor();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8)
                + (finished ? "" : "\n(killed after " + SCRIPT_TIMEOUT_SECONDS + " s)");
        List<JsonObject> lines = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("{")) {
                lines.add(JsonParser.parseString(line).getAsJsonObject());
            }
        }
        String context = "node-check.mjs (" + cfg.get("mode").getAsString() + ") said:\n" + output;
        assertThat(lines).as(context).isNotEmpty();
        assertThat(lines).as(context).allMatch(l -> !l.has("ok") || l.get("ok").getAsBoolean());
        assertThat(lines.get(lines.size() - 1).toString()).as(context).isEqualTo("{\"done\":true,\"ok\":true}");
        assertThat(finished && p.exitValue() == 0).as(context).isTrue();
        return lines;
    }
}
