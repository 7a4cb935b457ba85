package io.lightd.benchmarks;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Drives a running lightd over loopback and prints what it sees.
 *
 * <p>{@code fanout}: creates containers (process runtime) whose startup command prints numbered
 * lines at a given rate and echoes its stdin, opens N WebSocket consoles over them, starts them,
 * sends echo probes through {@code send_command}, and prints connections held, console events/s
 * delivered, lines lost (gaps in the numbers), probe latency and the daemon's CPU and heap. With
 * {@code --stalled K}, K of the connections stop reading once connected (for the whole run, or for
 * {@code --stall-for} seconds from the containers' start), and the report adds what the daemon did
 * with them (skipped notices, close codes), the figures of the reading connections alone, and the
 * daemon's heap and RSS at the start, middle and end of the measuring window.
 *
 * <p>{@code density}: creates containers without starting them, opens N idle consoles over them,
 * and prints heap per connection after a full GC and the daemon's thread count.
 *
 * <p>Both modes are bounded in connections and time, remove their containers at the end, and talk
 * to loopback addresses only.
 */
public final class LoadClient {

    static final String USAGE = """
            usage: LoadClient --token TOKEN [options]
              --url URL             daemon base URL, loopback only (default http://127.0.0.1:8070)
              --token TOKEN         the daemon's master token
              --pid PID             the daemon's process id, for CPU, heap and thread figures
              --mode MODE           fanout (default), density, or hold (one share of a density run)
              --connections N       WebSocket connections (default 100, at most 20000)
              --containers N        containers the connections spread over (default 1)
              --rate N              console lines per second per container, fanout (default 10)
              --line-bytes N        length of each console line (default 80)
              --duration S          measuring time in seconds, fanout (default 30, at most 3600)
              --warmup S            seconds before measuring, fanout (default 5)
              --probes N            echo probes per second over all connections, fanout (default 5)
              --source PATH         fanout: the console source program (benchmarks/go-ws/source: one
                                    line per write at a fixed pace, echoing stdin); default: a shell
                                    loop printing a tenth of a second's lines at once
              --stalled K           fanout: K of the connections stop reading once connected (default 0;
                                    given, even as 0, it adds the slow-subscriber report and heap
                                    readings after forced GCs, which pause the daemon)
              --stall-for S         fanout: stalled connections resume reading S seconds after the
                                    containers start (default: at the end of the measuring window)
              --stalled-rcvbuf B    fanout: SO_RCVBUF of the stalled connections (default: the system's)
              --drain S             fanout: at most this long to wait, after resuming, for stalled
                                    connections to be closed or go quiet for 3 s (default 30)
              --client-threads N    client event loops (default 1)
              --client-processes K  density: split the connections over K child clients, each bound
                                    to its own source address 127.0.0.2, 127.0.0.3, ... (default 1)
              --bind ADDRESS        the local address connections come from (default: any)
              --prefix TEXT         container id prefix (default load-<random>)
              --keep                leave the containers in place at the end
              --label TEXT          name of the server in the report heading (default lightd)
            """;

    private static final int MAX_CONNECTIONS = 20_000;
    private static final int CONNECT_CONCURRENCY = 256;

    private final Map<String, String> options;
    private final URI base;
    private final String token;
    private final DaemonRest rest;
    private final ProcessFigures daemon;
    private final ProcessFigures self = new ProcessFigures(ProcessHandle.current().pid());
    private final LoadCounters counters = new LoadCounters();
    /** The stalled connections' own counts, apart from the reading connections' ones. */
    private final LoadCounters stalledCounters = new LoadCounters();
    private final List<String> ids = new ArrayList<>();
    private final List<LoadConnection> connections = new ArrayList<>();
    private final List<Channel> channels = new ArrayList<>();
    private MultiThreadIoEventLoopGroup group;

    private LoadClient(Map<String, String> options) throws Exception {
        this.options = options;
        this.base = URI.create(options.getOrDefault("url", "http://127.0.0.1:8070"));
        if (base.getHost() == null || !InetAddress.getByName(base.getHost()).isLoopbackAddress()) {
            throw new IllegalArgumentException("--url must name a loopback address (got " + base + ")");
        }
        this.token = options.get("token");
        if (token == null) {
            throw new IllegalArgumentException("--token is required");
        }
        this.rest = new DaemonRest(base, token);
        this.daemon = options.containsKey("pid") ? new ProcessFigures(Long.parseLong(options.get("pid"))) : null;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                System.out.print(USAGE);
                return;
            }
            if (a.equals("--keep")) {
                options.put("keep", "true");
            } else if (a.startsWith("--") && i + 1 < args.length) {
                options.put(a.substring(2), args[++i]);
            } else {
                System.err.println("LoadClient: unexpected argument " + a);
                System.err.print(USAGE);
                System.exit(2);
            }
        }
        LoadClient client;
        try {
            client = new LoadClient(options);
        } catch (IllegalArgumentException e) {
            System.err.println("LoadClient: " + e.getMessage());
            System.exit(2);
            return;
        }
        int code;
        try {
            code = client.run();
        } catch (IllegalArgumentException e) {
            System.err.println("LoadClient: " + e.getMessage());
            code = 2;
        }
        System.exit(code);
    }

    private int run() throws Exception {
        String mode = options.getOrDefault("mode", "fanout");
        int n = bounded("connections", 100, 1, MAX_CONNECTIONS);
        int containers = bounded("containers", 1, 1, 10_000);
        String prefix = options.getOrDefault("prefix",
                "load-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000)));
        group = new MultiThreadIoEventLoopGroup(bounded("client-threads", 1, 1, 64), NioIoHandler.newFactory());
        rest.ping();
        try {
            return switch (mode) {
                case "fanout" -> fanout(n, containers, prefix);
                case "density" -> density(n, containers, prefix);
                case "hold" -> hold(n, containers, prefix);
                default -> {
                    System.err.println("LoadClient: --mode must be fanout, density or hold (got " + mode + ")");
                    yield 2;
                }
            };
        } finally {
            cleanUp();
        }
    }

    // ---- fanout ------------------------------------------------------------------------------

    private int fanout(int n, int containers, String prefix) throws Exception {
        int rate = bounded("rate", 10, 1, 100_000);
        int lineBytes = bounded("line-bytes", 80, 16, 8192);
        int duration = bounded("duration", 30, 1, 3600);
        int warmup = bounded("warmup", 5, 0, 600);
        int probes = bounded("probes", 5, 0, 1000);
        String command = options.containsKey("source")
                ? "exec " + options.get("source") + " -rate " + rate + " -bytes " + lineBytes
                : consoleSource(rate, lineBytes);
        log("creating %d containers (%d lines/s each, %d-byte lines)", containers, rate, lineBytes);
        createContainers(prefix, containers, command);
        awaitStates("installed/installed", 120);
        boolean slowReport = options.containsKey("stalled");
        int stalled = bounded("stalled", 0, 0, n - 1);
        int stallFor = bounded("stall-for", 0, 0, 3600);
        int drain = bounded("drain", 30, 1, 600);
        if (slowReport && (daemon == null || !daemon.isJvm())) {
            System.err.println("LoadClient: --stalled reads heap with jcmd and needs a JVM daemon's --pid");
            return 2;
        }
        connect(n, stalled);
        List<LoadConnection> readers = connections.stream().filter(c -> !c.stalled() && c.upgraded).toList();
        List<LoadConnection> stalledOnes = connections.stream().filter(c -> c.stalled() && c.upgraded).toList();
        log("%d connections held (%d stalled)", counters.held.get() + stalledCounters.held.get(), stalledOnes.size());
        HeapReading heapStart = slowReport ? heapReading() : null;
        if (heapStart != null) {
            log("daemon before the containers start: %s", heapStart);
        }
        log("starting the containers at %s", java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        for (String id : ids) {
            rest.power(id, "start");
        }
        long started = System.nanoTime();
        awaitStates("installed/running", 60);
        ScheduledFuture<?> resumer = null;
        if (!stalledOnes.isEmpty() && options.containsKey("stall-for")) {
            long delay = Math.max(0, started + TimeUnit.SECONDS.toNanos(stallFor) - System.nanoTime());
            resumer = group.next().schedule(() -> {
                log("%d s after the start: %d stalled connections resume reading", stallFor, stalledOnes.size());
                long target = counters.maxSeq.get();
                stalledOnes.forEach(c -> c.resume(target));
            }, delay, TimeUnit.NANOSECONDS);
        }
        Thread prober = null;
        if (probes > 0) {
            prober = prober(readers, TimeUnit.SECONDS.toNanos(1) / probes);
        }
        Thread.sleep(TimeUnit.SECONDS.toMillis(warmup));
        counters.reset();
        double cpu0 = daemon == null ? -1 : daemon.cpuSeconds();
        double clientCpu0 = self.cpuSeconds();
        long t0 = System.nanoTime();
        long lastEvents = 0;
        long rssMax = 0;
        HeapReading heapMid = null;
        for (int s = 1; s <= duration; s++) {
            Thread.sleep(Math.max(0, t0 + TimeUnit.SECONDS.toNanos(s) - System.nanoTime()) / 1_000_000);
            long events = counters.consoleEvents.sum();
            if (slowReport) {
                long rss = daemon.rssBytes();
                rssMax = Math.max(rssMax, rss);
                log("t=%ds held=%d console events/s=%d lines=%d lost=%d; stalled held=%d; daemon RSS %.1f MiB",
                        s, counters.held.get(), events - lastEvents, counters.lines.sum(), counters.lost.sum(),
                        stalledCounters.held.get(), rss / 1048576.0);
                if (s == (duration + 1) / 2) {
                    heapMid = heapReading();
                    log("daemon in the middle of the window: %s", heapMid);
                }
            } else {
                log("t=%ds held=%d console events/s=%d lines=%d lost=%d", s, counters.held.get(),
                        events - lastEvents, counters.lines.sum(), counters.lost.sum());
            }
            lastEvents = events;
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpu1 = daemon == null ? -1 : daemon.cpuSeconds();
        double clientCpu = self.cpuSeconds() - clientCpu0;
        if (prober != null) {
            prober.interrupt();
            prober.join();
        }
        List<LoadCounters.Probe> sentProbes = awaitProbes(readers.size(), 10);
        HeapReading heapEnd = slowReport ? heapReading() : null;
        long events = counters.consoleEvents.sum();
        long lines = counters.lines.sum();
        long bytes = counters.bytes.sum();
        double[] latency = counters.latencyMillis();
        long fullyEchoed = sentProbes.stream().filter(p -> p.receptions.sum() >= readers.size()).count();
        System.out.println();
        System.out.println("== " + options.getOrDefault("label", "lightd") + " fanout load ==");
        if (slowReport) {
            figure("connections held", "%d of %d reading, %d of %d stalled, over %d containers",
                    counters.held.get(), n - stalled, stalledCounters.held.get(), stalled, containers);
        } else {
            figure("connections held", "%d of %d, over %d containers", counters.held.get(), n,
                    containers);
        }
        figure("source", "%d lines/s per container, %d-byte lines, %.1f s measured",
                rate, lineBytes, seconds);
        figure("delivered", "%.0f lines/s, %.0f console events/s (%.2f lines each), %.2f MB/s of console payload (%s)",
                lines / seconds, events / seconds, events == 0 ? Double.NaN : lines / (double) events,
                bytes / seconds / 1e6, slowReport ? "reading connections" : "all connections");
        figure("lines lost", "%d (gaps in sequence numbers); reported skipped by the daemon: %d",
                counters.lost.sum(), counters.reportedSkipped.sum());
        figure("probes", "%d sent, %d seen by all %d reading clients; latency at every client p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                sentProbes.size(), fullyEchoed, readers.size(), latency[0], latency[1], latency[2]);
        figure("worst per probe", "%s ms", sentProbes.stream()
                .map(p -> String.format(Locale.ROOT, "%.0f", p.worstNanos.get() / 1e6))
                .collect(java.util.stream.Collectors.joining(" ")));
        figure("load client CPU", "%.2f s (%.0f%% of one core; it shares the machine)",
                clientCpu, 100 * clientCpu / seconds);
        if (daemon != null) {
            double cpu = cpu1 - cpu0;
            figure("daemon CPU", "%.2f s in %.1f s (%.0f%% of a core); %.2f us per delivered line, %.2f us per console event",
                    cpu, seconds, 100 * cpu / seconds, lines == 0 ? Double.NaN : cpu * 1e6 / lines,
                    events == 0 ? Double.NaN : cpu * 1e6 / events);
            long heap = daemon.heapUsedBytes();
            figure("daemon heap used", "%s (no forced GC); RSS %.1f MiB; threads %d",
                    heap < 0 ? "n/a (not a JVM)" : String.format(Locale.ROOT, "%.1f MiB", heap / 1048576.0),
                    daemon.rssBytes() / 1048576.0, daemon.threads());
        }
        double serverCpu = daemon == null ? Double.NaN : cpu1 - cpu0;
        System.out.println(String.format(Locale.ROOT, "result: label=%s connections=%d rate=%d held=%d "
                        + "lines_per_s=%.0f events_per_s=%.0f bytes_per_s=%.0f cpu_s=%.3f cpu_us_per_line=%.3f "
                        + "p50_ms=%.2f p99_ms=%.2f max_ms=%.2f probes=%d probes_everywhere=%d lost=%d skipped=%d",
                options.getOrDefault("label", "lightd"), n, rate, counters.held.get(), lines / seconds,
                events / seconds, bytes / seconds, serverCpu, lines == 0 ? Double.NaN : serverCpu * 1e6 / lines,
                latency[0], latency[1], latency[2], sentProbes.size(), fullyEchoed, counters.lost.sum(),
                counters.reportedSkipped.sum()));
        if (!slowReport) {
            return counters.held.get() == n ? 0 : 1;
        }
        figure("daemon RSS", "%.1f MiB before the start, %.1f MiB at most during the window, %.1f MiB at its end",
                heapStart.rss / 1048576.0, rssMax / 1048576.0, heapEnd.rss / 1048576.0);
        figure("heap used (jcmd)", "%.1f MiB before the start, %.1f MiB mid-window, %.1f MiB at the end",
                heapStart.used / 1048576.0, heapMid == null ? Double.NaN : heapMid.used / 1048576.0,
                heapEnd.used / 1048576.0);
        figure("heap after full GC", "%.1f MiB before the start, %.1f MiB mid-window, %.1f MiB at the end",
                heapStart.afterGc / 1048576.0, heapMid == null ? Double.NaN : heapMid.afterGc / 1048576.0,
                heapEnd.afterGc / 1048576.0);
        long readersClosed = readers.stream().filter(c -> c.closed).count();
        figure("reading connections", "%d closed during the run; lines lost %d", readersClosed, counters.lost.sum());
        if (stalledOnes.isEmpty()) {
            return counters.held.get() == n - stalled && stalledOnes.size() == stalled ? 0 : 1;
        }
        if (resumer == null) {
            log("end of the window: %d stalled connections resume reading", stalledOnes.size());
            long target = counters.maxSeq.get();
            stalledOnes.forEach(c -> c.resume(target));
        } else {
            resumer.get();
        }
        awaitQuiet(stalledOnes, drain);
        stalledReport(stalledOnes, options.containsKey("stall-for")
                ? String.format(Locale.ROOT, "for %d s from the containers' start", stallFor)
                : "until the end of the measuring window");
        return counters.held.get() == n - stalled && stalledOnes.size() == stalled ? 0 : 1;
    }

    /**
     * Sends one probe every {@code periodNanos} from a thread of its own, round-robin over the
     * connections, on an absolute schedule, until interrupted.
     */
    private static Thread prober(List<LoadConnection> readers, long periodNanos) {
        Thread t = new Thread(() -> {
            long next = System.nanoTime() + periodNanos;
            for (int i = 0; !Thread.currentThread().isInterrupted(); i++) {
                long wait;
                while ((wait = next - System.nanoTime()) > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    if (Thread.currentThread().isInterrupted()) {
                        return;
                    }
                }
                readers.get(i % readers.size()).probe();
                next += periodNanos;
            }
        }, "load-prober");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * The probes of the window, once each has been seen by every reading connection, or after
     * {@code seconds} (then the report shows which were not).
     */
    private List<LoadCounters.Probe> awaitProbes(int readers, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline
                && counters.probes().stream().anyMatch(p -> p.receptions.sum() < readers)) {
            Thread.sleep(20);
        }
        return counters.probes();
    }

    /**
     * Waits until every resumed connection is closed, has caught up with the reading connections
     * 2 s ago, or has read nothing for 3 s after reading something; at most {@code seconds}.
     */
    private static void awaitQuiet(List<LoadConnection> list, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long quiet = TimeUnit.SECONDS.toNanos(3);
        long settled = TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < deadline) {
            long now = System.nanoTime();
            if (list.stream().allMatch(c -> c.closed || (c.bytesAfterResume > 0 && now - c.lastReadNanos > quiet)
                    || (c.caughtUpNanos != 0 && now - c.caughtUpNanos > settled))) {
                return;
            }
            Thread.sleep(100);
        }
    }

    private void stalledReport(List<LoadConnection> list, String how) {
        Map<String, Integer> closes = new java.util.TreeMap<>();
        long notified = 0;
        long notices = 0;
        long reported = 0;
        long lostBefore = 0;
        long lostAfter = 0;
        long linesAfter = 0;
        long backlogMax = 0;
        long backlogSum = 0;
        long firstNoticeMin = Long.MAX_VALUE;
        long firstNoticeMax = 0;
        for (LoadConnection c : list) {
            if (c.closed) {
                String end = c.closeCode >= 0 ? Integer.toString(c.closeCode)
                        : c.error != null ? "error " + c.error.getClass().getSimpleName() : "no close frame";
                closes.merge(end, 1, Integer::sum);
            }
            if (c.notices > 0) {
                notified++;
                backlogMax = Math.max(backlogMax, c.backlogBytes);
                backlogSum += c.backlogBytes;
                firstNoticeMin = Math.min(firstNoticeMin, c.firstNoticeSkipped);
                firstNoticeMax = Math.max(firstNoticeMax, c.firstNoticeSkipped);
            }
            notices += c.notices;
            reported += c.noticeSkipped;
            lostBefore += c.lostBeforeNotice;
            lostAfter += c.lostAfterNotice;
            linesAfter += c.linesAfterNotice;
        }
        long open = list.stream().filter(c -> !c.closed).count();
        System.out.println();
        System.out.println("== stalled connections ==");
        figure("stalled", "%d connections, not reading %s", list.size(), how);
        figure("skipped notices", "%d connections got one (%d notices), reporting %d console messages skipped in all",
                notified, notices, reported);
        figure("closed by the daemon", "%d; close codes: %s; %d still open after resuming",
                list.size() - open, closes.isEmpty() ? "none" : closes.toString(), open);
        figure("lines lost", "%d in the skipped stretch (up to the first line after the notice), %d after it; %d lines read after the notice",
                lostBefore, lostAfter, linesAfter);
        List<LoadConnection> caughtUp = list.stream().filter(c -> c.caughtUpNanos != 0).toList();
        figure("backlog on resuming", "%d caught up with the readers, after %.1f KiB on average, %.1f KiB at most "
                        + "(frame payload read until the readers' newest line at resuming)", caughtUp.size(),
                caughtUp.stream().mapToLong(c -> c.caughtUpBytes).average().orElse(Double.NaN) / 1024.0,
                caughtUp.stream().mapToLong(c -> c.caughtUpBytes).max().orElse(0) / 1024.0);
        List<LoadConnection> cut = list.stream().filter(c -> c.caughtUpNanos == 0).toList();
        if (!cut.isEmpty()) {
            figure("not caught up", "%d; they read %.1f KiB on average before the end", cut.size(),
                    cut.stream().mapToLong(c -> c.bytesAfterResume).average().orElse(Double.NaN) / 1024.0);
        }
        if (notified > 0) {
            figure("first notice", "from %d to %d console messages skipped (per connection)",
                    firstNoticeMin, firstNoticeMax);
            figure("before the notice", "%.1f KiB on average, %.1f KiB at most (frame payload a notified "
                            + "connection read after resuming, before its notice)",
                    backlogSum / 1024.0 / notified, backlogMax / 1024.0);
        }
    }

    private HeapReading heapReading() {
        long rss = daemon.rssBytes();
        long used = daemon.heapUsedBytes();
        long afterGc = daemon.heapUsedAfterFullGc();
        return new HeapReading(rss, used, afterGc);
    }

    /** The daemon's RSS and heap used, then heap used after a forced full GC. */
    private record HeapReading(long rss, long used, long afterGc) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "RSS %.1f MiB, heap used %.1f MiB, %.1f MiB after a full GC",
                    rss / 1048576.0, used / 1048576.0, afterGc / 1048576.0);
        }
    }

    /**
     * A shell loop printing {@code seq=N} lines in ticks of 100 ms (or one line per tick below 10
     * lines/s) in the background, while {@code cat} echoes stdin back for the probes.
     */
    static String consoleSource(int rate, int lineBytes) {
        int perTick = rate >= 10 ? Math.max(1, Math.round(rate / 10f)) : 1;
        String tick = rate >= 10 ? "0.1" : String.format(Locale.ROOT, "%.3f", 1.0 / rate);
        String padding = "x".repeat(Math.max(1, lineBytes - 16));
        return "(i=0; while :; do j=0; while [ $j -lt " + perTick + " ]; do i=$((i+1)); j=$((j+1)); "
                + "echo \"seq=$i " + padding + "\"; done; sleep " + tick + "; done) & exec cat";
    }

    // ---- density -----------------------------------------------------------------------------

    private int density(int n, int containers, String prefix) throws Exception {
        if (daemon == null) {
            System.err.println("LoadClient: density needs --pid");
            return 2;
        }
        if (!daemon.isJvm()) {
            System.err.println("LoadClient: density reads heap with jcmd and needs a JVM daemon's --pid");
            return 2;
        }
        int processes = bounded("client-processes", 1, 1, 64);
        log("creating %d containers (installed, not started)", containers);
        createContainers(prefix, containers, "exec cat");
        awaitStates("installed/installed", 300);
        long before = daemon.heapUsedAfterFullGc();
        long threadsBefore = daemon.threads();
        long rssBefore = daemon.rssBytes();
        log("heap after full GC before connecting: %.1f MiB", before / 1048576.0);
        List<Process> holders = new ArrayList<>();
        int held;
        try {
            if (processes == 1) {
                connect(n, 0);
                held = counters.held.get();
            } else {
                held = connectFromProcesses(n, containers, prefix, processes, holders);
            }
            // Let the daemon finish what accepting left behind (handshake timers, buffers) before the reading.
            Thread.sleep(3000);
            return densityReport(n, containers, held, before, threadsBefore, rssBefore);
        } finally {
            for (Process p : holders) {
                p.getOutputStream().close();
            }
            for (Process p : holders) {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroy();
                }
            }
        }
    }

    private int densityReport(int n, int containers, int held, long before, long threadsBefore, long rssBefore) {
        long after = daemon.heapUsedAfterFullGc();
        System.out.println();
        System.out.println("== " + options.getOrDefault("label", "lightd") + " idle density ==");
        figure("connections held", "%d of %d, over %d containers", held, n, containers);
        figure("heap after full GC", "%.1f MiB before connecting, %.1f MiB connected",
                before / 1048576.0, after / 1048576.0);
        figure("heap per connection", "%.0f bytes",
                held == 0 ? Double.NaN : (after - before) / (double) held);
        figure("daemon threads", "%d before connecting, %d with the connections",
                threadsBefore, daemon.threads());
        figure("daemon RSS", "%.1f MiB before, %.1f MiB with the connections",
                rssBefore / 1048576.0, daemon.rssBytes() / 1048576.0);
        System.out.println(String.format(Locale.ROOT, "result: label=%s mode=density connections=%d held=%d "
                        + "heap_per_connection_bytes=%.0f threads=%d rss_mib=%.1f",
                options.getOrDefault("label", "lightd"), n, held,
                held == 0 ? Double.NaN : (after - before) / (double) held, daemon.threads(), daemon.rssBytes() / 1048576.0));
        return held == n ? 0 : 1;
    }

    /**
     * Splits the connections over {@code processes} child load clients ({@code --mode hold}), each
     * bound to its own loopback source address (127.0.0.2, 127.0.0.3, ...), so no one process needs
     * more descriptors than its share and no one source address more ports. Returns the connections
     * held once every child has reported; prints how long accepting them all took, from the first
     * child's first attempt to the last child's last upgrade.
     */
    private int connectFromProcesses(int n, int containers, String prefix, int processes, List<Process> holders)
            throws Exception {
        String javaCommand = ProcessHandle.current().info().command().orElse("java");
        String classpath = System.getProperty("java.class.path");
        int offset = 0;
        for (int k = 0; k < processes; k++) {
            int share = n / processes + (k < n % processes ? 1 : 0);
            List<String> command = List.of(javaCommand, "-Xss256k", "-cp", classpath, LoadClient.class.getName(),
                    "--mode", "hold", "--url", base.toString(), "--token", token,
                    "--connections", Integer.toString(share), "--containers", Integer.toString(containers),
                    "--prefix", prefix, "--offset", Integer.toString(offset), "--bind", "127.0.0." + (2 + k),
                    "--client-threads", options.getOrDefault("client-threads", "1"));
            holders.add(new ProcessBuilder(command).redirectErrorStream(true).start());
            offset += share;
        }
        int held = 0;
        long firstStart = Long.MAX_VALUE;
        long lastEnd = 0;
        for (Process p : holders) {
            java.io.BufferedReader out = new java.io.BufferedReader(
                    new java.io.InputStreamReader(p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
            String line;
            boolean reported = false;
            while (!reported && (line = out.readLine()) != null) {
                System.out.println("  " + line);
                if (line.startsWith("hold: ")) {
                    Map<String, String> kv = new HashMap<>();
                    for (String part : line.substring(6).split(" ")) {
                        int eq = part.indexOf('=');
                        if (eq > 0) {
                            kv.put(part.substring(0, eq), part.substring(eq + 1));
                        }
                    }
                    held += Integer.parseInt(kv.get("held"));
                    firstStart = Math.min(firstStart, Long.parseLong(kv.get("start_ms")));
                    lastEnd = Math.max(lastEnd, Long.parseLong(kv.get("end_ms")));
                    reported = true;
                }
            }
            Thread drain = new Thread(() -> {
                try {
                    p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
                } catch (java.io.IOException ignored) {
                    // the child ended
                }
            });
            drain.setDaemon(true);
            drain.start();
        }
        log("%d of %d connections held by %d processes; all accepted in %.1f s (first attempt to last upgrade)",
                held, n, processes, (lastEnd - firstStart) / 1000.0);
        return held;
    }

    /**
     * One share of a density run: opens {@code n} consoles from {@code --bind}, round-robin over the
     * containers from {@code --offset}, reports {@code hold: held=N start_ms=T0 end_ms=T1} and holds
     * them until its stdin ends.
     */
    private int hold(int n, int containers, String prefix) throws Exception {
        int offset = bounded("offset", 0, 0, Integer.MAX_VALUE);
        for (int j = 0; j < containers; j++) {
            ids.add(prefix + "-" + ((offset + j) % containers));
        }
        options.put("keep", "true");
        long start = System.currentTimeMillis();
        connect(n, 0);
        long end = System.currentTimeMillis();
        System.out.println("hold: held=" + counters.held.get() + " start_ms=" + start + " end_ms=" + end
                + " bind=" + options.getOrDefault("bind", "any"));
        System.out.flush();
        System.in.transferTo(java.io.OutputStream.nullOutputStream());
        return counters.held.get() == n ? 0 : 1;
    }

    // ---- common ------------------------------------------------------------------------------

    private void createContainers(String prefix, int count, String command) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<?>> pending = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String id = prefix + "-" + i;
                ids.add(id);
                pending.add(pool.submit(() -> {
                    rest.create(id, command);
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : pending) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdown();
        }
    }

    private void awaitStates(String wanted, int timeoutSeconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        for (String id : ids) {
            String states;
            while (!(states = rest.states(id)).equals(wanted)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("container " + id + " is " + states + ", not " + wanted);
                }
                Thread.sleep(20);
            }
        }
    }

    /**
     * Opens n consoles, round-robin over the containers, at most a few hundred handshakes at once;
     * the last {@code stalled} of them stop reading once connected.
     */
    private void connect(int n, int stalled) throws Exception {
        Semaphore inFlight = new Semaphore(CONNECT_CONCURRENCY);
        List<Promise<Channel>> handshakes = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            String id = ids.get(i % ids.size());
            URI ws = URI.create("ws://" + base.getHost() + ":" + port() + "/ws/" + id + "?token=" + token);
            Promise<Channel> connected = group.next().newPromise();
            boolean stall = i >= n - stalled;
            LoadConnection connection = new LoadConnection(i, stall ? stalledCounters : counters, connected, stall);
            connections.add(connection);
            handshakes.add(connected);
            inFlight.acquire();
            connected.addListener(f -> inFlight.release());
            Bootstrap bootstrap = bootstrap(ws, connection);
            if (stall && options.containsKey("stalled-rcvbuf")) {
                bootstrap.option(ChannelOption.SO_RCVBUF, bounded("stalled-rcvbuf", 0, 1024, 64 << 20));
            }
            Channel ch = bootstrap.connect(base.getHost(), port()).addListener(f -> {
                if (!f.isSuccess()) {
                    connected.tryFailure(f.cause());
                }
            }).channel();
            channels.add(ch);
        }
        int failed = 0;
        Throwable firstFailure = null;
        for (Promise<Channel> p : handshakes) {
            p.awaitUninterruptibly(60, TimeUnit.SECONDS);
            if (!p.isSuccess()) {
                failed++;
                firstFailure = firstFailure == null ? p.cause() : firstFailure;
            }
        }
        log("connected %d of %d in %.1f s%s", n - failed, n, (System.nanoTime() - t0) / 1e9,
                failed == 0 ? "" : "; first failure: " + firstFailure);
    }

    private int port() {
        return base.getPort() > 0 ? base.getPort() : 80;
    }

    private Bootstrap bootstrap(URI ws, LoadConnection connection) {
        Bootstrap b = new Bootstrap();
        if (options.containsKey("bind")) {
            b.localAddress(new java.net.InetSocketAddress(options.get("bind"), 0));
        }
        return b.group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                                .webSocketUri(ws)
                                .version(WebSocketVersion.V13)
                                .customHeaders(new DefaultHttpHeaders())
                                .maxFramePayloadLength(1 << 20)
                                .handshakeTimeoutMillis(30_000)
                                .dropPongFrames(true)
                                .handleCloseFrames(false)
                                .build();
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(64 * 1024),
                                new WebSocketClientProtocolHandler(config), connection);
                    }
                });
    }

    private void cleanUp() {
        for (Channel ch : channels) {
            ch.close();
        }
        if (!options.containsKey("keep") && !ids.isEmpty()) {
            log("removing %d containers", ids.size());
            for (String id : ids) {
                try {
                    rest.delete(id);
                } catch (Exception e) {
                    log("cannot remove %s: %s", id, e.getMessage());
                }
            }
        }
        if (group != null) {
            Future<?> done = group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            done.awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    private int bounded(String key, int fallback, int min, int max) {
        String v = options.get(key);
        int value = v == null ? fallback : Integer.parseInt(v);
        if (value < min || value > max) {
            throw new IllegalArgumentException("--" + key + " must be from " + min + " to " + max + " (got " + v + ")");
        }
        return value;
    }

    private static void figure(String label, String format, Object... args) {
        System.out.println(String.format(Locale.ROOT, "%-24s", label) + String.format(Locale.ROOT, format, args));
    }

    private static void log(String format, Object... args) {
        System.out.println("load: " + String.format(Locale.ROOT, format, args));
    }
}
