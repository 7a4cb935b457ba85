package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.lightd.server.LightdServer;
import io.lightd.server.config.ConfigLoader;
import io.lightd.testing.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code GET /metrics} over real HTTP after real activity with the process runtime: a container
 * installed and started, two WebSocket clients watching it, a command, a bad frame, an accepted and
 * a refused power action. The exposition must parse (every family with HELP and TYPE before its
 * samples, every sample line {@code name{labels} value}) and the series must hold exactly what was
 * done.
 */
class MetricsIntegrationTest {

    @RegisterExtension
    static final LightdExtension lightd = LightdExtension.builder()
            .runtime(Daemon.Runtime.PROCESS)
            .build();

    /** A sample line of the text format, labels optional, label values escaped. */
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{((?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:\\\\[\\\\\"n]|[^\"\\\\\\n])*\",?)*)\\})? "
                    + "(-?[0-9]+(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)");
    private static final Pattern LABEL = Pattern.compile(
            "([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:\\\\[\\\\\"n]|[^\"\\\\\\n])*)\"");
    private static final Pattern HELP = Pattern.compile("# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+");
    private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)");

    @Test
    void seriesCountWhatHappened() throws Exception {
        String id = lightd.id("metrics-1");
        lightd.create(id, "echo Done; while read l; do echo \"you said: $l\"; done", "Done", null);
        WsClient first = lightd.ws(id);
        WsClient second = lightd.ws(id);
        List<JsonObject> seen = new ArrayList<>(first.until(WsClient.state("installed")));
        second.await(WsClient.state("installed"));

        first.send("{\"event\":\"power\",\"action\":\"start\"}");
        seen.addAll(first.until(WsClient.state("running")));
        second.await(WsClient.state("running"));
        first.send("{\"event\":\"send_command\",\"command\":\"hello\\n\"}");
        seen.addAll(first.until(WsClient.event("console", "you said: hello\n")));
        second.await(WsClient.event("console", "you said: hello\n"));
        seen.addAll(first.until(WsClient.event("console duplicate", "you said: hello\n")));
        first.send("not json");
        seen.addAll(first.until(WsClient.daemon("Error: invalid JSON")));
        first.send("{\"event\":\"power\",\"action\":\"start\"}");
        seen.addAll(first.until(WsClient.daemon("Error: already running")));

        long consoleEvents = seen.stream().filter(m -> m.get("event").getAsString().equals("console")).count();
        long frameBytes = seen.stream()
                .filter(m -> m.get("event").getAsString().startsWith("console"))
                .mapToLong(m -> frameLength(m.toString()))
                .sum();

        HttpResponse<String> scrape = scrape(lightd.daemon().uri("/metrics"), Daemon.TOKEN);
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        Map<String, Long> series = parse(scrape.body());

        assertThat(series).containsEntry("lightd_websocket_sessions", 2L)
                .containsEntry("lightd_container_subscribers{container=\"" + id + "\"}", 2L)
                .containsEntry("lightd_console_events_total", consoleEvents)
                .containsEntry("lightd_console_messages_sent_total", 2 * consoleEvents)
                .containsEntry("lightd_console_bytes_sent_total", 2 * frameBytes)
                .containsEntry("lightd_frames_dropped_total", 0L)
                .containsEntry("lightd_console_lines_throttled_total", 0L)
                .containsEntry("lightd_inbound_errors_total{kind=\"invalid_json\"}", 1L)
                .containsEntry("lightd_inbound_errors_total{kind=\"unknown_event\"}", 0L)
                .containsEntry("lightd_inbound_errors_total{kind=\"rate_limited\"}", 0L)
                .containsEntry("lightd_power_actions_total{action=\"start\",result=\"accepted\"}", 1L)
                .containsEntry("lightd_power_actions_total{action=\"start\",result=\"conflict\"}", 1L)
                .containsEntry("lightd_power_actions_total{action=\"stop\",result=\"accepted\"}", 0L)
                .containsEntry("lightd_runtime_available", 1L)
                .containsEntry("lightd_runtime_stream_reopens_total", 0L)
                .containsKeys("lightd_event_loop_pending_tasks{loop=\"0\"}",
                        "lightd_event_loop_pending_tasks{loop=\"1\"}");
        assertThat(consoleEvents).as("console lines the clients saw").isGreaterThanOrEqualTo(2);
        assertThat(series.get("lightd_jvm_heap_used_bytes")).isPositive();
        assertThat(series.get("lightd_jvm_heap_committed_bytes")).isGreaterThanOrEqualTo(
                series.get("lightd_jvm_heap_used_bytes"));
        assertThat(series.get("lightd_jvm_threads")).isPositive();
        assertThat(series.keySet().stream().filter(k -> k.startsWith("lightd_inbound_errors_total{")))
                .as("every kind, the decoder's and the session's (rate_limited, too_big)")
                .hasSize(io.lightd.protocol.DecodeResult.Kind.values().length + 2);
        assertThat(series.keySet().stream().filter(k -> k.startsWith("lightd_power_actions_total{"))).hasSize(20);

        first.close();
        awaitSeries("lightd_websocket_sessions", 1L);
        assertThat(parse(scrape(lightd.daemon().uri("/metrics"), Daemon.TOKEN).body()))
                .containsEntry("lightd_container_subscribers{container=\"" + id + "\"}", 1L);
    }

    @Test
    void scrapeNeedsTheTokenByDefault() throws Exception {
        assertThat(scrape(lightd.daemon().uri("/metrics"), null).statusCode()).isEqualTo(401);
        assertThat(scrape(lightd.daemon().uri("/metrics"), "lightd_not-the-token-of-this-daemon").statusCode()).isEqualTo(401);
    }

    @Test
    void scrapeIsOpenWhenConfiguredSo() throws Exception {
        JsonObject json = ConfigLoader.defaultsJson(Daemon.TOKEN);
        json.getAsJsonObject("server").addProperty("host", "127.0.0.1");
        json.getAsJsonObject("server").addProperty("port", 0);
        json.getAsJsonObject("storage").addProperty("base_path", lightd.storage().resolve("open").toString());
        json.addProperty("runtime", "process");
        json.getAsJsonObject("metrics").addProperty("require_token", false);
        try (LightdServer open = LightdServer.start(ConfigLoader.parse(json, lightd.storage()))) {
            HttpResponse<String> r = scrape(URI.create("http://127.0.0.1:" + open.port() + "/metrics"), null);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(parse(r.body())).containsEntry("lightd_websocket_sessions", 0L);
        }
    }

    private void awaitSeries(String key, long value) throws Exception {
        Await.until(key + " at " + value, Duration.ofSeconds(10),
                () -> parse(scrape(lightd.daemon().uri("/metrics"), Daemon.TOKEN).body()).get(key),
                v -> Long.valueOf(value).equals(v));
    }

    /** The length of a server text frame carrying {@code json}: header (2, 4 or 10 bytes) and payload. */
    private static long frameLength(String json) {
        int payload = json.getBytes(StandardCharsets.UTF_8).length;
        return payload + (payload < 126 ? 2 : payload <= 0xFFFF ? 4 : 10);
    }

    private HttpResponse<String> scrape(URI uri, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Parses the exposition strictly: each sample's family must have had its HELP and TYPE, every line
     * must be one of the three shapes, no series may repeat. Keys are {@code name{labels}} as written.
     */
    static Map<String, Long> parse(String text) {
        assertThat(text).endsWith("\n");
        Map<String, Long> series = new HashMap<>();
        Set<String> helped = new HashSet<>();
        Set<String> typed = new HashSet<>();
        for (String line : text.split("\n")) {
            Matcher help = HELP.matcher(line);
            Matcher type = TYPE.matcher(line);
            Matcher sample = SAMPLE.matcher(line);
            if (help.matches()) {
                assertThat(helped.add(help.group(1))).as("one HELP for " + help.group(1)).isTrue();
            } else if (type.matches()) {
                assertThat(helped).as("HELP before TYPE of " + type.group(1)).contains(type.group(1));
                assertThat(typed.add(type.group(1))).as("one TYPE for " + type.group(1)).isTrue();
            } else if (sample.matches()) {
                assertThat(typed).as("TYPE before the samples of " + sample.group(1)).contains(sample.group(1));
                if (sample.group(3) != null) {
                    Matcher label = LABEL.matcher(sample.group(3));
                    int labels = 0;
                    while (label.find()) {
                        labels++;
                    }
                    assertThat(labels).as("labels of " + line).isPositive();
                }
                String key = sample.group(1) + (sample.group(2) == null ? "" : sample.group(2));
                assertThat(series.put(key, Long.parseLong(sample.group(4)))).as("repeated series " + key).isNull();
            } else {
                throw new AssertionError("not a line of the text format: " + line);
            }
        }
        return series;
    }
}
