package io.lightd.benchmarks;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * What a full console history costs the daemon's heap: on a daemon with the process runtime,
 * creates N servers that each print L numbered lines of about B bytes of UTF-8 (ASCII, Cyrillic or
 * CJK text) and then sleep, waits until every server's output log holds all of it, and prints the
 * daemon's heap after a full GC ({@code jcmd GC.run}, then {@code GC.heap_info}) and its live objects
 * (the total of {@code GC.class_histogram}) before and after, per server, next to the
 * history's UTF-8 bytes (the last {@code limits.history_lines} lines). Leaves its servers running: it
 * is meant for a daemon started for the run, whose shutdown ends them (scripts/history-heap).
 *
 * <pre>
 * java -cp benchmarks.jar io.lightd.benchmarks.HistoryHeap --url URL --token TOKEN --pid PID --logs DIR
 *      [--servers 200] [--lines 3000] [--line-bytes 200] [--text ascii|cyrillic|cjk] [--history-lines 1000]
 *      [--histogram ROWS]   (also print the live classes taking most heap)
 * </pre>
 */
public final class HistoryHeap {

    private HistoryHeap() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        URI base = URI.create(o.get("url"));
        DaemonRest rest = new DaemonRest(base, o.get("token"));
        ProcessFigures daemon = new ProcessFigures(Long.parseLong(o.get("pid")));
        Path logs = Path.of(o.get("logs"));
        int servers = Integer.parseInt(o.getOrDefault("servers", "200"));
        int lines = Integer.parseInt(o.getOrDefault("lines", "3000"));
        int lineBytes = Integer.parseInt(o.getOrDefault("line-bytes", "200"));
        int historyLines = Integer.parseInt(o.getOrDefault("history-lines", "1000"));
        String text = o.getOrDefault("text", "ascii");
        String unit = switch (text) {
            case "ascii" -> "x";
            case "cyrillic" -> "ж";
            case "cjk" -> "漢";
            default -> throw new IllegalArgumentException("--text ascii|cyrillic|cjk");
        };
        // "NNNN " (5 bytes) + text + "\n": about lineBytes of UTF-8 per line.
        int unitBytes = unit.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        String body = unit.repeat(Math.max(0, (lineBytes - 6) / unitBytes));
        int bytesPerLine = 5 + body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1;
        String command = "i=1000; while [ $i -lt " + (1000 + lines) + " ]; do echo \"$i " + body
                + "\"; i=$((i+1)); done; exec sleep 100000";
        String prefix = "hist-" + UUID.randomUUID().toString().substring(0, 6) + "-";

        long before = daemon.heapUsedAfterFullGc();
        long liveBefore = daemon.liveBytes();
        List<String> ids = new ArrayList<>();
        {
            for (int i = 0; i < servers; i++) {
                String id = prefix + i;
                rest.create(id, "none", command);
                ids.add(id);
            }
            for (String id : ids) {
                rest.awaitState(id, "installed/");
                rest.power(id, "start");
            }
            long expected = (long) lines * bytesPerLine;
            for (String id : ids) {
                awaitLog(logs.resolve(id + ".log"), expected);
            }
            for (String id : ids) {
                rest.awaitState(id, "installed/running");
            }
            long after = daemon.heapUsedAfterFullGc();
            long liveAfter = daemon.liveBytes();
            long history = (long) Math.min(lines, historyLines) * bytesPerLine;
            double perServer = (after - before) / (double) servers;
            System.out.printf("text %s, %d servers, %d lines of %d bytes each printed, history %d lines = %d bytes of UTF-8%n",
                    text, servers, lines, bytesPerLine, Math.min(lines, historyLines), history);
            System.out.printf("  heap after full GC: %.1f MB before, %.1f MB after; per server %.0f KB = %.2f x the history's bytes%n",
                    before / 1e6, after / 1e6, perServer / 1e3, perServer / history);
            double livePerServer = (liveAfter - liveBefore) / (double) servers;
            System.out.printf("  live objects (class histogram total): %.1f MB before, %.1f MB after; per server %.0f KB = %.2f x%n",
                    liveBefore / 1e6, liveAfter / 1e6, livePerServer / 1e3, livePerServer / history);
            if (o.containsKey("histogram")) {
                System.out.println(daemon.classHistogram(Integer.parseInt(o.get("histogram"))));
                System.out.printf("  heap in use after that: %.1f MB%n", daemon.heapUsedBytes() / 1e6);
            }
        }
    }

    private static void awaitLog(Path log, long bytes) throws Exception {
        if (bytes == 0) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.size(log) >= bytes) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        throw new IllegalStateException(log + " stayed below " + bytes + " bytes");
    }

}
