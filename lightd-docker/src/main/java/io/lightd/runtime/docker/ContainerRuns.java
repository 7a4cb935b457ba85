package io.lightd.runtime.docker;

import com.github.dockerjava.api.exception.NotModifiedException;
import io.lightd.runtime.ContainerNotFoundException;
import io.lightd.runtime.ContainerSpec;
import io.lightd.runtime.RuntimeListener;
import io.lightd.runtime.Terminal;
import io.netty.util.concurrent.EventExecutor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runs of the servers' containers the Docker runtime watches, one {@link ContainerRun} per
 * internal id: starting one (attach first, then the engine's start, then the terminal gate and the
 * stats), re-attaching to one that runs, stopping one (stop command, then the engine's stop) and
 * writing to its stdin. Engine events go to the run they name; when the engine is back after an
 * outage every run is checked against it.
 *
 * <p>Threads: every method returns at once and may be called from any thread, event loops included.
 * The runs are kept in a concurrent map; each run's state lives on its own loop.
 */
final class ContainerRuns implements EngineEvents.Listener {

    private static final Logger log = LoggerFactory.getLogger(ContainerRuns.class);

    /** How long stop and start wait for a run's exit to be delivered after the engine says it stopped. */
    static final Duration PREVIOUS_RUN_GRACE = Duration.ofMillis(
            ContainerRun.DIE_GRACE_MILLIS + ContainerRun.ATTACH_GRACE_MILLIS + 3_000);

    private final EngineCalls engine;
    private final EngineStats stats;
    private final TerminalGate terminalGate;
    private final Map<String, ContainerRun> runs = new ConcurrentHashMap<>();
    /** Set once the events stream is built: a run starts only after the stream's first open. */
    private volatile EngineEvents events;

    /**
     * @param engine the engine calls
     * @param stats  where the runs' stats come from
     */
    ContainerRuns(EngineCalls engine, EngineStats stats) {
        this.engine = engine;
        this.stats = stats;
        this.terminalGate = new TerminalGate(engine.connector().dockerHost());
    }

    /** The engine's events stream, which a run waits for before it starts; set once, before the first run. */
    void events(EngineEvents events) {
        this.events = events;
    }

    /** As {@code ContainerRuntime.start}: completes once the server's process was started; fails untranslated. */
    CompletableFuture<Void> start(ContainerSpec spec, EventExecutor loop, RuntimeListener listener) {
        String id = spec.internalId();
        ContainerRun previous = runs.get(id);
        if (previous != null && !previous.ending()) {
            return CompletableFuture.failedFuture(new IllegalStateException(id + " is already running"));
        }
        if (previous != null) {
            // a run whose exit is still being delivered (a restart right after a stop or kill)
            return engine.withTimeout(previous.exit().handle((code, error) -> null), PREVIOUS_RUN_GRACE,
                    "the previous run of " + id + " to end")
                    .handle((v, error) -> error)
                    .thenCompose(error -> runs.get(id) == previous
                            ? CompletableFuture.failedFuture(new IllegalStateException(id + " is already running"))
                            : start(spec, loop, listener));
        }
        ContainerRun run = newRun(id, loop, spec.tty(), listener);
        if (runs.putIfAbsent(id, run) != null) {
            return CompletableFuture.failedFuture(new IllegalStateException(id + " is already running"));
        }
        log.info("{}: starting", id);
        CompletableFuture<Void> started = events.start()
                .thenCompose(v -> run.openAttach())
                .thenCompose(stream -> {
                    run.attached(stream);
                    return engine.call(id, docker -> {
                        try {
                            docker.startContainerCmd(run.containerName).exec();
                            return true;
                        } catch (NotModifiedException alreadyRunning) {
                            run.markStarted();
                            return false;
                        }
                    }).thenCompose(startedNow -> run.tty
                            // already running (started through the engine): open a gate still waiting
                            ? openTerminalGate(run, stream, !startedNow)
                            : CompletableFuture.completedFuture(null))
                            .thenRun(run::openStdin);
                })
                .thenRun(run::startStats);
        return started.whenComplete((v, error) -> {
            if (error != null) {
                run.detach();
            }
        });
    }

    /** As {@code ContainerRuntime.attach}: true when the container runs and is now watched; fails untranslated. */
    CompletableFuture<Boolean> attach(ContainerSpec spec, EventExecutor loop, RuntimeListener listener) {
        String id = spec.internalId();
        return engine.inspectState(id)
                .handle((state, error) -> {
                    if (error != null && EngineFailures.unwrap(error) instanceof ContainerNotFoundException) {
                        return null;
                    }
                    if (error != null) {
                        throw EngineFailures.completion(error);
                    }
                    return state;
                })
                .thenCompose(state -> {
                    if (state == null || !state.running()) {
                        return CompletableFuture.completedFuture(false);
                    }
                    ContainerRun run = newRun(id, loop, state.tty(), listener);
                    if (runs.putIfAbsent(id, run) != null) {
                        return CompletableFuture.failedFuture(new IllegalStateException(id + " is already attached"));
                    }
                    run.markStarted();
                    return events.start()
                            .thenCompose(v -> run.openAttach())
                            .handle((stream, error) -> {
                                if (error != null) {
                                    run.detach();
                                    Throwable cause = EngineFailures.unwrap(error);
                                    if (cause instanceof ContainerNotFoundException) {
                                        return null; // gone meanwhile: not running
                                    }
                                    throw EngineFailures.completion(error);
                                }
                                run.attached(stream);
                                run.startStats();
                                log.info("{}: re-attached to the running container", id);
                                return stream;
                            })
                            // a TTY container still at its gate (the daemon stopped right after
                            // starting it) gets its modes and its gate opened now
                            .thenCompose(stream -> stream != null && state.tty()
                                    ? openTerminalGate(run, stream, true).thenApply(v -> stream)
                                    : CompletableFuture.completedFuture(stream))
                            .thenApply(stream -> {
                                if (stream == null) {
                                    return false;
                                }
                                run.openStdin();
                                return true;
                            });
                });
    }

    private ContainerRun newRun(String id, EventExecutor loop, boolean tty, RuntimeListener listener) {
        return new ContainerRun(id, EngineContainers.containerName(id), loop, engine.connector().loopOf(loop),
                tty, listener, engine, stats, ended -> runs.remove(ended.internalId, ended));
    }

    /**
     * Sets the terminal modes of a run's container from the host ({@link TerminalGate}) and opens its
     * gate ({@link Terminal#GATE_OPEN} on {@code stream}), so its startup command starts; when
     * {@code onlyIfWaiting}, only a container still waiting at the gate is touched (a re-attach). Modes
     * that cannot be set are logged, and the gate is opened anyway. Completes when the gate was opened
     * (or needed no opening); never fails.
     */
    private CompletableFuture<Void> openTerminalGate(ContainerRun run, AttachStream stream, boolean onlyIfWaiting) {
        return engine.call(run.internalId, docker -> {
            Long pid = docker.inspectContainerCmd(run.containerName).exec().getState().getPidLong();
            long hostPid = pid == null ? 0 : pid;
            if (onlyIfWaiting && !TerminalGate.waitingAtGate(hostPid)) {
                return false;
            }
            String problem = terminalGate.setModes(hostPid);
            if (problem != null) {
                log.warn("{}: cannot set the terminal's modes ({}); its console will show a \\r before each "
                        + "\\n and echo commands", run.internalId, problem);
            }
            return true;
        }).thenCompose(open -> open ? stream.write(Terminal.GATE_OPEN) : CompletableFuture.<Void>completedFuture(null))
                .exceptionally(error -> {
                    log.warn("{}: cannot open the terminal gate: {}", run.internalId, EngineFailures.messageOf(error));
                    return null;
                });
    }

    /**
     * As {@code ContainerRuntime.stop}: the stop command on stdin and half of {@code timeout} for it,
     * then the engine's stop (SIGTERM through the init, then SIGKILL) with the rest; completes once the
     * run delivered its exit (or {@link #PREVIOUS_RUN_GRACE} passed). Fails untranslated.
     */
    CompletableFuture<Void> stop(String internalId, String stopCommand, Duration timeout) {
        ContainerRun run = runs.get(internalId);
        AttachStream stream = run == null ? null : run.stdinStream();
        CompletableFuture<Boolean> exitedGracefully;
        // The whole stop fits in the timeout: with a stop command, half of it for the command and the
        // rest for the engine's stop (SIGTERM through the init, then SIGKILL).
        Duration signalTimeout = timeout;
        if (stopCommand != null && stream != null) {
            Duration commandTimeout = timeout.dividedBy(2);
            signalTimeout = timeout.minus(commandTimeout);
            exitedGracefully = stream.write(stopCommand.getBytes(StandardCharsets.UTF_8))
                    .thenCompose(v -> exitWithin(run, commandTimeout))
                    .exceptionally(error -> false);
        } else {
            exitedGracefully = CompletableFuture.completedFuture(false);
        }
        int seconds = (int) Math.min(Integer.MAX_VALUE, (signalTimeout.toMillis() + 999) / 1000);
        return exitedGracefully.thenCompose(exited -> exited
                ? CompletableFuture.<Void>completedFuture(null)
                : engine.call(internalId, docker -> {
                    try {
                        docker.stopContainerCmd(EngineContainers.containerName(internalId)).withTimeout(seconds).exec();
                    } catch (NotModifiedException notRunning) {
                        // already stopped
                    }
                    return (Void) null;
                }, EngineCalls.CALL_TIMEOUT.plusSeconds(seconds)))
                .thenCompose(v -> run == null ? CompletableFuture.completedFuture(null)
                        // the engine says it stopped: let the run deliver its exit before completing
                        : engine.withTimeout(run.exit().handle((code, error) -> (Void) null), PREVIOUS_RUN_GRACE,
                                "the exit of " + internalId).exceptionally(error -> null));
    }

    private CompletableFuture<Boolean> exitWithin(ContainerRun run, Duration timeout) {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        run.exit().whenComplete((code, error) -> result.complete(error == null));
        run.loop.schedule(() -> result.complete(false), timeout.toMillis(), TimeUnit.MILLISECONDS);
        return result;
    }

    /** As {@code ContainerRuntime.writeStdin}: fails at once when the run has no open stdin. */
    CompletableFuture<Void> writeStdin(String internalId, byte[] data) {
        ContainerRun run = runs.get(internalId);
        AttachStream stream = run == null ? null : run.stdinStream();
        if (stream == null) {
            return CompletableFuture.failedFuture(new IllegalStateException(internalId
                    + (run != null && run.attachStream() != null ? " is still starting" : " is not running")));
        }
        return stream.write(data);
    }

    /** The attach stream of the current run of {@code internalId}, or null (for tests). */
    AttachStream attachStreamOf(String internalId) {
        ContainerRun run = runs.get(internalId);
        return run == null ? null : run.attachStream();
    }

    @Override
    public void onContainerEvent(String internalId, String action, Map<String, String> attributes) {
        ContainerRun run = runs.get(internalId);
        if (run != null) {
            run.onEngineEvent(action, attributes);
        }
    }

    @Override
    public void engineBack() {
        log.info("events stream re-opened; checking {} running containers against the engine", runs.size());
        for (ContainerRun run : runs.values()) {
            run.checkNow();
        }
    }

    /** Ends every run without an exit (the runtime closes); never stops a container. */
    void detachAll() {
        for (ContainerRun run : runs.values()) {
            run.detach();
        }
    }
}
