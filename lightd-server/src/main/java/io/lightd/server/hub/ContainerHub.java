package io.lightd.server.hub;

import io.lightd.protocol.ContainerState;
import io.lightd.protocol.InstallState;
import io.lightd.protocol.OutboundEvents;
import io.lightd.protocol.PowerAction;
import io.lightd.protocol.Stats;
import io.lightd.protocol.StatsChangeDetector;
import io.lightd.runtime.ContainerNotFoundException;
import io.lightd.runtime.ContainerRuntime;
import io.lightd.runtime.InstallListener;
import io.lightd.runtime.RuntimeListener;
import io.lightd.runtime.RuntimeUnavailableException;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.logging.ContainerLog;
import io.lightd.server.metrics.Metrics;
import io.lightd.server.store.ContainerRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything live about one container: its subscribers, state machine, console assembly and
 * history, start-pattern matching and stats fan-out. Confined to one event loop: every field is
 * touched only there, and every public method hops onto it, so no locks are needed. Each outbound
 * event is encoded once and the same bytes go to every subscriber.
 *
 * <p>A hub without a record is a container nobody created (yet): it keeps its subscribers and sends
 * them nothing until the container is created.
 */
public final class ContainerHub {

    private static final Logger LOG = LoggerFactory.getLogger(ContainerHub.class);
    static final long PARTIAL_LINE_FLUSH_MILLIS = 50;
    private static final int MAX_PATTERN_LINE_CHARS = 16 * 1024;
    /** How long after a completed stop or kill the exit report may take before the runtime is asked. */
    static final long EXIT_CONFIRM_MILLIS = 10_000;

    /** A throttle episode that sees no output for this long is over, and its skipped lines are reported. */
    static final long THROTTLE_QUIET_MILLIS = 1000;
    /** Shared frames come from the pooled allocator, whose duplicates are recycled rather than allocated. */
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    private final String id;
    private final EventExecutor loop;
    private final ContainerRuntime runtime;
    private final ContainerRegistry registry;
    private final Clock clock;
    private final Duration stopTimeout;
    private final Subscribers subscribers;
    private final ConsoleAssembler assembler;
    /** The frame budget between the assembler and the fan-out ({@code console.coalesce_ms}). */
    private final ConsoleCoalescer coalescer;
    private final ConsoleHistory history;
    private final StatsChangeDetector statsDetector = new StatsChangeDetector();
    private final ConsoleThrottle throttle;
    private final Metrics metrics;
    private final ContainerLog log;
    /** Pending while live output is being throttled: reports the skipped lines once the episode ends. */
    private ScheduledFuture<?> throttleNotice;
    private long lastThrottledNanos;

    /** Guarded by the hub map's per-key lock in {@link ContainerManager}: subscribers plus one for a record. */
    int references;

    private ContainerRecord record;
    private ContainerState state = ContainerState.INSTALLED;
    private Pattern startPattern;
    private final StringBuilder patternLine = new StringBuilder();
    private Run run;
    private Install install;
    private byte[] lastStats;
    private boolean exitRequested;
    private boolean restartPending;

    /** A hub without a frame budget: every piece of console text is its own event (tests of other behaviour). */
    ContainerHub(String id, EventExecutor loop, ContainerRuntime runtime, ContainerRegistry registry, Clock clock,
                 LightdConfig.Limits limits, Metrics metrics) {
        this(id, loop, runtime, registry, clock, limits, metrics, 0);
    }

    /**
     * @param coalesceMillis the console frame budget in milliseconds ({@code console.coalesce_ms}); 0
     *                       sends console text as it comes
     */
    ContainerHub(String id, EventExecutor loop, ContainerRuntime runtime, ContainerRegistry registry, Clock clock,
                 LightdConfig.Limits limits, Metrics metrics, int coalesceMillis) {
        this.id = id;
        this.metrics = metrics;
        this.log = new ContainerLog(LOG, id);
        this.loop = loop;
        this.runtime = runtime;
        this.registry = registry;
        this.clock = clock;
        this.stopTimeout = limits.stopTimeout();
        this.subscribers = new Subscribers(metrics);
        this.assembler = new ConsoleAssembler(loop, PARTIAL_LINE_FLUSH_MILLIS, TimeUnit.MILLISECONDS, this::onConsoleText);
        this.coalescer = new ConsoleCoalescer(loop, coalesceMillis, this::broadcastConsole);
        this.history = new ConsoleHistory(limits.historyLines(), limits.historyBytes());
        this.throttle = new ConsoleThrottle(limits.consoleLinesPerSecond(), limits.consoleBytesPerSecond(),
                loop.ticker());
    }

    public String id() {
        return id;
    }

    public EventExecutor loop() {
        return loop;
    }

    /** How many channels watch this container now; any thread (a moment's snapshot). */
    public int subscriberCount() {
        return subscribers.size();
    }

    // ---- subscribers -------------------------------------------------------------------------

