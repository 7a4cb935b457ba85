package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.nimbusds.jose.jwk.OctetKeyPair;
import io.lightd.server.auth.PanelSigner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The console page in headless Chromium shows only the controls its token may use:
 * {@code src/test/browser/permissions-check.mjs} opens {@code /console/{id}} on a running server
 * with a full token (everything shown), a read-only token (no command line, no power buttons), a
 * start-and-stop token (those two buttons only) and a read-only token signed by a panel's Ed25519
 * key (as the read-only one); then, with {@code GET /console/{id}/session} failing (a 503, then a
 * network error), a read-only and a full token: no control shows while the permissions are
 * unknown, a notice says so, and once a retry gets through each shows its own controls. Skipped loudly like
 * {@link BrowserConsoleIntegrationTest} where Chromium or the script's packages are missing.
 */
@ExtendWith(BrowserConsoleIntegrationTest.BrowserAvailable.class)
class BrowserPermissionsIntegrationTest {

    @RegisterExtension
    static final LightdExtension lightd = LightdExtension.builder()
            .runtime(Daemon.Runtime.PROCESS)
            .configure(BrowserPermissionsIntegrationTest::configure)
            .build();

    private static final Path MODULE = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
    private static final Path SCRIPT_DIR = MODULE.resolve("src/test/browser");
    private static final Path OUT = MODULE.resolve("target/browser");
    private static final String CHROMIUM = System.getenv().getOrDefault("LIGHTD_CHROMIUM", "/usr/bin/chromium");
    private static final long SCRIPT_TIMEOUT_SECONDS = 90;

    private static final String AUDIENCE = "browser-test-node";
    private static final OctetKeyPair PANEL_KEY = PanelSigner.ed25519("browser-panel-1");

    private static void configure(JsonObject config) {
        JsonObject jwt = config.getAsJsonObject("authorization").getAsJsonObject("jwt");
        jwt.add("keys", PanelSigner.nodeKeys(PANEL_KEY));
        jwt.addProperty("audience", AUDIENCE);
    }

    private String issue(String id, String permissions) {
        Daemon.Reply r = lightd.daemon().request("POST", "/auth/tokens", "{\"ttl\":\"15m\",\"containers\":[\"" + id + "\"]"
                + (permissions == null ? "" : ",\"permissions\":" + permissions) + "}");
        assertThat(r.status()).as(r.body().toString()).isEqualTo(201);
        return r.body().get("token").getAsString();
    }

    @Test
    void theConsolePageShowsOnlyTheControlsItsTokenMayUse() throws Exception {
        String id = lightd.id("perm-page");
        DaemonHealth.startEchoServer(lightd.daemon(), id);
        JsonObject cfg = new JsonObject();
        cfg.addProperty("base", "http://127.0.0.1:" + lightd.daemon().server().port());
        cfg.addProperty("id", id);
        cfg.addProperty("full", issue(id, null));
        cfg.addProperty("readOnly", issue(id, "[\"console\"]"));
        cfg.addProperty("startStop", issue(id, "[\"power.start\",\"power.stop\"]"));
        cfg.addProperty("signedReadOnly", PanelSigner.sign(PANEL_KEY, PanelSigner.claims(AUDIENCE, List.of(id),
                List.of("console"), Duration.ofMinutes(15)).build()));
        cfg.addProperty("chromium", CHROMIUM);
        cfg.addProperty("out", OUT.toString());

        Path log = Files.createDirectories(OUT).resolve("permissions-check.log");
        Process p = new ProcessBuilder("node", SCRIPT_DIR.resolve("permissions-check.mjs").toString(), cfg.toString())
                .directory(SCRIPT_DIR.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        boolean finished = p.waitFor(SCRIPT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!finished) {
            p.destroyForcibly().waitFor();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        String context = "permissions-check.mjs " + (finished ? "exited with " + p.exitValue() : "was killed") + ":\n"
                + output;
        List<JsonObject> lines = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("{")) {
                lines.add(JsonParser.parseString(line).getAsJsonObject());
            }
        }
        assertThat(lines.stream().filter(l -> l.has("check")).map(l -> l.get("check").getAsString()))
                .as(context)
                .containsExactly(
                        "a full token shows the command line and every power button",
                        "a read-only token shows no command line and no power buttons",
                        "a start-and-stop token shows only those two buttons",
                        "a read-only panel-signed token shows no command line and no power buttons",
                        "a read-only token whose session request fails shows no controls, a notice, and still no"
                                + " controls once a retry gets through",
                        "a full token whose session request fails shows no controls and a notice until a retry"
                                + " gets through, then all of them",
                        "no script errors");
        assertThat(lines).as(context).allMatch(l -> !l.has("ok") || l.get("ok").getAsBoolean());
        assertThat(lines.get(lines.size() - 1).toString()).as(context).isEqualTo("{\"done\":true,\"ok\":true}");
    }
}
