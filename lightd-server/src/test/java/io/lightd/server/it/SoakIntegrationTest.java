package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A long run outside the default suite ({@code scripts/test --soak}, or {@code -Dlightd.soak=true};
 * {@code -Dlightd.soak.minutes=N}, default 10): containers print steadily while clients come and go
 * (some read, some stall, some reset), and the heap after full collections must not grow: the
 * median of the samples in the last window is compared with the first window's (a window is a
 * minute, or a quarter of a shorter run).
 */
@EnabledIfSystemProperty(named = "lightd.soak", matches = "true")
class SoakIntegrationTest {

    private static final Duration RUN = Duration.ofMinutes(Integer.getInteger("lightd.soak.minutes", 10));
    private static final Duration SAMPLE_EVERY = Duration.ofSeconds(5);
    /** Allowed growth from the first window to the last: a quarter of the first, plus 8 MiB. */
    private static final double GROWTH_FACTOR = 1.25;
    private static final long GROWTH_SLACK = 8L * 1024 * 1024;
    /** About 250 lines a second per container, in bursts of 25. */
    private static final String TICKER = "i=0; while :; do seq $i $((i+24)) | sed 's/^/tick /'; i=$((i+25)); sleep 0.1; done";

    @TempDir
    Path storage;

    @Test
    void heapDoesNotGrowUnderSteadyOutputAndChurningClients() throws Exception {
        JsonObject limits = new JsonObject();
        limits.addProperty("slow_client_close_seconds", 5);
        // The churning clients all come from one address.
        limits.addProperty("connection_attempts_per_ip_per_second", 100_000);
        limits.addProperty("connection_attempts_per_ip_burst", 100_000);
        try (Daemon daemon = new Daemon(storage, limits)) {
            DaemonHealth.startEchoServer(daemon, "echo-1");
            for (int c = 0; c < 3; c++) {
                JsonObject body = new JsonObject();
                body.addProperty("internal_id", "tick-" + c);
                body.addProperty("image", "local");
                body.addProperty("startup_command", TICKER);
                assertThat(daemon.request("POST", "/containers", body.toString()).status()).isEqualTo(202);
            }
            for (int c = 0; c < 3; c++) {
                try (WsClient w = daemon.ws("tick-" + c)) {
                    w.await(WsClient.state("installed"));
                }
                assertThat(daemon.request("POST", "/containers/tick-" + c + "/start", null).status()).isEqualTo(202);
            }

            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong sessions = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> churners = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                Random random = new Random(t);
                Thread churner = new Thread(() -> churn(daemon, random, running, sessions, failure), "soak-churn-" + t);
                churner.setDaemon(true);
                churner.start();
                churners.add(churner);
            }

            List<long[]> samples = new ArrayList<>();
            long start = System.nanoTime();
            long end = start + RUN.toNanos();
            try {
                while (System.nanoTime() < end) {
                    Thread.sleep(SAMPLE_EVERY.toMillis());
                    long at = System.nanoTime() - start;
                    samples.add(new long[] {at, DaemonHealth.heapAfterGc()});
                    DaemonHealth.assertServesAFreshClient(daemon, "echo-1");
                    if (failure.get() != null) {
                        throw new AssertionError("a soak client failed", failure.get());
                    }
                }
            } finally {
                running.set(false);
                for (Thread t : churners) {
                    t.join(WsClient.WAIT.toMillis());
                }
            }

            long window = Math.min(Duration.ofMinutes(1).toNanos(), RUN.toNanos() / 4);
            long first = median(samples, 0, window);
            long last = median(samples, RUN.toNanos() - window, Long.MAX_VALUE);
            System.out.printf("soak: %d min, %d client sessions, %d heap samples; median heap after GC %s in the "
                    + "first %d s, %s in the last %d s%n", RUN.toMinutes(), sessions.get(), samples.size(),
                    DaemonHealth.mib(first), window / 1_000_000_000L, DaemonHealth.mib(last), window / 1_000_000_000L);
            assertThat(last).as("heap after GC in the last window against the first")
                    .isLessThanOrEqualTo((long) (first * GROWTH_FACTOR) + GROWTH_SLACK);
        }
    }

    /** Until told to stop: clients that read a while, stall, send commands and bad frames, or reset. */
    private static void churn(Daemon daemon, Random random, AtomicBoolean running, AtomicLong sessions,
                              AtomicReference<Throwable> failure) {
        while (running.get()) {
            String id = "tick-" + random.nextInt(3);
            try {
                switch (random.nextInt(4)) {
                    case 0 -> {
                        try (WsClient c = daemon.ws(id)) {
                            for (int i = 0, n = 20 + random.nextInt(200); i < n; i++) {
                                c.next();
                            }
                            c.send("{\"event\":\"request_logs\",\"lines\":50}");
                            c.send("not json");
                        }
                    }
                    case 1 -> {
                        WsClient stalled = daemon.pausedWs(id);
                        Thread.sleep(500 + random.nextInt(2_000));
                        stalled.close();
                    }
                    case 2 -> {
                        RawWsClient raw = RawWsClient.open(daemon.server().port(), id);
                        raw.sendText("{\"event\":\"send_command\",\"command\":\"x\\n\"}");
                        raw.abort();
                    }
                    default -> {
                        try (WsClient c = daemon.ws("echo-1")) {
                            c.send("{\"event\":\"send_command\",\"command\":\"soak\\n\"}");
                            c.await(m -> DaemonHealth.eventOf(m).equals("console"));
                        }
                    }
                }
                sessions.incrementAndGet();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception | AssertionError e) {
                failure.compareAndSet(null, e);
                return;
            }
        }
    }

    private static long median(List<long[]> samples, long fromNanos, long toNanos) {
        long[] heaps = samples.stream().filter(s -> s[0] >= fromNanos && s[0] <= toNanos).mapToLong(s -> s[1])
                .sorted().toArray();
        assertThat(heaps).as("heap samples between %d s and %d s", fromNanos / 1_000_000_000L,
                Math.min(toNanos, Long.MAX_VALUE / 2) / 1_000_000_000L).isNotEmpty();
        return heaps[heaps.length / 2];
    }
}
