package io.lightd.benchmarks;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a JMH JSON result of the fan-out benchmarks ({@code -rf json -rff FILE}, with
 * {@code -prof gc}) into a Markdown table of delivered frames per second and bytes allocated per
 * delivered frame. One operation is one console event, which is two frames per subscriber.
 */
public final class FanoutReport {

    private FanoutReport() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: FanoutReport JMH_RESULT.json");
            System.exit(2);
        }
        JsonElement results = JsonParser.parseString(Files.readString(Path.of(args[0]), StandardCharsets.UTF_8));
        Map<String, Double> hubFrames = new HashMap<>();
        for (JsonElement e : results.getAsJsonArray()) {
            Row r = Row.of(e.getAsJsonObject());
            if (r.variant.equals("hub")) {
                hubFrames.put(r.kind + "/" + r.subscribers, r.framesPerSecond());
            }
        }
        System.out.println("| channels | variant | N | events/s (± 99.9% CI) | frames/s | vs hub | B alloc/frame |");
        System.out.println("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        for (JsonElement e : results.getAsJsonArray()) {
            Row r = Row.of(e.getAsJsonObject());
            Double hub = hubFrames.get(r.kind + "/" + r.subscribers);
            System.out.printf(Locale.ROOT, "| %s | %s | %d | %,.0f ± %,.0f | %,.0f | %s | %s |%n", r.kind, r.variant,
                    r.subscribers, r.eventsPerSecond, r.error, r.framesPerSecond(),
                    hub == null ? "" : String.format(Locale.ROOT, "%.2f×", r.framesPerSecond() / hub),
                    Double.isNaN(r.allocPerEvent) ? "n/a"
                            : String.format(Locale.ROOT, "%.1f", r.allocPerEvent / (2.0 * r.subscribers)));
        }
    }

    private record Row(String kind, String variant, int subscribers, double eventsPerSecond, double error,
                       double allocPerEvent) {

        static Row of(JsonObject o) {
            String benchmark = o.get("benchmark").getAsString();
            String kind = benchmark.contains("Embedded") ? "embedded" : benchmark.contains("Socket") ? "socket" : benchmark;
            JsonObject params = o.getAsJsonObject("params");
            JsonObject primary = o.getAsJsonObject("primaryMetric");
            double alloc = Double.NaN;
            JsonObject secondary = o.getAsJsonObject("secondaryMetrics");
            if (secondary != null && secondary.has("gc.alloc.rate.norm")) {
                alloc = secondary.getAsJsonObject("gc.alloc.rate.norm").get("score").getAsDouble();
            }
            double error = primary.get("scoreError").isJsonPrimitive() && !primary.get("scoreError").getAsString().equals("NaN")
                    ? primary.get("scoreError").getAsDouble() : Double.NaN;
            return new Row(kind, params.get("variant").getAsString(), params.get("subscribers").getAsInt(),
                    primary.get("score").getAsDouble(), error, alloc);
        }

        double framesPerSecond() {
            return eventsPerSecond * 2 * subscribers;
        }
    }
}
