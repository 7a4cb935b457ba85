package io.lightd.server.hub;

import io.lightd.protocol.ContainerState;
import io.lightd.protocol.InstallState;
import io.lightd.protocol.OutboundEvents;
import io.lightd.protocol.PowerAction;
import io.lightd.protocol.Stats;
import io.lightd.protocol.StatsChangeDetector;
import io.lightd.runtime.ContainerNotFoundException;
import io.lightd.runtime.ContainerRuntime;
import io.lightd.runtime.ExitReport;
import io.lightd.runtime.InstallListener;
import io.lightd.runtime.RuntimeListener;
import io.lightd.runtime.RuntimeUnavailableException;
import io.lightd.runtime.TimerGrid;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.console.ConsoleStream;
import io.lightd.server.console.StartPattern;
import io.lightd.server.fanout.Subscriber;
import io.lightd.server.fanout.Subscribers;
import io.lightd.server.logging.ContainerLog;
import io.lightd.server.metrics.Metrics;
import io.lightd.server.record.ContainerRecord;
import io.lightd.server.record.ExitHistory;
import io.lightd.server.record.RestartPolicy;
import io.lightd.server.store.ContainerRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state machine of one container (install, start, stop, kill, restart, exits and crash
 * restarts, delete and reinstall, disk checks, restore after a daemon restart), with the two rooms
 * it drives: its {@link ConsoleStream} (output bytes to console text, history, throttle, coalescing)
 * and its {@link Subscribers} (the channels watching it, and the one place an outbound frame is
 * built). Power actions and commands are answered as an {@link ActionResult}. Confined to one event
 * loop: every field is touched only there, and every public method hops onto it, so no locks are
 * needed.
 *
 * <p>A hub without a record is a container nobody created (yet): it keeps its subscribers and sends
 * them nothing until the container is created.
 *
 * <p>Lifecycle: a stop is a {@link StopSequence} (stop command, stop signal, kill, all within the stop
 * timeout); an exit nobody asked for is told as such (out of memory, clean, or an error code) and may
 * be a crash the container's {@link RestartPolicy} restarts after; the volume's {@link DiskUsage} is
 * measured every {@code limits.disk_check_seconds} and on each start, on the blocking executor; a
 * delete or reinstall of a running or installing container kills it first, with the events of a kill.
 */
public final class ContainerHub {

    private static final Logger LOG = LoggerFactory.getLogger(ContainerHub.class);

    /**
     * A stats sample older than this is not sent to a new subscriber: it waits for the fresh one the
     * runtime takes when a container becomes watched (an unwatched one is sampled only every 10 s).
     */
    static final long STATS_FRESH_NANOS = TimeUnit.MILLISECONDS.toNanos(2_000);
    /** How long after a completed stop or kill the exit report may take before the runtime is asked. */
    static final long EXIT_CONFIRM_MILLIS = 10_000;

    private final String id;
    private final EventExecutor loop;
    private final ContainerRuntime runtime;
    private final ContainerRegistry registry;
    private final Clock clock;
    private final Duration stopTimeout;
    private final Subscribers subscribers;
    private final ConsoleStream console;
    private final StatsChangeDetector statsDetector = new StatsChangeDetector();
    private final ContainerLog log;

    /** Guarded by the hub map's per-key lock in {@link ContainerManager}: subscribers plus one for a record. */
    int references;
    /** Told when {@link #view} changes; set by the manager before the hub is used. */
    HubObserver observer = HubObserver.NONE;
    /** The latest published view, null while there is no record; written on the loop only. */
    private volatile ServerView view;
    /** The sample behind {@link #lastStats}; stale whenever {@code lastStats} is null. */
    private Stats lastSample;

    private ContainerRecord record;
    private ContainerState state = ContainerState.INSTALLED;
    /** Watches the console for {@code start_pattern}; null when there is none (or while re-attaching). */
    private StartPattern startPattern;
    private Run run;
    private Install install;
    private byte[] lastStats;
    /** When the runtime's last stats sample came (changed or not), on the loop's ticker. */
    private long lastSampleNanos;
    /** New subscribers waiting for a fresh sample rather than a stale {@link #lastStats}. */
    private List<Subscriber> awaitingStats;
    private boolean exitRequested;
    private boolean restartPending;
    /** The volume of this container, or null when disk usage is not measured (hub tests). */
    private final Path volume;
    private final Executor blocking;
    private final long diskCheckMillis;
    /** Bytes in the volume at the last measurement; written on the loop, read by REST and metrics. */
    private volatile long diskUsage;
    private ScheduledFuture<?> diskTimer;
    /** When {@link #diskTimer} is due, on the timer grid, in ns of the loop's ticker. */
    private long diskDueNanos;
    private boolean diskCheckInFlight;
    /** The stop under way, until the run's exit. */
    private StopSequence stopSequence;
    /** A restart after a crash, waiting out its backoff. */
    private ScheduledFuture<?> pendingRestart;
    /** Set while a delete or reinstall kills the server first: power actions and commands are refused. */
    private String busy;
    /** Completed by the current run's exit report (for a delete or reinstall that kills first). */
    private CompletableFuture<Void> runEnded;
    /** The daemon is shutting down: exits are not crashes and nothing is restarted. */
    private boolean closing;

