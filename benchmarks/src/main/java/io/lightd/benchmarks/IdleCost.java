package io.lightd.benchmarks;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * What idle servers cost the node: creates N servers of an image whose startup command does
 * nothing ({@code sleep}), starts them, optionally opens one console on each, lets everything
 * settle, and prints the CPU seconds the daemon, {@code dockerd}, {@code containerd} and the
 * {@code containerd-shim} processes used in a measuring window (utime + stime from
 * {@code /proc/<pid>/stat} at its start and end), per idle server per second. Removes its
 * servers at the end.
 *
 * <pre>
 * java -cp benchmarks.jar io.lightd.benchmarks.IdleCost --url URL --token TOKEN --pid PID
 *      [--servers 50] [--image lightd-test:latest] [--consoles 0|1] [--settle 10] [--window 30]
 * </pre>
 */
public final class IdleCost {

    private IdleCost() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        URI base = URI.create(o.getOrDefault("url", "http://127.0.0.1:8070"));
        String token = o.get("token");
        long pid = Long.parseLong(o.get("pid"));
        int servers = Integer.parseInt(o.getOrDefault("servers", "50"));
        String image = o.getOrDefault("image", "lightd-test:latest");
        boolean consoles = o.getOrDefault("consoles", "0").equals("1");
        int settle = Integer.parseInt(o.getOrDefault("settle", "10"));
        int window = Integer.parseInt(o.getOrDefault("window", "30"));
        String prefix = "idle-" + UUID.randomUUID().toString().substring(0, 6) + "-";

        DaemonRest rest = new DaemonRest(base, token);
        List<String> ids = new ArrayList<>();
        List<WebSocket> sockets = new ArrayList<>();
        LongAdder frames = new LongAdder();
        try {
            for (int i = 0; i < servers; i++) {
                ids.add(prefix + i);
            }
            // Eight at a time: the engine creates and starts containers one by one anyway.
            inParallel(ids, id -> {
                rest.create(id, image, "exec sleep 100000");
                rest.awaitState(id, "installed/");
                rest.power(id, "start");
                rest.awaitState(id, "installed/running");
            });
            if (consoles) {
                HttpClient client = HttpClient.newHttpClient();
                for (String id : ids) {
                    URI ws = URI.create("ws://" + base.getHost() + ":" + base.getPort() + "/ws/" + id + "?token=" + token);
                    sockets.add(client.newWebSocketBuilder().buildAsync(ws, new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                            frames.increment();
                            socket.request(1);
                            return null;
                        }
                    }).get(30, TimeUnit.SECONDS));
                }
            }
            TimeUnit.SECONDS.sleep(settle);
            Map<String, Double> start = cpu(pid);
            Map<String, Double> threadsStart = threadCpu(pid);
            long framesBefore = frames.sum();
            TimeUnit.SECONDS.sleep(window);
            Map<String, Double> end = cpu(pid);
            Map<String, Double> threadsEnd = threadCpu(pid);
            long framesIn = frames.sum() - framesBefore;
            System.out.printf("servers %d, consoles %s, window %d s (after %d s settling), frames received %d%n",
                    servers, consoles ? "1 each" : "none", window, settle, framesIn);
            for (String name : List.of("lightd", "dockerd", "containerd", "containerd-shim")) {
                double used = end.getOrDefault(name, 0.0) - start.getOrDefault(name, 0.0);
                System.out.printf("  %-16s %7.2f s CPU  %5.2f%% of a core  %.4f ms/s per server%n", name, used,
                        used * 100.0 / window, used * 1000.0 / window / servers);
            }
            // Where the daemon's CPU went, by thread (numbers in names folded): shows whether the JIT
            // compilers were still at work in the window, i.e. whether the daemon was warm.
            StringBuilder byThread = new StringBuilder("  lightd by thread:");
            threadsEnd.entrySet().stream()
                    .map(e -> Map.entry(e.getKey(), e.getValue() - threadsStart.getOrDefault(e.getKey(), 0.0)))
                    .filter(e -> e.getValue() > 0.0)
                    .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                    .forEach(e -> byThread.append(String.format(" %s %.2f s,", e.getKey(), e.getValue())));
            System.out.println(byThread.charAt(byThread.length() - 1) == ',' ? byThread.substring(0, byThread.length() - 1)
                    : byThread + " none");
        } finally {
            for (WebSocket socket : sockets) {
                socket.abort();
            }
            inParallel(ids, id -> {
                try {
                    rest.delete(id);
                } catch (IOException e) {
                    System.err.println("could not delete " + id + ": " + e.getMessage());
                }
            });
        }
    }

    /** A step for one server that may fail. */
    private interface Step {
        void run(String id) throws Exception;
    }

    /** Runs {@code step} for every id, eight at a time; rethrows the first failure. */
    private static void inParallel(List<String> ids, Step step) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (String id : ids) {
                done.add(pool.submit(() -> {
                    step.run(id);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
    }


    /**
     * CPU seconds so far (utime + stime) of each thread of {@code pid}, summed by thread name with its
     * digits folded to {@code #} ({@code lightd-loop-1-2} counts as {@code lightd-loop-#-#}).
     */
    private static Map<String, Double> threadCpu(long pid) throws IOException {
        Map<String, Double> out = new HashMap<>();
        double ticks = ProcessFigures.clockTicks();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                try {
                    String comm = Files.readString(task.resolve("comm"), StandardCharsets.US_ASCII).trim();
                    String stat = Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII);
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    double seconds = (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / ticks;
                    out.merge(comm.replaceAll("\\d+", "#"), seconds, Double::sum);
                } catch (IOException | RuntimeException e) {
                    // The thread ended between the listing and the read.
                }
            }
        }
        return out;
    }

    /** CPU seconds so far of the daemon ({@code lightd}) and of the engine's processes, by command name. */
    private static Map<String, Double> cpu(long daemonPid) throws IOException {
        Map<String, Double> out = new HashMap<>();
        out.put("lightd", new ProcessFigures(daemonPid).cpuSeconds());
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path proc : procs) {
                String comm;
                try {
                    comm = Files.readString(proc.resolve("comm"), StandardCharsets.US_ASCII).trim();
                } catch (IOException e) {
                    continue;
                }
                String name = comm.equals("dockerd") || comm.equals("containerd") ? comm
                        : comm.startsWith("containerd-shim") ? "containerd-shim" : null;
                if (name != null) {
                    double seconds = new ProcessFigures(Long.parseLong(proc.getFileName().toString())).cpuSeconds();
                    if (seconds >= 0) {
                        out.merge(name, seconds, Double::sum);
                    }
                }
            }
        }
        return out;
    }
}
