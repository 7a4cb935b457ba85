package io.lightd.testing;

import io.lightd.protocol.Stats;
import io.lightd.runtime.ContainerRuntime;
import io.lightd.runtime.ContainerSpec;
import io.lightd.runtime.ExitReport;
import io.lightd.runtime.InstallListener;
import io.lightd.runtime.RuntimeListener;
import io.lightd.runtime.StopSignal;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.EventExecutor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link ContainerRuntime} without processes, driven by hand: the one fake runtime of the server's
 * tests and the benchmarks.
 *
 * <p>Every call is recorded (see {@link #calls()}) and answered at once with an already completed
 * future: install succeeds with {@link #installExitCode(int)}, start records the run's listener and
 * loop, stop, signal and kill succeed. The test or benchmark then plays the container's part through
 * {@link #output}, {@link #stats}, {@link #exit} and {@link #outOfMemory}, which call the current
 * run's listener on the calling thread (call them on {@link Run#loop()}, or on the embedded
 * channel's thread in handler tests), or hands bytes to {@link #run(String)}'s listener itself.
 * Failures are scripted with the {@code fail*With} setters.
 *
 * <p>Thread-safe: the recorded state is guarded by this object's monitor, which is never held while
 * a listener runs.
 */
public final class ScriptedRuntime implements ContainerRuntime {

    /** What {@link #name()} answers, and so what the node snapshot reports as the runtime. */
    public static final String NAME = "scripted";

    /** The listener of a started container and the event loop the hub gave with it, where its callbacks belong. */
    public record Run(RuntimeListener listener, EventExecutor loop) {
    }

    private final List<String> calls = new ArrayList<>();
    private final Map<String, Run> runs = new HashMap<>();
    private final Set<String> running = new HashSet<>();
    private final List<byte[]> stdin = new ArrayList<>();
    private final List<String> statsDemands = new ArrayList<>();
    private final Map<String, ExitReport> lastExits = new HashMap<>();
    private boolean exitWhenStopped;
    private int installExitCode;
    private byte[] installOutput = new byte[0];
    private boolean installHangs;
    private RuntimeException failStartWith;
    private RuntimeException failStopWith;
    private RuntimeException failKillWith;
    private RuntimeException failInstallWith;
    private RuntimeException failStdinWith;
    private boolean available = true;
    private boolean throwInsteadOfFailing;

    /**
     * Makes stop, signal and kill end the run at once: the run is forgotten and its listener told
     * {@code onExit(0, false)} on the run's loop, as a server that obeys every stop. Without it the
     * run goes on until {@link #exit} is called. Returns this runtime.
     */
    public synchronized ScriptedRuntime exitWhenStopped() {
        exitWhenStopped = true;
        return this;
    }

    /** The exit code of every later install (0 unless set). */
    public synchronized void installExitCode(int exitCode) {
        installExitCode = exitCode;
    }

    /** Bytes every later install writes to its listener before it completes (none unless set). */
    public synchronized void installOutput(byte[] output) {
        installOutput = output.clone();
    }

    /** True makes every later install never complete, as an install script that hangs. */
    public synchronized void installHangs(boolean hangs) {
        installHangs = hangs;
    }

    /** The failure of every later start; null lets starts succeed again. */
    public synchronized void failStartWith(RuntimeException failure) {
        failStartWith = failure;
    }

    /** The failure of every later stop and signal; null lets them succeed again. */
    public synchronized void failStopWith(RuntimeException failure) {
        failStopWith = failure;
    }

    /** The failure of every later kill; null lets kills succeed again. */
    public synchronized void failKillWith(RuntimeException failure) {
        failKillWith = failure;
    }

    /** The failure of every later install; null lets installs complete again. */
    public synchronized void failInstallWith(RuntimeException failure) {
        failInstallWith = failure;
    }

    /** The failure of every later stdin write; null lets writes succeed again. */
    public synchronized void failStdinWith(RuntimeException failure) {
        failStdinWith = failure;
    }

    /** What {@link #available()} answers from now on (true unless set): false plays an engine that is gone. */
    public synchronized void available(boolean answer) {
        available = answer;
    }

    /**
     * True makes the {@code fail*With} failures thrown from the call itself instead of returned as a
     * failed future, as a runtime breaking its contract would.
     */
    public synchronized void throwInsteadOfFailing(boolean throwing) {
        throwInsteadOfFailing = throwing;
    }

    /** What {@link #lastExit(String)} reports for {@code internalId}: the engine's record of an exit while the daemon was down. */
    public synchronized void reportLastExit(String internalId, ExitReport report) {
        lastExits.put(internalId, report);
    }

    /**
     * What this runtime was asked to do, oldest first, as {@code "<call> <internal id>"}:
     * {@code "install c-1"}, {@code "start c-1"}, {@code "attach c-1"}, {@code "stdin c-1"},
     * {@code "stop c-1 <stop command>"}, {@code "signal c-1 SIGTERM"}, {@code "kill c-1"},
     * {@code "remove c-1"}, {@code "lastExit c-1"}. A copy.
     */
    public synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    /** The bytes of every {@link #writeStdin} call, oldest first. A copy; the arrays are the callers'. */
    public synchronized List<byte[]> stdin() {
        return List.copyOf(stdin);
    }

    /** Every {@link #statsDemand} call as {@code "<internal id>:true"} or {@code ":false"}, oldest first. A copy. */
    public synchronized List<String> statsDemands() {
        return List.copyOf(statsDemands);
    }

    /** The current run of {@code internalId}: from its start until its exit; null when none. */
    public synchronized Run run(String internalId) {
        return runs.get(internalId);
    }

    /** Hands {@code bytes} to the current run's listener as one output chunk (the listener releases it). */
    public void output(String internalId, byte[] bytes) {
        runOf(internalId).listener().onOutput(Unpooled.wrappedBuffer(bytes));
    }

    /** {@link #output(String, byte[])} of the text's UTF-8 bytes. */
    public void output(String internalId, String text) {
        output(internalId, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Hands one stats sample to the current run's listener. */
    public void stats(String internalId, Stats stats) {
        runOf(internalId).listener().onStats(stats);
    }

    /** Ends the current run with {@code exitCode}: no longer running, its listener told {@code onExit(exitCode, false)}. */
    public void exit(String internalId, int exitCode) {
        end(internalId).listener().onExit(exitCode, false);
    }

    /** Ends the current run as killed for going over its memory limit: {@code onExit(137, true)}. */
    public void outOfMemory(String internalId) {
        end(internalId).listener().onExit(137, true);
    }

    /** The process is gone but its exit is never reported, as when the report is lost: only {@link #listRunning} changes. */
    public synchronized void vanishSilently(String internalId) {
        running.remove(internalId);
    }

    /** {@value #NAME}. */
    @Override
    public String name() {
        return NAME;
    }

    /** True: nothing runs, so nothing can reach the host. */
    /** As set by {@link #available(boolean)}; true unless set. */
    @Override
    public synchronized boolean available() {
        return available;
    }

    @Override
    public boolean isolated() {
        return true;
    }

    @Override
    public synchronized void statsDemand(String internalId, boolean watched) {
        statsDemands.add(internalId + ":" + watched);
    }

    @Override
    public CompletableFuture<Integer> install(ContainerSpec spec, EventExecutor loop, InstallListener listener) {
        byte[] output;
        int exitCode;
        synchronized (this) {
            calls.add("install " + spec.internalId());
            if (installHangs) {
                return new CompletableFuture<>();
            }
            if (failInstallWith != null) {
                return fail(failInstallWith);
            }
            output = installOutput;
            exitCode = installExitCode;
        }
        if (output.length > 0) {
            listener.onOutput(Unpooled.wrappedBuffer(output.clone()));
        }
        return CompletableFuture.completedFuture(exitCode);
    }

    @Override
    public synchronized CompletableFuture<Void> start(ContainerSpec spec, EventExecutor loop, RuntimeListener listener) {
        calls.add("start " + spec.internalId());
        if (failStartWith != null) {
            return fail(failStartWith);
        }
        runs.put(spec.internalId(), new Run(listener, loop));
        running.add(spec.internalId());
        return CompletableFuture.completedFuture(null);
    }

    /** Recorded; answers false (nothing to attach to). */
    @Override
    public synchronized CompletableFuture<Boolean> attach(ContainerSpec spec, EventExecutor loop, RuntimeListener listener) {
        calls.add("attach " + spec.internalId());
        return CompletableFuture.completedFuture(false);
    }

    @Override
    public CompletableFuture<Void> stop(String internalId, String stopCommand, Duration timeout) {
        return stopping("stop " + internalId + " " + stopCommand, internalId, failStopWithNow());
    }

    /** Recorded as {@code signal <id> <SIGNAME>}; fails like a stop when {@link #failStopWith} is set. */
    @Override
    public CompletableFuture<Void> signal(String internalId, StopSignal signal) {
        return stopping("signal " + internalId + " " + signal.name(), internalId, failStopWithNow());
    }

    @Override
    public CompletableFuture<Void> kill(String internalId) {
        RuntimeException failure;
        synchronized (this) {
            failure = failKillWith;
        }
        return stopping("kill " + internalId, internalId, failure);
    }

    @Override
    public synchronized CompletableFuture<Void> writeStdin(String internalId, byte[] data) {
        calls.add("stdin " + internalId);
        if (failStdinWith != null) {
            return CompletableFuture.failedFuture(failStdinWith);
        }
        stdin.add(data);
        return CompletableFuture.completedFuture(null);
    }

    /** Recorded; the run, if any, goes on until it exits. */
    @Override
    public synchronized CompletableFuture<Void> remove(String internalId) {
        calls.add("remove " + internalId);
        return CompletableFuture.completedFuture(null);
    }

    /** Always empty: no log is kept. */
    @Override
    public CompletableFuture<byte[]> logTail(String internalId, int maxBytes) {
        return CompletableFuture.completedFuture(new byte[0]);
    }

    /** Recorded; what {@link #reportLastExit} set, else empty. */
    @Override
    public synchronized CompletableFuture<Optional<ExitReport>> lastExit(String internalId) {
        calls.add("lastExit " + internalId);
        return CompletableFuture.completedFuture(Optional.ofNullable(lastExits.get(internalId)));
    }

    /** The containers started and neither exited nor vanished. */
    @Override
    public synchronized CompletableFuture<Set<String>> listRunning() {
        return CompletableFuture.completedFuture(Set.copyOf(running));
    }

    /** Forgets every run. */
    @Override
    public synchronized void close() {
        runs.clear();
        running.clear();
    }

    private synchronized RuntimeException failStopWithNow() {
        return failStopWith;
    }

    private CompletableFuture<Void> stopping(String call, String internalId, RuntimeException failure) {
        Run ended = null;
        synchronized (this) {
            calls.add(call);
            if (failure != null) {
                return fail(failure);
            }
            if (exitWhenStopped) {
                ended = runs.remove(internalId);
                running.remove(internalId);
            }
        }
        if (ended != null) {
            Run run = ended;
            run.loop().execute(() -> run.listener().onExit(0, false));
        }
        return CompletableFuture.completedFuture(null);
    }

    private synchronized Run runOf(String internalId) {
        Run run = runs.get(internalId);
        if (run == null) {
            throw new IllegalStateException("container " + internalId + " has no run");
        }
        return run;
    }

    private synchronized Run end(String internalId) {
        Run run = runOf(internalId);
        runs.remove(internalId);
        running.remove(internalId);
        return run;
    }

    private <T> CompletableFuture<T> fail(RuntimeException e) {
        if (throwInsteadOfFailing) {
            throw e;
        }
        return CompletableFuture.failedFuture(e);
    }
}