    /** A hub without a frame budget: every piece of console text is its own event (tests of other behaviour). */
    ContainerHub(String id, EventExecutor loop, ContainerRuntime runtime, ContainerRegistry registry, Clock clock,
                 LightdConfig.Limits limits, Metrics metrics) {
        this(id, loop, runtime, registry, clock, limits, metrics, null, null, 0);
    }

    /**
     * @param coalesceMillis the console frame budget in milliseconds ({@code console.coalesce_ms}); 0
     *                       sends console text as it comes
     */
    ContainerHub(String id, EventExecutor loop, ContainerRuntime runtime, ContainerRegistry registry, Clock clock,
                 LightdConfig.Limits limits, Metrics metrics, int coalesceMillis) {
        this(id, loop, runtime, registry, clock, limits, metrics, null, null, coalesceMillis);
    }

    /**
     * @param volume   the container's volume folder, whose usage is measured (null: not measured)
     * @param blocking the bounded executor the measurement walks the folder on
     */
    ContainerHub(String id, EventExecutor loop, ContainerRuntime runtime, ContainerRegistry registry, Clock clock,
                 LightdConfig.Limits limits, Metrics metrics, Path volume, Executor blocking) {
        this(id, loop, runtime, registry, clock, limits, metrics, volume, blocking, 0);
    }

    /**
     * @param volume         the container's volume folder, whose usage is measured (null: not measured)
     * @param blocking       the bounded executor the measurement walks the folder on
     * @param coalesceMillis the console frame budget in milliseconds ({@code console.coalesce_ms}); 0
     *                       sends console text as it comes
     */
    ContainerHub(String id, EventExecutor loop, ContainerRuntime runtime, ContainerRegistry registry, Clock clock,
                 LightdConfig.Limits limits, Metrics metrics, Path volume, Executor blocking, int coalesceMillis) {
        this.volume = volume;
        this.blocking = blocking;
        this.diskCheckMillis = TimeUnit.SECONDS.toMillis(limits.diskCheckSeconds());
        this.id = id;
        this.log = new ContainerLog(LOG, id);
        this.loop = loop;
        this.runtime = runtime;
        this.registry = registry;
        this.clock = clock;
        this.stopTimeout = limits.stopTimeout();
        this.subscribers = new Subscribers(metrics);
        this.console = new ConsoleStream(loop, limits, coalesceMillis, new ConsoleStream.Listener() {
            @Override
            public void live(String text) {
                subscribers.console(text);
            }

            @Override
            public void assembled(String text) {
                watchForStart(text);
            }

            @Override
            public void notice(String message) {
                message(message);
            }

            @Override
            public void throttled(int lines) {
                subscribers.throttled(lines);
            }
        });
    }

    /** The container's {@code internal_id}, as created or first watched. */
    public String id() {
        return id;
    }

    /** The event loop this hub is confined to, one of the server's group. */
    public EventExecutor loop() {
        return loop;
    }

    /** Bytes in the container's volume at the last measurement (0 before the first); any thread. */
    public long diskUsage() {
        return diskUsage;
    }

    /** How many channels watch this container now; any thread (a moment's snapshot). */
    public int subscriberCount() {
        return subscribers.size();
    }

    /** The container as the node stream shows it, or null when it does not exist; any thread. */
    public ServerView view() {
        return view;
    }

    // ---- subscribers -------------------------------------------------------------------------

    /** {@link #subscribe(Subscriber)} for a plain channel ({@link Subscriber#of}). */
    public void subscribe(Channel channel) {
        subscribe(Subscriber.of(channel));
    }

    /**
     * Adds a subscriber; it gets the current state (and latest stats when running) first, to itself
     * only. It leaves when its channel closes: by itself when it {@link Subscriber#leavesOnClose}
     * (a console session), otherwise through a listener the hub puts on the close. Any thread.
     */
    public void subscribe(Subscriber subscriber) {
        Channel channel = subscriber.channel();
        onLoop(() -> {
            if (!channel.isActive() || !subscribers.add(subscriber)) {
                return;
            }
            publish();
            if (!subscriber.leavesOnClose()) {
                channel.closeFuture().addListener(f -> unsubscribe(subscriber));
            }
            if (subscribers.size() == 1) {
                runtime.statsDemand(id, true);
            }
            if (record == null) {
                return;
            }
            byte[] stats = null;
            if (state == ContainerState.RUNNING && lastStats != null) {
                if (loop.ticker().nanoTime() - lastSampleNanos <= STATS_FRESH_NANOS) {
                    stats = lastStats;
                } else {
                    if (awaitingStats == null) {
                        awaitingStats = new ArrayList<>(1);
                    }
                    awaitingStats.add(subscriber);
                }
            }
            subscribers.sendTo(subscriber, OutboundEvents.state(state), stats);
        });
    }

    /** {@link #unsubscribe(Subscriber)} for a plain channel. */
    public void unsubscribe(Channel channel) {
        unsubscribe(Subscriber.of(channel));
    }

    /**
     * Removes a subscriber, matched by its channel (also done when its channel closes); any thread, a
     * no-op once the loop shuts down.
     */
    public void unsubscribe(Subscriber subscriber) {
        Channel channel = subscriber.channel();
        try {
            onLoop(() -> {
                if (subscribers.remove(subscriber)) {
                    publish();
                    if (awaitingStats != null) {
                        awaitingStats.removeIf(s -> s.channel() == channel);
                    }
                    if (subscribers.isEmpty()) {
                        runtime.statsDemand(id, false);
                    }
                }
            });
        } catch (RejectedExecutionException shuttingDown) {
            // The hub's loop is going away, and its subscribers with it.
        }
    }