    /** Adds a subscriber; it gets the current state (and latest stats when running) first, to itself only. */
    public void subscribe(Channel channel) {
        onLoop(() -> {
            if (!channel.isActive() || !subscribers.add(channel)) {
                return;
            }
            channel.closeFuture().addListener(f -> unsubscribe(channel));
            if (record != null) {
                channel.write(frame(OutboundEvents.state(state)));
                if (state == ContainerState.RUNNING && lastStats != null) {
                    channel.write(frame(lastStats));
                }
                channel.flush();
            }
        });
    }

    public void unsubscribe(Channel channel) {
        try {
            onLoop(() -> subscribers.remove(channel));
        } catch (RejectedExecutionException shuttingDown) {
            // The hub's loop is going away, and its subscribers with it.
        }
    }

    /** The console history for {@code request_logs}; completes with null for an unknown container. */
    public CompletableFuture<String> logs(OptionalInt lines) {
        return call(() -> record == null ? null : history.tail(lines.orElse(Integer.MAX_VALUE)));
    }

    // ---- lifecycle ---------------------------------------------------------------------------

    /** Creates (or re-creates after a delete) this container and installs it. */
    void create(ContainerRecord newRecord) {
        onLoop(() -> {
            record = newRecord;
            startPattern = newRecord.compiledStartPattern();
            runInstall();
        });
    }

    /** Reinstalls with possibly new image and install script; refused while the process runs. */
    CompletableFuture<ActionResult> reinstall(String image, String installScript) {
        return call(() -> {
            if (record == null) {
                return ActionResult.notFound("unknown container");
            }
            if (install != null) {
                return ActionResult.conflict("already installing");
            }
            if (state.isActive()) {
                return ActionResult.conflict("server is running; stop it first");
            }
            record = record.withInstallInputs(image == null ? record.image() : image,
                    installScript == null ? record.installScript() : installScript, clock.instant());
            runInstall();
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
            startPattern = stored.compiledStartPattern();
            if (stored.installState() == InstallState.INSTALLING) {
                record = record.withStates(InstallState.FAILED, ContainerState.EXIT, clock.instant());
                state = ContainerState.EXIT;
                persist();
                log.warn("the daemon stopped during its install; marked failed, reinstall it");
                restored.complete(null);
                return;
            }
            state = stored.installState() == InstallState.INSTALLED && stored.state() == ContainerState.INSTALLED
                    && !running ? ContainerState.INSTALLED : ContainerState.EXIT;
            attempt(() -> runtime.logTail(id, historyBytes)).whenComplete((tail, err) -> loop.execute(() -> {
                if (record == null || run != null || install != null) {
                    restored.complete(null);
                    return;
                }
                if (tail != null && tail.length > 0) {
                    history.seed(tail, tail.length >= historyBytes);
                }
                if (running) {
                    reattach(restored);
                } else {
                    if (stored.state() != state) {
                        setState(state);
                    }
                    restored.complete(null);
                }
            }));
        });
        return restored;
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
        startPattern = record.compiledStartPattern();
        setState(ContainerState.RUNNING);
    }

    /** Forgets the container: stops its process, removes the runtime's container, goes silent. */
    CompletableFuture<Void> delete() {
        return call(() -> {
            record = null;
            run = null;
            install = null;
            restartPending = false;
            assembler.discard();
            coalescer.discard();
            history.clear();
            statsDetector.reset();
            lastStats = null;
            state = ContainerState.INSTALLED;
            return null;
        }).thenCompose(ignored -> attempt(() -> runtime.remove(id)));
    }

    // ---- power and commands ------------------------------------------------------------------

