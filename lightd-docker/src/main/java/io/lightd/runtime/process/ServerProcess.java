package io.lightd.runtime.process;

import io.lightd.protocol.Stats;
import io.lightd.runtime.RuntimeListener;
import io.lightd.runtime.Terminal;
import io.lightd.runtime.process.ProcessGroups.Signal;
import io.lightd.runtime.stats.StatsSampler;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
    private final long enforcedMemoryLimit;
    private final long clockTicksPerSecond;
    /** The host's {@code stty} when the process runs on a terminal, else null. */
    private final String stty;
    private final StatsSampler<ProcessGroups.Scan> statsSampler;

    // Written by the launching thread before launched completes.
    private volatile StdinWriter stdin;
    private volatile GroupStatsSampler sampler;

    // Loop-confined.
    private boolean exitReported;
    /** The run was killed for holding more memory than {@link #enforcedMemoryLimit}; loop-confined. */
    private boolean outOfMemory;

    /**
     * @param memoryLimit         reported in every sample: the container's limit, or the host's memory
     *                            when it has none
     * @param enforcedMemoryLimit bytes (0 = none): a sample whose resident memory is above it kills the
     *                            group and marks the exit as out of memory. Host processes have no
     *                            cgroup of their own here, so this is as close as the sampling gets.
     * @param stty                the host's {@code stty} when the process is started on a terminal at
     *                            {@link Terminal#GATE_SCRIPT}, else null
     */
    ServerProcess(String id, EventExecutor loop, RuntimeListener listener, BlockingExecutor blocking,
                  ConcurrentMap<String, ChildProcess> table, long memoryLimit, long enforcedMemoryLimit,
                  long clockTicksPerSecond, String stty, StatsSampler<ProcessGroups.Scan> statsSampler) {
        super(id, loop, listener, blocking, table);
        this.listener = listener;
        this.memoryLimit = memoryLimit;
        this.enforcedMemoryLimit = enforcedMemoryLimit;
        this.clockTicksPerSecond = clockTicksPerSecond;
        this.stty = stty;
        this.statsSampler = statsSampler;
    }

    @Override
    String kind() {
        return "server";
    }

    @Override
    void afterStart(Process started) {
        if (stty != null) {
            openTerminalGate(started);
        }
        stdin = new StdinWriter(id, started.getOutputStream());
        sampler = new GroupStatsSampler(started.pid(), memoryLimit, clockTicksPerSecond, System.nanoTime());
        // Queued before the pump starts, so it runs on the loop before any output or the exit.
        loop.execute(this::startStats);
    }

    /**
     * Sets the terminal's modes from the host on its slave device and opens the gate, before any
     * command can be written (commands wait for {@link #stdin}). Modes that cannot be set are logged
     * and the gate is opened anyway: the server runs, with what a default terminal adds.
     */
    private void openTerminalGate(Process started) {
        try {
            Terminal.applyModes(stty, TerminalProcess.terminalDevice(started));
        } catch (IOException e) {
            logger.warn("container {}: cannot set the terminal's modes ({}); its console will show a \\r "
                    + "before each \\n and echo commands", id, e.getMessage());
        }
        try {
            OutputStream toTerminal = started.getOutputStream();
            toTerminal.write(Terminal.GATE_OPEN);
            toTerminal.flush();
        } catch (IOException e) {
            logger.warn("container {}: cannot open the terminal gate: {}", id, e.toString());
        }
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
        listener.onExit(exitCode, outOfMemory);
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
     * Stops gracefully within {@code timeout}, each step only while the process still runs: with a
     * {@code stopCommand}, the command to stdin at once, SIGTERM to the group at half the timeout and
     * SIGKILL at the timeout; without one, SIGTERM at once and SIGKILL at the timeout. Timers run on the
     * loop, signals on the executor; nothing here blocks. Completes when the process has ended.
     */
    CompletableFuture<Void> stop(String stopCommand, Duration timeout) {
        long total = timeout.toNanos();
        launched.thenRun(() -> {
            try {
                loop.execute(() -> {
                    if (ended.isDone()) {
                        return;
                    }
                    if (stopCommand != null) {
                        writeStdin(stopCommand.getBytes(StandardCharsets.UTF_8));
                        stopStepAt(total / 2, () -> signalWhenLaunched(Signal.TERM));
                    } else {
                        signalWhenLaunched(Signal.TERM);
                    }
                    stopStepAt(total, () -> {
                        logger.info("container {}: still running {} ms after the stop began, killing it", id,
                                timeout.toMillis());
                        signalWhenLaunched(Signal.KILL);
                    });
                });
            } catch (RejectedExecutionException e) {
                // No loop to time the steps: skip to the last one.
                signalWhenLaunched(Signal.KILL);
            }
        });
        return ended.handle((exitCode, failed) -> null);
    }

    private void stopStepAt(long delayNanos, Runnable step) {
        ScheduledFuture<?> timer = loop.schedule(() -> {
            if (!ended.isDone()) {
                step.run();
            }
        }, delayNanos, TimeUnit.NANOSECONDS);
        ended.whenComplete((exitCode, failed) -> timer.cancel(false));
    }

    private void startStats() {
        if (!exitReported) {
            statsSampler.register(id, sampler, loop, this::deliverSample);
        }
    }

    /** On the loop. */
    private void deliverSample(Stats stats) {
        if (!exitReported) {
            if (enforcedMemoryLimit > 0 && stats.memoryUsage() > enforcedMemoryLimit && !outOfMemory) {
                logger.info("container {}: {} bytes resident, over its limit of {}; killing it", id,
                        stats.memoryUsage(), enforcedMemoryLimit);
                outOfMemory = true;
                signalWhenLaunched(Signal.KILL);
            }
            try {
                listener.onStats(stats);
            } catch (Throwable t) {
                logger.warn("container {}: stats listener failed", id, t);
            }
        }
    }
}
