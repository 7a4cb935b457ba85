package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.lightd.server.LightdServer;
import io.lightd.runtime.process.ProcessRuntime;
import io.lightd.server.config.ConfigLoader;
import io.lightd.testing.Await;
import io.lightd.server.config.LightdConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.io.TempDir;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
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

    /** Storage of the daemons a test embeds itself. */
    @TempDir
    Path storage;

    @RegisterExtension
    static final LightdExtension lightd = LightdExtension.builder()
            .runtime(Daemon.Runtime.PROCESS)
            .build();

    /** A sample line of the text format, labels optional, label values escaped. */
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{((?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:\\\\[\\\\\"n]|[^\"\\\\\\n])*\",?)*)\\})? "
                    + "(-?[0-9]+(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|NaN|[+-]Inf)");
    private static final Pattern LABEL = Pattern.compile(
            "([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:\\\\[\\\\\"n]|[^\"\\\\\\n])*)\"");
    private static final Pattern HELP = Pattern.compile("# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+");
    private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|summary|histogram|untyped)");
    /** What a summary's or histogram's sample lines add to its family name. */
    private static final Pattern SUFFIX = Pattern.compile("(.*)_(count|sum|bucket)");

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

    /**
     * Every series the README's metrics table lists is in a scrape, with the documented type and
     * exactly the documented labels, its name as written there (no unit or {@code _total} added twice).
     */
    @Test
    void everyDocumentedSeriesIsScrapedWithItsTypeAndLabels() throws Exception {
        String id = lightd.id("metrics-doc");
        lightd.create(id, "echo Done; while read l; do echo \"you said: $l\"; done", "Done", null);
        WsClient watcher = lightd.ws(id);
        watcher.await(WsClient.state("installed"));
        Map<String, Documented> documented = documentedSeries();
        assertThat(documented).as("the README's metrics table").hasSizeGreaterThanOrEqualTo(17);

        String text = scrape(lightd.daemon().uri("/metrics"), Daemon.TOKEN).body();
        Map<String, Long> series = parse(text);
        for (Documented d : documented.values()) {
            assertThat(text).as("TYPE of " + d.name()).contains("\n# TYPE " + d.name() + " " + d.type() + "\n");
            List<String> samples = series.keySet().stream()
                    .filter(k -> k.equals(d.name()) || k.startsWith(d.name() + "{")).toList();
            assertThat(samples).as("samples of " + d.name()).isNotEmpty();
            for (String sample : samples) {
                Set<String> labels = new HashSet<>();
                Matcher label = LABEL.matcher(sample);
                while (label.find()) {
                    labels.add(label.group(1));
                }
                assertThat(labels).as("labels of " + sample).isEqualTo(d.labels());
            }
        }
        assertThat(series.keySet().stream().map(k -> k.replaceFirst("\\{.*", "")).distinct())
                .as("no lightd series the README does not list")
                .allMatch(documented::containsKey);
        assertThat(series).containsKey("lightd_container_disk_usage_bytes{container=\"" + id + "\"}");
        assertThat(text).as("Micrometer's JVM and Netty binders")
                .contains("\n# TYPE jvm_memory_used_bytes gauge\n", "\n# TYPE jvm_threads_live_threads gauge\n",
                        "\n# TYPE netty_eventexecutor_tasks_pending gauge\n",
                        "\n# TYPE netty_allocator_memory_used gauge\n");
        watcher.close();
    }

    /** A container's series come with it and go with it: created, its gauges are there; deleted, gone. */
    @Test
    void aContainersSeriesGoWhenItIsDeleted() throws Exception {
        String id = lightd.id("metrics-gone");
        lightd.create(id, "echo Done; while read l; do echo \"you said: $l\"; done", "Done", null);
        String subscribers = "lightd_container_subscribers{container=\"" + id + "\"}";
        String disk = "lightd_container_disk_usage_bytes{container=\"" + id + "\"}";
        assertThat(parse(scrape(lightd.daemon().uri("/metrics"), Daemon.TOKEN).body()))
                .containsEntry(subscribers, 0L).containsKey(disk);

        assertThat(lightd.daemon().request("DELETE", "/containers/" + id, null).status()).isEqualTo(200);
        assertThat(parse(scrape(lightd.daemon().uri("/metrics"), Daemon.TOKEN).body())).doesNotContainKeys(subscribers, disk);
    }

    /**
     * lightd's meters go to a registry its host gives it: its series appear there beside the host's
     * own meters, {@code /metrics} serves that registry, and closing lightd takes its meters away
     * again and leaves the host's registry open.
     */
    @Test
    void meterRegistryOfTheHostCarriesTheSeries() throws Exception {
        PrometheusMeterRegistry host = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Counter hostOwn = Counter.builder("host_requests").description("The host's own.").register(host);
        hostOwn.increment(3);
        JsonObject json = ConfigLoader.defaultsJson(Daemon.TOKEN);
        json.getAsJsonObject("server").addProperty("host", "127.0.0.1");
        json.getAsJsonObject("server").addProperty("port", 0);
        json.getAsJsonObject("storage").addProperty("base_path", storage.resolve("embedded").toString());
        json.addProperty("runtime", "process");
        LightdConfig config = ConfigLoader.parse(json, storage);
        LightdServer.RuntimeFactory processes = (c, group) -> new ProcessRuntime(c.basePath(),
                ByteBufAllocator.DEFAULT, ProcessRuntime.DEFAULT_LOG_FILE_LIMIT, c.stats().idleInterval());
        try (LightdServer embedded = LightdServer.start(config, processes, Clock.systemUTC(), host)) {
            assertThat(host.get("lightd_websocket_sessions").gauge().value()).isZero();
            assertThat(host.get("lightd_console_events_total").counter().count()).isZero();
            String served = scrape(URI.create("http://127.0.0.1:" + embedded.port() + "/metrics"), Daemon.TOKEN).body();
            assertThat(parse(served)).containsEntry("lightd_websocket_sessions", 0L);
            assertThat(served).as("the host's own meter, served by lightd's route").containsPattern(
                    "(?m)^host_requests_total 3(\\.0)?$");
        }
        assertThat(host.isClosed()).isFalse();
        assertThat(host.getMeters()).as("only the host's own meters are left").containsExactly(hostOwn);
    }

    /** A row of the README's metrics table: one series name, its type, its label names. */
    private record Documented(String name, String type, Set<String> labels) {
    }

    /** The series the README's metrics table lists, by name. */
    private static Map<String, Documented> documentedSeries() throws Exception {
        Path readme = null;
        for (Path p = Path.of("").toAbsolutePath(); p != null && readme == null; p = p.getParent()) {
            if (Files.exists(p.resolve("README.md")) && Files.exists(p.resolve("lightd-server"))) {
                readme = p.resolve("README.md");
            }
        }
        assertThat(readme).as("the reactor's README").isNotNull();
        Pattern row = Pattern.compile("\\| (`lightd_.*`) \\| (counter|gauge) \\| .*");
        Pattern cell = Pattern.compile("`(lightd_[a-z_]+)(?:\\{([a-z_,]+)\\})?`");
        Map<String, Documented> out = new HashMap<>();
        for (String line : Files.readAllLines(readme)) {
            Matcher r = row.matcher(line);
            if (!r.matches()) {
                continue;
            }
            Matcher c = cell.matcher(r.group(1));
            while (c.find()) {
                Set<String> labels = c.group(2) == null ? Set.of() : Set.of(c.group(2).split(","));
                out.put(c.group(1), new Documented(c.group(1), r.group(2), labels));
            }
        }
        return out;
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
     * Parses the exposition strictly: each sample's family must have had its TYPE (lightd's families
     * also their HELP, before it), every line must be one of the three shapes, no series may repeat.
     * Returns lightd's series, whose values must be whole numbers; keys are {@code name{labels}} as
     * written. Other families (Micrometer's JVM and Netty binders) are checked for shape only.
     */
    static Map<String, Long> parse(String text) {
        assertThat(text).endsWith("\n");
        Map<String, Long> series = new HashMap<>();
        Set<String> seen = new HashSet<>();
        Set<String> helped = new HashSet<>();
        Set<String> typed = new HashSet<>();
        for (String line : text.split("\n")) {
            Matcher help = HELP.matcher(line);
            Matcher type = TYPE.matcher(line);
            Matcher sample = SAMPLE.matcher(line);
            if (help.matches()) {
                assertThat(helped.add(help.group(1))).as("one HELP for " + help.group(1)).isTrue();
            } else if (type.matches()) {
                if (type.group(1).startsWith("lightd_")) {
                    assertThat(helped).as("HELP before TYPE of " + type.group(1)).contains(type.group(1));
                }
                assertThat(typed.add(type.group(1))).as("one TYPE for " + type.group(1)).isTrue();
            } else if (sample.matches()) {
                String name = sample.group(1);
                Matcher suffix = SUFFIX.matcher(name);
                assertThat(typed.contains(name) || suffix.matches() && typed.contains(suffix.group(1)))
                        .as("TYPE before the samples of " + name).isTrue();
                if (sample.group(3) != null) {
                    Matcher label = LABEL.matcher(sample.group(3));
                    int labels = 0;
                    while (label.find()) {
                        labels++;
                    }
                    assertThat(labels).as("labels of " + line).isPositive();
                }
                String key = name + (sample.group(2) == null ? "" : sample.group(2));
                assertThat(seen.add(key)).as("repeated series " + key).isTrue();
                if (name.startsWith("lightd_")) {
                    double value = Double.parseDouble(sample.group(4));
                    assertThat(value).as("a whole number: " + line).isEqualTo(Math.rint(value));
                    series.put(key, (long) value);
                }
            } else {
                throw new AssertionError("not a line of the text format: " + line);
            }
        }
        return series;
    }
}