    public CompletableFuture<ActionResult> power(PowerAction action) {
        return call(() -> {
            if (record == null) {
                return ActionResult.notFound("unknown container");
            }
            log.info("power {} requested in state {}", action.wireName(), state.wireName());
            if (!runtime.available()) {
                return ActionResult.failed("container runtime unavailable", 503);
            }
            return switch (action) {
                case START -> start(false);
                case STOP -> stop();
                case KILL -> kill();
                case RESTART -> restart();
            };
        });
    }

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
        runStart(asRestart);
        return ActionResult.ok();
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
        if (!state.isActive()) {
            return ActionResult.conflict("not running");
        }
        requestStop();
        return ActionResult.ok();
    }

    private ActionResult kill() {
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
        attempt(() -> runtime.stop(id, record.stopCommand(), stopTimeout)).whenComplete((v, err) -> loop.execute(() -> {
            if (err != null && run == r && r != null && !r.exited) {
                actionFailed(r, before, "stop failed", err);
            } else if (err == null) {
                confirmExit(r, "stop");
            }
        }));
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
                    onExit(r, -1);
                } else if (state == ContainerState.STOPPING) {
                    log.warn("{} done but the process still runs", what);
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
            assembler.flushAll();
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
        patternLine.setLength(0);
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

    private void onExit(Run r, int exitCode) {
        assembler.flushAll();
        r.markStarted();
        r.exited = true;
        run = null;
        boolean requested = exitRequested;
        boolean restart = restartPending;
        exitRequested = false;
        restartPending = false;
        lastStats = null;
        setState(ContainerState.EXIT);
        message("Container stopped");
        if (!requested) {
            message("Error: server exited with code " + exitCode);
        }
        log.info("process exited with code {}{}", exitCode, requested ? "" : " (not requested)");
        if (restart) {
            runStart(true);
        }
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
            assembler.flushAll();
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

    private void onConsoleText(String text) {
        history.append(text);
        int lines = ConsoleThrottle.lineCount(text);
        long bytes = ConsoleHistory.utf8Length(text);
        if (throttle.admit(lines, bytes)) {
            reportThrottled();
            coalescer.offer(text, bytes);
        } else {
            metrics.linesThrottled(lines);
            lastThrottledNanos = loop.ticker().nanoTime();
            if (throttleNotice == null) {
                throttleNotice = loop.schedule(this::onThrottleQuiet, THROTTLE_QUIET_MILLIS, TimeUnit.MILLISECONDS);
            }
        }
        if (run != null && !run.patternMatched && startPattern != null && state == ContainerState.STARTING) {
            matchStartPattern(text);
        }
    }

    /** The throttle episode ends when output gets through again, or after a quiet while. */
    private void onThrottleQuiet() {
        throttleNotice = null;
        long quietNanos = loop.ticker().nanoTime() - lastThrottledNanos;
        long quietMillis = TimeUnit.NANOSECONDS.toMillis(quietNanos);
        if (quietMillis < THROTTLE_QUIET_MILLIS) {
            throttleNotice = loop.schedule(this::onThrottleQuiet, THROTTLE_QUIET_MILLIS - quietMillis,
                    TimeUnit.MILLISECONDS);
            return;
        }
        reportThrottled();
    }

    private void reportThrottled() {
        if (throttleNotice != null) {
            throttleNotice.cancel(false);
            throttleNotice = null;
        }
        long skipped = throttle.takeSkipped();
        if (skipped > 0) {
            message("Error: console output throttled, skipped " + skipped + " lines");
        }
    }

    private void broadcastConsole(String text) {
        if (!subscribers.isEmpty()) {
            ByteBuf console = SharedFrames.text(ALLOC, OutboundEvents.console(text));
            ByteBuf duplicate = SharedFrames.text(ALLOC, OutboundEvents.consoleDuplicate(text));
            metrics.consoleBroadcast(subscribers.size(), console.readableBytes() + duplicate.readableBytes());
            subscribers.broadcast(console, duplicate, true, true);
        }
    }

    /** Searches each complete line; a partial line waits for its end, so a split line still matches. */
    private void matchStartPattern(String text) {
        int start = 0;
        while (start < text.length()) {
            int newline = text.indexOf('\n', start);
            if (newline < 0) {
                if (patternLine.length() < MAX_PATTERN_LINE_CHARS) {
                    patternLine.append(text, start, Math.min(text.length(), start + MAX_PATTERN_LINE_CHARS));
                }
                return;
            }
            patternLine.append(text, start, newline);
            int end = patternLine.length();
            if (end > 0 && patternLine.charAt(end - 1) == '\r') {
                patternLine.setLength(end - 1);
            }
            boolean found = startPattern.matcher(patternLine).find();
            patternLine.setLength(0);
            if (found) {
                run.patternMatched = true;
                setState(ContainerState.RUNNING);
                message("Server started");
                log.info("start pattern matched, server running");
                return;
            }
            start = newline + 1;
        }
    }

    private void onStats(Stats sample) {
        Stats toSend = statsDetector.offer(sample);
        if (toSend == null) {
            return;
        }
        lastStats = OutboundEvents.stats(toSend);
        if (!subscribers.isEmpty()) {
            subscribers.broadcast(SharedFrames.text(ALLOC, lastStats), null, true, false);
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    private void setState(ContainerState newState) {
        state = newState;
        if (record != null) {
            record = record.withStates(record.installState(), newState, clock.instant());
            persist();
        }
        broadcast(OutboundEvents.state(newState));
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
        coalescer.flush();
        if (!subscribers.isEmpty()) {
            subscribers.broadcast(SharedFrames.text(ALLOC, json), null, false, false);
        }
    }

    private static TextWebSocketFrame frame(byte[] json) {
        return new TextWebSocketFrame(Unpooled.wrappedBuffer(json));
    }

    private static ActionResult failure(String what, Throwable err) {
        Throwable cause = unwrap(err);
        if (cause instanceof RuntimeUnavailableException) {
            return ActionResult.failed("container runtime unavailable", 503);
        }
        if (cause instanceof ContainerNotFoundException) {
            return ActionResult.failed(what + ": the runtime has no such container", 409);
        }
        return ActionResult.failed(what + ": " + describe(cause), 500);
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
                    assembler.accept(chunk);
                }
            } finally {
                chunk.release();
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
            if (run == this && !exited) {
                ContainerHub.this.onExit(this, exitCode);
            }
        }
    }

    /** One install; its output is console output like any other. */
    private final class Install implements InstallListener {
        @Override
        public void onOutput(ByteBuf chunk) {
            try {
                if (install == this) {
                    assembler.accept(chunk);
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