    /**
     * Sends the latest stats to one subscriber for which a stats frame was dropped while it was not
     * writable: stats go out only when they change, so without this it would keep the dropped
     * frame's predecessor for as long as the figures stay the same. Nothing when the container does
     * not run or the subscriber has left. Any thread; the send happens on the hub's loop.
     *
     * @param subscriber the subscriber, writable again
     */
    public void resendStats(Subscriber subscriber) {
        onLoop(() -> {
            if (state == ContainerState.RUNNING && lastStats != null && subscribers.contains(subscriber)) {
                subscribers.sendTo(subscriber, lastStats, null);
            }
        });
    }

    /** The console history for {@code request_logs}; completes with null for an unknown container. */
    public CompletableFuture<String> logs(OptionalInt lines) {
        return call(() -> record == null ? null : console.tail(lines.orElse(Integer.MAX_VALUE)));
    }

    // ---- lifecycle ---------------------------------------------------------------------------

    /** Creates (or re-creates after a delete) this container and installs it. */
    void create(ContainerRecord newRecord) {
        onLoop(() -> {
            record = newRecord;
            startPattern = StartPattern.of(newRecord.compiledStartPattern());
            startDiskChecks();
            runInstall();
        });
    }

    /** Reinstalls with possibly new image and install script; refused while the process runs. */
    CompletableFuture<ActionResult> reinstall(String image, String installScript) {
        return call(() -> {
            if (record == null) {
                return ActionResult.notFound("unknown container");
            }
            if (install != null || record.installState() == InstallState.INSTALLING) {
                return ActionResult.conflict("already installing");
            }
            if (busy != null) {
                return ActionResult.conflict(busy);
            }
            busy = "server is reinstalling";
            cancelCrashRestart(null);
            killFirst().whenComplete((v, err) -> onLoop(() -> {
                busy = null;
                if (record == null || install != null) {
                    return;
                }
                record = record.withInstallInputs(image == null ? record.image() : image,
                        installScript == null ? record.installScript() : installScript, clock.instant());
                runInstall();
            }));
            return ActionResult.ok();
        });
    }

    /**
     * Brings a stored container back after a daemon restart: history from the runtime's log, re-attach
     * if running. Completes once both are done.
     */
    CompletableFuture<Void> restore(ContainerRecord stored, boolean running, int historyBytes) {
        CompletableFuture<Void> restored = new CompletableFuture<>();
        onLoop(() -> {
            record = stored;
            startPattern = StartPattern.of(stored.compiledStartPattern());
            startDiskChecks();
            if (stored.installState() == InstallState.INSTALLING) {
                record = record.withStates(InstallState.FAILED, ContainerState.EXIT, clock.instant());
                state = ContainerState.EXIT;
                publish();
                persist();
                log.warn("the daemon stopped during its install; marked failed, reinstall it");
                restored.complete(null);
                return;
            }
            state = stored.installState() == InstallState.INSTALLED && stored.state() == ContainerState.INSTALLED
                    && !running ? ContainerState.INSTALLED : ContainerState.EXIT;
            publish();
            attempt(() -> runtime.logTail(id, historyBytes)).whenComplete((tail, err) -> loop.execute(() -> {
                if (record == null || run != null || install != null) {
                    restored.complete(null);
                    return;
                }
                if (tail != null && tail.length > 0) {
                    console.seed(tail, tail.length >= historyBytes);
                }
                if (running) {
                    reattach(restored);
                } else if (stored.state().isActive()) {
                    exitedWhileDown(stored.state(), restored);
                } else {
                    if (stored.state() != state) {
                        setState(state);
                    }
                    if (record.exits().restartPending()) {
                        int attempt = record.exits().recentCrashes().size();
                        log.info("a restart after a crash was due when the daemon stopped; restarting (attempt {})",
                                attempt);
                        scheduleRestart(attempt);
                    }
                    restored.complete(null);
                }
            }));
        });
        return restored;
    }

    /**
     * The server ran when the daemon stopped and no longer does: the runtime's record of its exit
     * (code, OOM kill, time) is reported as the exit it was, one nobody asked for unless a stop was
     * under way ({@code stopping}), so messages, {@code last_exit}, the crash count and the restart
     * policy see it. Without such a record it is only marked {@code exit}.
     */
    private void exitedWhileDown(ContainerState storedState, CompletableFuture<Void> done) {
        attempt(() -> runtime.lastExit(id)).whenComplete((report, err) -> loop.execute(() -> {
            try {
                if (record == null || run != null || install != null) {
                    return;
                }
                if (err != null || report == null || report.isEmpty()) {
                    if (err != null) {
                        log.warn("cannot read how the server exited while the daemon was down: {}", describe(err));
                    }
                    setState(ContainerState.EXIT);
                    return;
                }
                ExitReport exit = report.get();
                log.info("exited with code {} while the daemon was down", exit.exitCode());
                Run r = new Run(false);
                r.started = true;
                run = r;
                exitRequested = storedState == ContainerState.STOPPING;
                onExit(r, exit.exitCode(), exit.outOfMemory(),
                        exit.finishedAt() == null ? clock.instant() : exit.finishedAt());
            } finally {
                done.complete(null);
            }
        }));
    }

