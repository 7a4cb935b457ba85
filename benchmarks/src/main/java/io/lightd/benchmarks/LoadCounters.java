package io.lightd.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/** What all load connections count together. Thread-safe. */
final class LoadCounters {

    final AtomicInteger held = new AtomicInteger();
    final LongAdder consoleEvents = new LongAdder();
    final LongAdder lines = new LongAdder();
    /** Bytes of console data delivered (the JSON payload of {@code console} frames). */
    final LongAdder bytes = new LongAdder();
    final LongAdder lost = new LongAdder();
    final LongAdder reportedSkipped = new LongAdder();
    final LongAdder probesSent = new LongAdder();
    final LongAdder probesAnswered = new LongAdder();
    /** The highest line number seen by any connection (not reset). */
    final LongAccumulator maxSeq = new LongAccumulator(Long::max, -1);
    private long[] latencies = new long[1024];
    private int latencyCount;
    /** The probes sent in the measuring window, by the nanoTime they were sent at. */
    private final Map<Long, Probe> probes = new ConcurrentHashMap<>();

    /** One echo probe: how many connections have seen its echo, and the slowest of them. */
    static final class Probe {
        final long sentNanos;
        final LongAdder receptions = new LongAdder();
        final LongAccumulator worstNanos = new LongAccumulator(Long::max, 0);

        Probe(long sentNanos) {
            this.sentNanos = sentNanos;
        }
    }

    /** Registers a probe about to be sent; its echoes are timed at every connection that sees them. */
    void probeSent(long sentNanos) {
        probes.put(sentNanos, new Probe(sentNanos));
        probesSent.increment();
    }

    /** A connection saw the echo of the probe sent at {@code sentNanos}; echoes of unregistered probes are ignored. */
    void probeSeen(long sentNanos, long now) {
        Probe p = probes.get(sentNanos);
        if (p == null) {
            return;
        }
        long latency = now - sentNanos;
        p.receptions.increment();
        p.worstNanos.accumulate(latency);
        recordLatency(latency);
    }

    /** The probes registered since the last reset, oldest first. */
    List<Probe> probes() {
        List<Probe> list = new ArrayList<>(probes.values());
        list.sort((a, b) -> Long.compare(a.sentNanos, b.sentNanos));
        return list;
    }

    synchronized void recordLatency(long nanos) {
        if (latencyCount == latencies.length) {
            latencies = Arrays.copyOf(latencies, latencyCount * 2);
        }
        latencies[latencyCount++] = nanos;
    }

    /** Clears the event counts and latencies (not the connections held), to start a measuring window. */
    synchronized void reset() {
        consoleEvents.reset();
        lines.reset();
        bytes.reset();
        probes.clear();
        lost.reset();
        reportedSkipped.reset();
        probesSent.reset();
        probesAnswered.reset();
        latencyCount = 0;
    }

    /** Latency percentiles in milliseconds: p50, p99, max; NaN without samples. */
    synchronized double[] latencyMillis() {
        if (latencyCount == 0) {
            return new double[] {Double.NaN, Double.NaN, Double.NaN};
        }
        long[] sorted = Arrays.copyOf(latencies, latencyCount);
        Arrays.sort(sorted);
        return new double[] {percentile(sorted, 0.50), percentile(sorted, 0.99), sorted[sorted.length - 1] / 1e6};
    }

    private static double percentile(long[] sorted, double p) {
        int index = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }
}
