package io.lightd.runtime.process;

import io.lightd.protocol.Stats;
import io.lightd.runtime.RuntimeListener;
import io.lightd.runtime.process.ProcessGroups.Signal;
import io.lightd.runtime.stats.StatsSampler;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of a container's server, {@code /bin/sh -c <startup command>} in the volume: its stdin,
 * its stats sampling, its graceful stop, and the one {@code onExit} that ends it.
 *
 * <p>Threads: as {@link ChildProcess}. Stats come from the runtime's batched {@link StatsSampler}, which
 * reads {@code /proc} on the runtime's executor and delivers each sample on the loop. Fields marked loop-confined are touched only on the loop, so nothing is
 * delivered to the listener after its {@code onExit}.
 */
final class ServerProcess extends ChildProcess {

    private static final Logger logger = LoggerFactory.getLogger(ServerProcess.class);

    private final RuntimeListener listener;
    private final long memoryLimit;
    private final long clockTicksPerSecond;
    private final StatsSampler<ProcessGroups.Scan> statsSampler;

    // Written by the launching thread before launched completes.
    private volatile StdinWriter stdin;
    private volatile GroupStatsSampler sampler;

    // Loop-confined.
    private boolean exitReported;

    /**
     * @param memoryLimit reported in every sample: the container's limit, or the host's memory when
     *                    it has none. Not enforced: host processes have no cgroup of their own here.
     */
    ServerProcess(String id, EventExecutor loop, RuntimeListener listener, BlockingExecutor blocking,
                  ConcurrentMap<String, ChildProcess> table, long memoryLimit, long clockTicksPerSecond,
                  StatsSampler<ProcessGroups.Scan> statsSampler) {
        super(id, loop, listener, blocking, table);
        this.listener = listener;
        this.memoryLimit = memoryLimit;
        this.clockTicksPerSecond = clockTicksPerSecond;
        this.statsSampler = statsSampler;
    }

    @Override
    String kind() {
        return "server";
    }

    @Override
    void afterStart(Process started) {
        stdin = new StdinWriter(id, started.getOutputStream());
        sampler = new GroupStatsSampler(started.pid(), memoryLimit, clockTicksPerSecond, System.nanoTime());
        // Queued before the pump starts, so it runs on the loop before any output or the exit.
        loop.execute(this::startStats);
    }

    @Override
    void afterExit(int exitCode) {
        StdinWriter writer = stdin;
        if (writer != null) {
            writer.close();
        }
    }

    @Override
    void onEnded(int exitCode) {
        exitReported = true;
        GroupStatsSampler groupSampler = sampler;
        if (groupSampler != null) {
            statsSampler.unregister(id, groupSampler);
        }
        listener.onExit(exitCode);
    }

    /** Queues bytes for stdin; fails when the process is not running yet. */
    CompletableFuture<Void> writeStdin(byte[] data) {
        StdinWriter writer = stdin;
        if (writer == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("container " + id + " is still starting"));
        }
        return writer.write(data);
    }

    /**
     * Stops gracefully, each step only while the process still runs: {@code stopCommand} to stdin (when
     * given), then SIGTERM to the group, then SIGKILL, with {@code timeout} between steps. Timers run
     * on the loop, signals on the executor; nothing here blocks. Completes when the process has ended.
     */
    CompletableFuture<Void> stop(String stopCommand, Duration timeout) {
        List<Runnable> steps = new ArrayList<>(3);
        if (stopCommand != null) {
            steps.add(() -> writeStdin(stopCommand.getBytes(StandardCharsets.UTF_8)));
        }
        steps.add(() -> signalWhenLaunched(Signal.TERM));
        steps.add(() -> {
            logger.info("container {}: still running {} ms after SIGTERM, killing it", id, timeout.toMillis());
            signalWhenLaunched(Signal.KILL);
        });
        launched.thenRun(() -> {
            Iterator<Runnable> remaining = steps.iterator();
            try {
                loop.execute(() -> stopStep(remaining, timeout.toNanos()));
            } catch (RejectedExecutionException e) {
                // No loop to time the steps: skip to the last one.
                signalWhenLaunched(Signal.KILL);
            }
        });
        return ended.handle((exitCode, failed) -> null);
    }

    private void stopStep(Iterator<Runnable> remaining, long timeoutNanos) {
        if (ended.isDone() || !remaining.hasNext()) {
            return;
        }
        remaining.next().run();
        if (remaining.hasNext()) {
            ScheduledFuture<?> next = loop.schedule(() -> stopStep(remaining, timeoutNanos), timeoutNanos, TimeUnit.NANOSECONDS);
            ended.whenComplete((exitCode, failed) -> next.cancel(false));
        }
    }

    private void startStats() {
        if (!exitReported) {
            statsSampler.register(id, sampler, loop, this::deliverSample);
        }
    }

    /** On the loop. */
    private void deliverSample(Stats stats) {
        if (!exitReported) {
            try {
                listener.onStats(stats);
            } catch (Throwable t) {
                logger.warn("container {}: stats listener failed", id, t);
            }
        }
    }
}