    private void reattach(CompletableFuture<Void> done) {
        Run r = new Run(false);
        r.started = true;
        run = r;
        startPattern = null;
        attempt(() -> runtime.attach(record.toSpec(), loop, r)).whenComplete((attached, err) -> loop.execute(() -> {
            reattached(r, attached, err);
            done.complete(null);
        }));
    }

    private void reattached(Run r, Boolean attached, Throwable err) {
        if (run != r) {
            return;
        }
        if (err != null || !Boolean.TRUE.equals(attached)) {
            run = null;
            if (err != null) {
                log.warn("re-attach failed: {}", describe(err));
            }
            setState(ContainerState.EXIT);
            return;
        }
        log.info("re-attached to the running process");
        startPattern = StartPattern.of(record.compiledStartPattern());
        setState(ContainerState.RUNNING);
    }

    /**
     * Forgets the container: a running or installing server is killed first, with the events of a
     * kill ({@code stopping}, {@code exit}, {@code Container stopped}); then the runtime's container
     * is removed and the hub goes silent.
     */
    CompletableFuture<Void> delete() {
        return this.<CompletableFuture<Void>>call(() -> {
            busy = "server is being deleted";
            cancelCrashRestart(null);
            return killFirst();
        }).thenCompose(f -> f).handle((v, err) -> null).thenCompose(ignored -> call(() -> {
            busy = null;
            if (diskTimer != null) {
                diskTimer.cancel(false);
                diskTimer = null;
            }
            record = null;
            run = null;
            install = null;
            restartPending = false;
            console.clear();
            statsDetector.reset();
            lastStats = null;
            state = ContainerState.INSTALLED;
            publish();
            return null;
        })).thenCompose(cleared -> attempt(() -> runtime.remove(id)).exceptionally(err -> {
            if (unwrap(err) instanceof ContainerNotFoundException) {
                return null; // never created (deleted during its install) or already gone
            }
            throw err instanceof CompletionException c ? c : new CompletionException(err);
        }));
    }

    // ---- power and commands ------------------------------------------------------------------

    /**
     * A power action. A start (and a restart's start) is refused while the volume is over its disk
     * limit; the volume is measured first, on the blocking executor.
     */
    public CompletableFuture<ActionResult> power(PowerAction action) {
        if (action == PowerAction.START || action == PowerAction.RESTART) {
            return measureDisk().handle((usage, err) -> null).thenCompose(ignored -> powerOnLoop(action));
        }
        return powerOnLoop(action);
    }

    private CompletableFuture<ActionResult> powerOnLoop(PowerAction action) {
        return call(() -> {
            if (record == null) {
                return ActionResult.notFound("unknown container");
            }
            if (busy != null) {
                return ActionResult.conflict(busy);
            }
            log.info("power {} requested in state {}", action.wireName(), state.wireName());
            if (!runtime.available()) {
                return ActionResult.unavailable("container runtime unavailable");
            }
            return switch (action) {
                case START -> start(false);
                case STOP -> stop();
                case KILL -> kill();
                case RESTART -> restart();
            };
        });
    }

    /**
     * Writes {@code command} (UTF-8) to the server's stdin. Completes with CONFLICT unless the server
     * runs, NOT_FOUND without a record, UNAVAILABLE or FAILED when the runtime could not write it.
     */
    public CompletableFuture<ActionResult> command(String command) {
        return this.<CompletableFuture<ActionResult>>call(() -> {
            if (record == null) {
                return CompletableFuture.completedFuture(ActionResult.notFound("unknown container"));
            }
            if (!state.isActive() || run == null) {
                return CompletableFuture.completedFuture(ActionResult.conflict("not running"));
            }
            return attempt(() -> runtime.writeStdin(id, command.getBytes(StandardCharsets.UTF_8)))
                    .handle((v, err) -> err == null ? ActionResult.ok() : failure("command failed", err));
        }).thenCompose(f -> f);
    }

    private ActionResult start(boolean asRestart) {
        ActionResult installProblem = installProblem();
        if (installProblem != null) {
            return installProblem;
        }
        if (state.isActive()) {
            return ActionResult.conflict("already running");
        }
        String diskProblem = diskProblem();
        if (diskProblem != null) {
            return ActionResult.conflict(diskProblem);
        }
        forgetCrashes();
        runStart(asRestart);
        return ActionResult.ok();
    }

    /** A requested start begins afresh: the crashes counted so far and a pending restart are forgotten. */
    private void forgetCrashes() {
        cancelPendingRestart();
        if (!record.exits().recentCrashes().isEmpty() || record.exits().restartPending()) {
            record = record.withExits(record.exits().withoutCrashes(), clock.instant());
        }
    }

    private void cancelPendingRestart() {
        if (pendingRestart != null) {
            pendingRestart.cancel(false);
            pendingRestart = null;
        }
    }

    /**
     * Cancels a restart after a crash that waits out its backoff (or was due when the daemon
     * stopped): the timer is cancelled and {@code restart_pending} cleared in the record. With
     * {@code requestedBy} (a stop or kill of an exited server) subscribers are told; a delete or
     * reinstall passes null. On the loop; true when a restart was pending.
     */
    private boolean cancelCrashRestart(String requestedBy) {
        boolean pending = pendingRestart != null || (record != null && record.exits().restartPending());
        cancelPendingRestart();
        if (!pending) {
            return false;
        }
        if (record != null && record.exits().restartPending()) {
            record = record.withExits(record.exits().withRestartPending(false), clock.instant());
            persist();
        }
        if (requestedBy != null) {
            log.info("{} cancelled the pending restart after a crash", requestedBy);
            message("Pending restart after crash cancelled by " + requestedBy);
        }
        return true;
    }

