package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.lightd.server.LightdServer;
import io.lightd.server.Main;
import io.lightd.server.auth.MasterTokenWatcher;
import io.lightd.server.config.ConfigLoader;
import io.lightd.server.ws.LiveSessions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lightd --token reset}, run by an operator beside a running daemon, takes effect at once:
 * the daemon started from the same config file as {@code Main} starts it (server plus master token
 * watcher) closes the sessions of the old master token with 4003, refuses the old token, accepts the
 * new one, and leaves sessions of issued tokens open.
 */
class MasterTokenResetIntegrationTest {

    private static final String OLD = "lightd_reset-test-old-master-token";

    @TempDir
    Path dir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<WsClient> clients = new ArrayList<>();
    private LightdServer server;
    private MasterTokenWatcher watcher;

    @AfterEach
    void stop() {
        clients.forEach(WsClient::close);
        if (watcher != null) {
            watcher.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void resetClosesMasterSessionsWith4003AndSwitchesTokens() throws Exception {
        Path config = dir.resolve("config.json");
        JsonObject json = ConfigLoader.defaultsJson(OLD);
        json.getAsJsonObject("server").addProperty("host", "127.0.0.1");
        json.getAsJsonObject("server").addProperty("port", 0);
        json.getAsJsonObject("server").addProperty("event_loop_threads", 2);
        json.addProperty("runtime", "process");
        ConfigLoader.write(config, json);
        server = LightdServer.start(ConfigLoader.loadOrCreate(config));
        watcher = MasterTokenWatcher.start(config, server.tokens());

        assertThat(rest("POST", "/containers", "{\"internal_id\":\"box\",\"image\":\"local\","
                + "\"startup_command\":\"sleep 60\"}", OLD).statusCode()).isEqualTo(202);
        String issued = com.google.gson.JsonParser.parseString(
                rest("POST", "/auth/tokens", "{\"ttl\":\"1h\"}", OLD).body()).getAsJsonObject()
                .get("token").getAsString();
        WsClient master = ws("box", OLD);
        master.await(WsClient.state("installed"));
        WsClient viaIssued = ws("box", issued);
        viaIssued.await(WsClient.state("installed"));

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"--config", config.toString(), "--token", "reset"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isZero();
        String fresh = out.toString(StandardCharsets.UTF_8).trim();
        assertThat(fresh).startsWith("lightd_").isNotEqualTo(OLD);

        WsClient.Close close = master.awaitClose();
        assertThat(close.code()).isEqualTo(LiveSessions.CLOSE_TOKEN_REVOKED);
        assertThat(close.reason()).isEqualTo("token revoked");

        assertThat(rest("GET", "/containers", null, OLD).statusCode()).isEqualTo(401);
        assertThat(refusedStatus("box", OLD)).isEqualTo(401);
        assertThat(rest("GET", "/containers", null, fresh).statusCode()).isEqualTo(200);
        ws("box", fresh).await(WsClient.state("installed"));

        assertThat(viaIssued.isClosed()).isFalse();
        viaIssued.send("{\"event\":\"request_logs\"}");
        assertThat(viaIssued.next().get("event").getAsString()).isEqualTo("logs");
    }

    private WsClient ws(String id, String token) {
        WsClient c = WsClient.connect(http, URI.create("ws://127.0.0.1:" + server.port() + "/ws/" + id
                + "?token=" + token), Map.of());
        clients.add(c);
        return c;
    }

    private int refusedStatus(String id, String token) {
        try {
            ws(id, token);
            throw new AssertionError("the upgrade with " + token + " was accepted");
        } catch (CompletionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h) {
                return h.getResponse().statusCode();
            }
            throw e;
        }
    }

    private HttpResponse<String> rest(String method, String path, String body, String token) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(15))
                .header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
