package io.lightd.runtime.docker;

import io.lightd.protocol.Stats;
import io.lightd.runtime.stats.CgroupStats;
import io.lightd.runtime.ContainerNotFoundException;
import io.lightd.runtime.ExitReport;
import io.lightd.runtime.RuntimeListener;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of a container's process as lightd watches it: the attach stream (output, stdin), the
 * stats stream, and the exit. It delivers everything to the run's {@link RuntimeListener} on the
 * run's loop, and makes sure {@code onExit} comes once and after the last output.
 *
 * <p>How the exit is ordered: the engine's {@code die} event (through the runtime's one events
 * stream) carries the exit code, and the attach stream ends when the engine has sent the last
 * output. {@code onExit} is delivered when both are known. If the attach stream ends and no
 * {@code die} comes within {@link #DIE_GRACE_MILLIS} (an event missed while the events stream was
 * reconnecting), the container is inspected: stopped gives the exit code, gone gives -1, still
 * running means the attach stream itself was lost, and it is re-opened with backoff. If {@code die}
 * comes and the attach stream stays open for {@link #ATTACH_GRACE_MILLIS}, it is closed. A
 * {@code die} before this run saw its own {@code start} event belongs to an earlier run and is
 * ignored. When the engine answers again after an outage, {@link #checkNow} makes the same
 * inspection at once instead of waiting out the backoff.
 *
 * <p>Threads: all state is confined to {@link #loop}; the public entry points hop there. The attach
 * and stats channels are registered on that loop when it is one of the runtime's group, so output
 * and stats need no hop.
 */
final class ContainerRun implements AttachStream.Sink {

    private static final Logger log = LoggerFactory.getLogger(ContainerRun.class);
    static final long DIE_GRACE_MILLIS = 2_000;
    static final long ATTACH_GRACE_MILLIS = 5_000;
    private static final long MAX_REATTACH_BACKOFF_MILLIS = 30_000;
    /** The longest wait between two tries to find a running container's cgroup. */
    static final long MAX_CGROUP_RETRY_MILLIS = 30_000;

    final String internalId;
    final String containerName;
    final EventExecutor loop;
    /** {@link #loop} as a loop of the runtime's group, or null when it is not one. */
    final EventLoop channelLoop;
    /** The container has a TTY: its attach output is raw, not multiplexed. */
    final boolean tty;
    private final RuntimeListener listener;
    private final EngineCalls engine;
    private final EngineStats stats;
    /** Told once, on the loop, when this run ends (with or without an exit). */
    private final Consumer<ContainerRun> onEnded;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();

    /** Written on the loop, read by {@link ContainerRuns#writeStdin} from any thread. */
    private volatile AttachStream attach;
    /** False while a container with a TTY waits at its gate, whose line stdin must not take. Any thread. */
    private volatile boolean stdinOpen;
    private ReopeningStream statsStream;
    /** This run's cgroup stats, registered with the runtime's sampler; null when they come from {@link #statsStream}. */
    private CgroupStats cgroupStats;
    private boolean statsStarted;
    /** The next try to find this run's cgroup, while it cannot be found. */
    private ScheduledFuture<?> statsRetry;
    private long cgroupRetryMillis = 500;
    private boolean startSeen;
    private Integer dieCode;
    /**
     * The engine's OOM killer acted in this run ({@code oom} event, or {@code OOMKilled} on
     * inspection). The exit is an OOM kill of the server only with exit code 137: an {@code oom}
     * event may be for a child while the server goes on.
     */
    private boolean outOfMemory;
    private boolean finished;
    /** The process is known to have exited (or its stream ended); read from any thread. */
    private volatile boolean ending;
    private ScheduledFuture<?> timer;
    private long reattachBackoffMillis = 500;
    private boolean reattaching;

    /**
     * @param internalId    lightd's id of the server
     * @param containerName the engine's name of its container
     * @param loop          the loop the run's state and every listener call live on
     * @param channelLoop   {@code loop} as a loop of the runtime's group, or null when it is not one
     * @param tty           the container has a TTY
     * @param listener      hears the output, stats, OOM kills and the exit
     * @param engine        the engine calls (attach, inspection)
     * @param stats         where the run's stats come from
     * @param onEnded       told once, on {@code loop}, when the run ends
     */
    ContainerRun(String internalId, String containerName, EventExecutor loop, EventLoop channelLoop, boolean tty,
                 RuntimeListener listener, EngineCalls engine, EngineStats stats, Consumer<ContainerRun> onEnded) {
        this.internalId = internalId;
        this.containerName = containerName;
        this.loop = loop;
        this.channelLoop = channelLoop;
        this.tty = tty;
        this.stdinOpen = !tty;
        this.listener = listener;
        this.engine = engine;
        this.stats = stats;
        this.onEnded = onEnded;
    }

    /**
     * Opens this run's attach stream (raw with a TTY, multiplexed without), registered on the run's
     * loop when it is one of the runtime's group; its output comes to this run. Fails untranslated.
     */
    CompletableFuture<AttachStream> openAttach() {
        return engine.attach(containerName, internalId, tty, channelLoop, this);
    }

    /** Completes with the exit code once {@code onExit} was delivered. */
    CompletableFuture<Integer> exit() {
        return exit;
    }

    AttachStream attachStream() {
        return attach;
    }

    /** The attach stream for commands: null while there is none or the gate is still closed. Any thread. */
    AttachStream stdinStream() {
        return stdinOpen ? attach : null;
    }

    /** The gate is open (or there is none): commands may go to stdin from now on. Any thread. */
    void openStdin() {
        stdinOpen = true;
    }

    /** True once the exit is on its way: a {@code die} came or the attach stream ended. Any thread. */
    boolean ending() {
        return ending;
    }

    /** The attach stream is open (before the process starts, or on a re-attach). */
    void attached(AttachStream stream) {
        onLoop(() -> {
            if (finished) {
                stream.close();
            } else {
                attach = stream;
            }
        });
    }

    /** The process runs: set on re-attach, where no {@code start} event will come. */
    void markStarted() {
        onLoop(() -> startSeen = true);
    }

    /**
     * Starts the stats (once the process runs): on a node that reads cgroups, from the container's
     * cgroup, found again with backoff ({@link #MAX_CGROUP_RETRY_MILLIS} at most between tries) while
     * it cannot be (the engine's inspection failed or timed out, the cgroup's files are not there
     * yet); else from an engine stats stream. The choice is the node's, made once at start: one
     * failure does not move a container onto a stream.
     */
    void startStats() {
        onLoop(() -> {
            if (finished || statsStarted) {
                return;
            }
            statsStarted = true;
            if (stats.readsCgroups()) {
                openCgroupStats();
            } else {
                statsStream = stats.stream(internalId, containerName, channelLoop, this::onStats);
                statsStream.start();
            }
        });
    }

    private void openCgroupStats() {
        statsRetry = null;
        stats.open(internalId, containerName).whenComplete((source, error) -> onLoop(() -> {
            if (finished) {
                if (source != null) {
                    source.close();
                }
                return;
            }
            if (error == null) {
                cgroupStats = source;
                stats.register(internalId, source, loop, this::onStats);
                return;
            }
            long delay = cgroupRetryMillis;
            cgroupRetryMillis = Math.min(delay * 2, MAX_CGROUP_RETRY_MILLIS);
            log.info("{}: cannot find its cgroup ({}); trying again in {} ms", internalId,
                    EngineFailures.messageOf(error), delay);
            statsRetry = loop.schedule(this::openCgroupStats, delay, TimeUnit.MILLISECONDS);
        }));
    }

    // ---- attach stream (called on the attach channel's loop) ----

    @Override
    public void onOutput(ByteBuf chunk) {
        if (loop.inEventLoop()) {
            deliver(chunk);
        } else {
            loop.execute(() -> deliver(chunk));
        }
    }

    private void deliver(ByteBuf chunk) {
        if (finished) {
            chunk.release();
            return;
        }
        try {
            listener.onOutput(chunk);
        } catch (RuntimeException e) {
            log.warn("{}: output listener failed", internalId, e);
        }
    }

    @Override
    public void onEnd() {
        onLoop(this::attachEnded);
    }

    private void attachEnded() {
        attach = null;
        ending = true;
        if (finished) {
            return;
        }
        if (dieCode != null) {
            finish(dieCode);
        } else {
            schedule(DIE_GRACE_MILLIS, this::checkState);
        }
    }

    // ---- engine events and stats ----

    void onEngineEvent(String action, Map<String, String> attributes) {
        onLoop(() -> {
            if (finished || action == null) {
                return;
            }
            switch (action) {
                case "start" -> startSeen = true;
                case "die" -> {
                    if (!startSeen) {
                        log.debug("{}: ignoring a die event of an earlier run", internalId);
                        return;
                    }
                    dieCode = parseExitCode(attributes.get("exitCode"));
                    ending = true;
                    if (attach == null) {
                        finish(dieCode);
                    } else {
                        AttachStream stream = attach;
                        schedule(ATTACH_GRACE_MILLIS, () -> {
                            log.info("{}: attach stream still open {} ms after the exit; closing it",
                                    internalId, ATTACH_GRACE_MILLIS);
                            stream.close();
                        });
                    }
                }
                case "oom" -> {
                    if (!startSeen || finished) {
                        return;
                    }
                    log.info("{}: out of memory", internalId);
                    if (outOfMemory) {
                        return; // one kill comes as several events: told once per run
                    }
                    outOfMemory = true;
                    try {
                        listener.onProcessOutOfMemory();
                    } catch (RuntimeException e) {
                        log.warn("{}: listener failed", internalId, e);
                    }
                }
                default -> { }
            }
        });
    }

    void onStats(Stats sample) {
        onLoop(() -> {
            if (!finished) {
                try {
                    listener.onStats(sample);
                } catch (RuntimeException e) {
                    log.warn("{}: stats listener failed", internalId, e);
                }
            }
        });
    }

    // ---- recovery ----

    /**
     * Checks the container against the engine now (the engine came back after an outage): a
     * container that stopped meanwhile delivers its exit, a running one without an attach stream
     * is re-attached and its stats stream, when it waits to be re-opened, is re-opened. Does nothing for a run whose process has not started yet. Any thread.
     */
    void checkNow() {
        onLoop(() -> {
            if (finished || !startSeen) {
                return;
            }
            reattachBackoffMillis = 500;
            if (timer != null) {
                timer.cancel(false);
            }
            checkState();
        });
    }

    private void checkState() {
        engine.inspectState(internalId).whenComplete((state, error) -> onLoop(() -> {
            if (finished) {
                return;
            }
            if (error != null) {
                Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                if (cause instanceof ContainerNotFoundException) {
                    log.info("{}: container is gone", internalId);
                    finish(dieCode != null ? dieCode : -1);
                } else {
                    log.info("{}: cannot inspect the container ({}); retrying", internalId, cause.toString());
                    retryLater();
                }
            } else if (!state.running()) {
                outOfMemory |= state.oomKilled();
                finish(dieCode != null ? dieCode : state.exitCode());
            } else {
                if (statsStream != null) {
                    statsStream.reopenNow();
                }
                if (attach == null && !reattaching) {
                    log.info("{}: attach stream lost while the container runs; re-attaching", internalId);
                    reattach();
                }
            }
        }));
    }

    private void reattach() {
        reattaching = true;
        EngineFailures.translate(openAttach(), internalId).whenComplete((stream, error) -> onLoop(() -> {
            reattaching = false;
            if (error != null) {
                if (finished) {
                    return;
                }
                log.info("{}: re-attach failed ({}); retrying", internalId, error.toString());
                retryLater();
                return;
            }
            if (finished) {
                stream.close();
                return;
            }
            reattachBackoffMillis = 500;
            attach = stream;
            ending = dieCode != null;
            log.info("{}: re-attached", internalId);
        }));
    }

    private void retryLater() {
        long delay = reattachBackoffMillis;
        reattachBackoffMillis = Math.min(delay * 2, MAX_REATTACH_BACKOFF_MILLIS);
        schedule(delay, this::checkState);
    }

    // ---- end ----

    private void finish(int exitCode) {
        if (finished) {
            return;
        }
        release();
        log.info("{}: exited with code {}", internalId, exitCode);
        try {
            listener.onExit(exitCode, ExitReport.isOutOfMemoryKill(exitCode, outOfMemory));
        } finally {
            exit.complete(exitCode);
        }
    }

    /** Ends the run without an exit (the runtime closes, or the start failed). Any thread. */
    void detach() {
        onLoop(() -> {
            if (!finished) {
                release();
                exit.cancel(false);
            }
        });
    }

    private void release() {
        finished = true;
        if (timer != null) {
            timer.cancel(false);
        }
        if (statsStream != null) {
            statsStream.close();
        }
        if (statsRetry != null) {
            statsRetry.cancel(false);
        }
        if (cgroupStats != null) {
            stats.unregister(internalId, cgroupStats);
        }
        if (attach != null) {
            attach.close();
            attach = null;
        }
        onEnded.accept(this);
    }

    private void schedule(long millis, Runnable task) {
        if (timer != null) {
            timer.cancel(false);
        }
        timer = loop.schedule(task, millis, TimeUnit.MILLISECONDS);
    }

    private void onLoop(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }

    private static int parseExitCode(String value) {
        try {
            return value == null ? -1 : Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