    /** The refusal text while the volume is over its limit, else null. */
    private String diskProblem() {
        long limit = record.lifecycle().diskLimit();
        if (limit > 0 && diskUsage > limit) {
            return "disk limit exceeded (used " + diskUsage + " of " + limit + " bytes)";
        }
        return null;
    }

    private ActionResult installProblem() {
        if (install != null || record.installState() == InstallState.INSTALLING) {
            return ActionResult.conflict("server is installing");
        }
        if (record.installState() == InstallState.FAILED) {
            return ActionResult.conflict("install failed; reinstall the server first");
        }
        return null;
    }

    private ActionResult stop() {
        if (state == ContainerState.STOPPING) {
            return ActionResult.conflict("already stopping");
        }
        if (!state.isActive() && cancelCrashRestart("stop")) {
            return ActionResult.ok();
        }
        if (!state.isActive()) {
            return ActionResult.conflict("not running");
        }
        requestStop();
        return ActionResult.ok();
    }

    private ActionResult kill() {
        if (install != null) {
            // A kill during an install ends it, as a delete does (the install counts as failed), so an
            // install that hangs need not be deleted to be stopped.
            killFirst();
            return ActionResult.ok();
        }
        if (!state.isActive() && cancelCrashRestart("kill")) {
            return ActionResult.ok();
        }
        if (!state.isActive()) {
            return ActionResult.conflict("not running");
        }
        Run r = run;
        ContainerState before = state;
        exitRequested = true;
        restartPending = false;
        if (state != ContainerState.STOPPING) {
            setState(ContainerState.STOPPING);
        }
        attempt(() -> runtime.kill(id)).whenComplete((v, err) -> loop.execute(() -> {
            if (err != null && run == r && r != null && !r.exited) {
                actionFailed(r, before, "kill failed", err);
            } else if (err == null) {
                confirmExit(r, "kill");
            }
        }));
        return ActionResult.ok();
    }

    private ActionResult restart() {
        ActionResult installProblem = installProblem();
        if (installProblem != null) {
            return installProblem;
        }
        String diskProblem = diskProblem();
        if (diskProblem != null) {
            return ActionResult.conflict(diskProblem);
        }
        forgetCrashes();
        switch (state) {
            case STARTING, RUNNING -> {
                restartPending = true;
                requestStop();
            }
            case STOPPING -> restartPending = true;
            default -> runStart(true);
        }
        return ActionResult.ok();
    }

    private void requestStop() {
        Run r = run;
        ContainerState before = state;
        exitRequested = true;
        setState(ContainerState.STOPPING);
        if (stopSequence != null) {
            stopSequence.finish();
        }
        StopSequence sequence = new StopSequence(id, loop, runtime, this::attempt, record.stopCommand(),
                record.lifecycle().stopSignal(), stopTimeout, new StopSequence.Listener() {
                    @Override
                    public void stopFailed(Throwable cause) {
                        if (run == r && r != null && !r.exited) {
                            stopSequence = null;
                            actionFailed(r, before, "stop failed", cause);
                        }
                    }

                    @Override
                    public void killFailed(Throwable cause) {
                        if (run == r && r != null && !r.exited) {
                            stopSequence = null;
                            actionFailed(r, before, "kill failed", cause);
                        }
                    }
                });
        stopSequence = sequence;
        sequence.start();
        // After the kill the exit must be reported; if that report is lost, the confirmation ends the run.
        loop.schedule(() -> {
            if (run == r && stopSequence == sequence) {
                confirmExit(r, "stop");
            }
        }, stopTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * A stop or kill the runtime carried out is followed by the run's exit report. Should that
     * report be lost (a stream that broke at that moment), the server must not stay
     * {@code stopping}: some time later the runtime is asked whether the process still runs, and if
     * not the run ends as an exit. If it does run, it is {@code running} again, and the user is told.
     */
    private void confirmExit(Run r, String what) {
        if (r == null || r.exited) {
            return;
        }
        loop.schedule(() -> {
            if (run != r || r.exited) {
                return;
            }
            attempt(runtime::listRunning).whenComplete((running, err) -> loop.execute(() -> {
                if (run != r || r.exited || err != null) {
                    return; // an unreachable runtime is the outage handling's business
                }
                if (!running.contains(id)) {
                    log.warn("{} done but no exit was reported; the runtime no longer runs it", what);
                    onExit(r, -1, false);
                } else if (state == ContainerState.STOPPING) {
                    log.warn("{} done but the process still runs", what);
                    if (stopSequence != null) {
                        stopSequence.finish();
                        stopSequence = null;
                    }
                    exitRequested = false;
                    restartPending = false;
                    message("Error: " + what + " did not end the server; it is still running");
                    setState(ContainerState.RUNNING);
                }
            }));
        }, EXIT_CONFIRM_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * A stop or kill failed while the run still stands. When the runtime no longer has the container,
     * nothing runs any more: the run ends as an exit. Otherwise the process still runs in the state it
     * had, and a pending restart is dropped.
     */
    private void actionFailed(Run r, ContainerState before, String what, Throwable err) {
        exitRequested = false;
        restartPending = false;
        message("Error: " + failure(what, err).error());
        if (unwrap(err) instanceof ContainerNotFoundException) {
            log.warn("{}: the runtime has no such container; marking it exited", what);
            console.endOfOutput();
            r.exited = true;
            run = null;
            lastStats = null;
            setState(ContainerState.EXIT);
            message("Container stopped");
            return;
        }
        log.warn("{}: {}", what, describe(err));
        setState(before);
    }

    private void runStart(boolean asRestart) {
        Run r = new Run(asRestart);
        run = r;
        exitRequested = false;
        statsDetector.reset();
        lastStats = null;
        if (startPattern != null) {
            startPattern.reset();
        }
        setState(ContainerState.STARTING);
        attempt(() -> runtime.start(record.toSpec(), loop, r)).whenComplete((v, err) -> loop.execute(() -> {
            if (run != r) {
                return;
            }
            if (err != null) {
                run = null;
                log.warn("start failed: {}", describe(err));
                message("Error: " + failure("start failed", err).error());
                setState(ContainerState.EXIT);
                return;
            }
            r.markStarted();
        }));
    }

    private void onExit(Run r, int exitCode, boolean outOfMemory) {
        onExit(r, exitCode, outOfMemory, clock.instant());
    }

    /** The run ended with {@code exitCode} at {@code now} (the runtime's exit time for an exit while the daemon was down). */
    private void onExit(Run r, int exitCode, boolean outOfMemory, Instant now) {
        console.endOfOutput();
        r.markStarted();
        r.exited = true;
        run = null;
        boolean requested = exitRequested;
        boolean restart = restartPending;
        exitRequested = false;
        restartPending = false;
        StopSequence sequence = stopSequence;
        stopSequence = null;
        if (sequence != null) {
            sequence.finish();
        }
        lastStats = null;
        record = record.withExits(record.exits().withExit(exitCode, outOfMemory, now), now);
        setState(ContainerState.EXIT);
        message("Container stopped");
        if (sequence != null && sequence.killed()) {
            message("Error: server did not stop within " + sequence.timeoutSeconds() + " s; killed");
        }
        if (!requested) {
            if (outOfMemory) {
                message("Error: server ran out of memory" + limitText(record.memoryLimit()) + " and was killed");
            } else if (exitCode == 0) {
                message("Server exited with code 0");
            } else {
                message("Error: server exited with code " + exitCode);
            }
        }
        log.info("process exited with code {}{}{}", exitCode, outOfMemory ? " (out of memory)" : "",
                requested ? "" : " (not requested)");
        CompletableFuture<Void> ended = runEnded;
        runEnded = null;
        if (ended != null) {
            ended.complete(null);
        }
        if (restart) {
            runStart(true);
        } else if (!requested && !closing && busy == null) {
            afterCrash(exitCode, now);
        }
    }

    /** " (limit 16 MiB)" for the out-of-memory message; empty without a limit. */
    static String limitText(long bytes) {
        if (bytes <= 0) {
            return "";
        }
        if (bytes % (1024L * 1024) == 0) {
            return " (limit " + bytes / (1024L * 1024) + " MiB)";
        }
        if (bytes % 1024 == 0) {
            return " (limit " + bytes / 1024 + " KiB)";
        }
        return " (limit " + bytes + " bytes)";
    }

    /** An exit nobody asked for: a crash when the restart policy says so, restarted after a backoff or given up on. */
    private void afterCrash(int exitCode, Instant now) {
        RestartPolicy policy = record.lifecycle().restartPolicy();
        if (!policy.restartsAfter(exitCode)) {
            return;
        }
        ExitHistory crashes = record.exits().withCrash(now, policy.windowSeconds());
        int count = crashes.recentCrashes().size();
        if (!policy.allowsAttempt(count)) {
            record = record.withExits(crashes.withRestartPending(false), now);
            persist();
            log.warn("crashed {} times in {} s; not restarting", count, policy.windowSeconds());
            message("Error: server crashed " + count + " times in " + policy.windowSeconds() + " s; not restarting");
            return;
        }
        record = record.withExits(crashes.withRestartPending(true), now);
        persist();
        message("Restarting after crash (attempt " + count
                + (policy.maxRetries() > 0 ? " of " + policy.maxRetries() : "") + ")");
        scheduleRestart(count);
    }

    /** Starts the server again after the backoff of {@code attempt}, unless something else happened meanwhile. */
    private void scheduleRestart(int attempt) {
        cancelPendingRestart();
        Duration wait = RestartPolicy.backoff(attempt);
        log.info("restart attempt {} in {} s", attempt, wait.toSeconds());
        pendingRestart = loop.schedule(() -> {
            pendingRestart = null;
            if (record == null || closing || busy != null || install != null || state.isActive()
                    || !record.exits().restartPending()) {
                return;
            }
            // Every start measures the volume first; a stop, kill, delete or reinstall meanwhile clears the flag.
            measureDisk().handle((usage, err) -> null).thenRun(() -> onLoop(this::restartAfterCrash));
        }, wait.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The crash restart once the volume is measured: refused over the disk limit (no further attempts). */
    private void restartAfterCrash() {
        if (record == null || closing || busy != null || install != null || state.isActive()
                || !record.exits().restartPending()) {
            return;
        }
        record = record.withExits(record.exits().withRestartPending(false), clock.instant());
        String diskProblem = diskProblem();
        if (diskProblem != null) {
            persist();
            log.warn("{}; not restarting after the crash", diskProblem);
            message("Error: " + diskProblem);
            return;
        }
        runStart(false);
    }

    /**
     * Ends what runs before a delete or reinstall, as a kill does: an install is ended ({@code stopping},
     * {@code exit}, {@code Container stopped}); a running server is killed and its exit awaited (a lost
     * exit report is replaced after {@link #EXIT_CONFIRM_MILLIS}). Completes on the loop; at once when
     * nothing runs. On the loop.
     */
    private CompletableFuture<Void> killFirst() {
        if (install != null) {
            install = null;
            setState(ContainerState.STOPPING);
            return attempt(() -> runtime.remove(id)).handle((v, err) -> {
                if (err != null) {
                    log.warn("ending the install failed: {}", describe(err));
                }
                return (Void) null;
            }).thenCompose(v -> call(() -> {
                console.endOfOutput();
                record = record.withStates(InstallState.FAILED, state, clock.instant());
                setState(ContainerState.EXIT);
                message("Container stopped");
                return null;
            }));
        }
        Run r = run;
        if (r == null || r.exited || !state.isActive()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> ended = new CompletableFuture<>();
        runEnded = ended;
        exitRequested = true;
        restartPending = false;
        if (state != ContainerState.STOPPING) {
            setState(ContainerState.STOPPING);
        }
        attempt(() -> runtime.kill(id)).whenComplete((v, err) -> onLoop(() -> {
            if (err != null) {
                log.warn("kill before removal failed: {}", describe(err));
            }
        }));
        ScheduledFuture<?> deadline = loop.schedule(() -> {
            if (run == r && !r.exited) {
                log.warn("no exit reported {} ms after the kill; taking the server as ended", EXIT_CONFIRM_MILLIS);
                onExit(r, -1, false);
            }
        }, EXIT_CONFIRM_MILLIS, TimeUnit.MILLISECONDS);
        ended.whenComplete((v, err) -> deadline.cancel(false));
        return ended;
    }

    // ---- disk --------------------------------------------------------------------------------

    private void startDiskChecks() {
        if (volume == null || diskTimer != null) {
            return;
        }
        diskDueNanos = loop.ticker().nanoTime();
        diskTimer = loop.schedule(this::onDiskTimer, 0, TimeUnit.NANOSECONDS);
    }

    /**
     * Checks, then sets the next check on the timer grid: the checks of a loop's servers that fall in
     * the same second share one wake-up (a check may come up to a second after its period).
     */
    private void onDiskTimer() {
        ScheduledFuture<?> fired = diskTimer;
        checkDisk();
        if (fired != null && diskTimer == fired) {
            long now = loop.ticker().nanoTime();
            diskDueNanos = TimerGrid.nextDue(diskDueNanos, TimeUnit.MILLISECONDS.toNanos(diskCheckMillis), now);
            diskTimer = loop.schedule(this::onDiskTimer, diskDueNanos - now, TimeUnit.NANOSECONDS);
        }
    }

    /** Measures the volume, and stops a running server that is over its limit. */
    private void checkDisk() {
        if (record == null || diskCheckInFlight) {
            return;
        }
        diskCheckInFlight = true;
        measureDisk().whenComplete((usage, err) -> onLoop(() -> {
            diskCheckInFlight = false;
            if (err != null || record == null) {
                return;
            }
            String problem = diskProblem();
            if (problem != null && run != null && !exitRequested
                    && (state == ContainerState.STARTING || state == ContainerState.RUNNING)) {
                log.warn("{}; stopping the server", problem);
                message("Error: " + problem);
                requestStop();
            }
        }));
    }

    /** Measures the volume on the blocking executor; completes with its usage (also kept in {@link #diskUsage}). */
    private CompletableFuture<Long> measureDisk() {
        if (volume == null) {
            return CompletableFuture.completedFuture(diskUsage);
        }
        try {
            return CompletableFuture.supplyAsync(() -> {
                long usage = DiskUsage.measure(volume);
                diskUsage = usage;
                return usage;
            }, blocking);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** The daemon is shutting down: no more restarts or disk checks, and exits from now on are not crashes. */
    CompletableFuture<Void> shutdown() {
        return call(() -> {
            closing = true;
            cancelPendingRestart();
            if (diskTimer != null) {
                diskTimer.cancel(false);
                diskTimer = null;
            }
            return null;
        });
    }

    // ---- install -----------------------------------------------------------------------------

    private void runInstall() {
        Install i = new Install();
        install = i;
        record = record.withStates(InstallState.INSTALLING, ContainerState.INSTALLING, clock.instant());
        setState(ContainerState.INSTALLING);
        log.info("installing image {}{}", record.image(),
                record.installScript() == null ? "" : " with install script");
        attempt(() -> runtime.install(record.toSpec(), loop, i)).whenComplete((code, err) -> loop.execute(() -> {
            if (install != i) {
                return;
            }
            install = null;
            console.endOfOutput();
            if (err != null) {
                log.warn("install failed: {}", describe(err));
                message("Error: " + failure("install failed", err).error());
                record = record.withStates(InstallState.FAILED, state, clock.instant());
                setState(ContainerState.EXIT);
            } else if (code != 0) {
                log.warn("install script exited with code {}", code);
                message("Error: install failed (exit " + code + ")");
                record = record.withStates(InstallState.FAILED, state, clock.instant());
                setState(ContainerState.EXIT);
            } else {
                log.info("installed");
                record = record.withStates(InstallState.INSTALLED, state, clock.instant());
                setState(ContainerState.INSTALLED);
            }
        }));
    }

    // ---- output ------------------------------------------------------------------------------

    /** Assembled console text while the server is starting: a line that matches the start pattern means it runs. */
    private void watchForStart(String text) {
        if (run != null && !run.patternMatched && startPattern != null && state == ContainerState.STARTING
                && startPattern.find(text)) {
            run.patternMatched = true;
            setState(ContainerState.RUNNING);
            message("Server started");
            log.info("start pattern matched, server running");
        }
    }

    private void onStats(Stats sample) {
        lastSampleNanos = loop.ticker().nanoTime();
        List<Subscriber> awaiting = awaitingStats;
        awaitingStats = null;
        Stats toSend = statsDetector.offer(sample);
        if (toSend == null) {
            // Unchanged: those waiting for a fresh sample get the last one sent, now known current.
            if (awaiting != null && lastStats != null) {
                for (Subscriber subscriber : awaiting) {
                    subscribers.sendTo(subscriber, lastStats, null);
                }
            }
            return;
        }
        lastStats = OutboundEvents.stats(toSend);
        lastSample = toSend;
        publish();
        subscribers.stats(lastStats);
    }

    // ---- helpers -----------------------------------------------------------------------------

    private void setState(ContainerState newState) {
        state = newState;
        if (record != null) {
            record = record.withStates(record.installState(), newState, clock.instant());
            persist();
        }
        broadcast(OutboundEvents.state(newState));
        publish();
    }

    /** Publishes the current view for the node stream and tells the observer; loop only. */
    private void publish() {
        ServerView old = view;
        view = record == null ? null : new ServerView(id, record.image(), record.installState(), state,
                lastStats == null ? null : lastSample, record.memoryLimit(), subscribers.size());
        if (old != null || view != null) {
            observer.viewChanged(id);
        }
    }

    private void persist() {
        registry.update(record).exceptionally(err -> {
            log.error("cannot store its record: {}", describe(err));
            return null;
        });
    }

    private void message(String text) {
        broadcast(OutboundEvents.daemonMessage(text));
    }

    /**
     * Sends a frame that is never dropped (state and daemon messages) to every subscriber, after the
     * console text gathered before it.
     */
    private void broadcast(byte[] json) {
        console.flushLive();
        subscribers.event(json);
    }

    private static ActionResult failure(String what, Throwable err) {
        Throwable cause = unwrap(err);
        if (cause instanceof RuntimeUnavailableException) {
            return ActionResult.unavailable("container runtime unavailable");
        }
        if (cause instanceof ContainerNotFoundException) {
            return ActionResult.conflict(what + ": the runtime has no such container");
        }
        return ActionResult.failed(what + ": " + describe(cause));
    }

    private static Throwable unwrap(Throwable err) {
        Throwable t = err;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    static String describe(Throwable err) {
        Throwable t = unwrap(err);
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /**
     * Calls the runtime; a call that throws instead of returning a failed future (a broken contract)
     * fails the same way, so the state machine always gets its answer and never stays in
     * {@code starting}, {@code stopping} or {@code installing}. The id is in the MDC meanwhile, so
     * what the runtime logs while it is called is marked with the container.
     */
    private <T> CompletableFuture<T> attempt(Supplier<CompletableFuture<T>> call) {
        try {
            return log.around(call);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void onLoop(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }

    private <T> CompletableFuture<T> call(Supplier<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        onLoop(() -> {
            try {
                result.complete(task.get());
            } catch (Throwable t) {
                log.error("unexpected failure", t);
                result.completeExceptionally(t);
            }
        });
        return result;
    }

    /** One start of the process; callbacks of an earlier run are ignored. */
    private final class Run implements RuntimeListener {
        private final boolean asRestart;
        private boolean started;
        private boolean exited;
        private boolean patternMatched;

        Run(boolean asRestart) {
            this.asRestart = asRestart;
        }

        void markStarted() {
            if (started) {
                return;
            }
            started = true;
            message("Container started");
            if (startPattern == null && state == ContainerState.STARTING) {
                setState(ContainerState.RUNNING);
            }
            if (asRestart) {
                message("Container restarted");
            }
            log.info("process started{}", asRestart ? " (restart)" : "");
        }

        @Override
        public void onOutput(ByteBuf chunk) {
            try {
                if (run == this) {
                    markStarted();
                    console.accept(chunk);
                }
            } finally {
                chunk.release();
            }
        }

        @Override
        public void onProcessOutOfMemory() {
            if (run == this && !exited) {
                log.warn("a process of the server ran out of memory and was killed");
                message("Error: a process of the server ran out of memory" + limitText(record.memoryLimit())
                        + " and was killed");
            }
        }

        @Override
        public void onStats(Stats stats) {
            if (run == this && state.isActive()) {
                ContainerHub.this.onStats(stats);
            }
        }

        @Override
        public void onExit(int exitCode) {
            onExit(exitCode, false);
        }

        @Override
        public void onExit(int exitCode, boolean outOfMemory) {
            if (run == this && !exited) {
                ContainerHub.this.onExit(this, exitCode, outOfMemory);
            }
        }
    }

    /** One install; its output is console output like any other. */
    private final class Install implements InstallListener {
        @Override
        public void onOutput(ByteBuf chunk) {
            try {
                if (install == this) {
                    console.accept(chunk);
                }
            } finally {
                chunk.release();
            }
        }

        @Override
        public void onProgress(String text) {
            if (install == this) {
                message(text);
            }
        }
    }
}
