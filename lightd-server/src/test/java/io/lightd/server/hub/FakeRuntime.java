package io.lightd.server.hub;

import io.lightd.protocol.Stats;
import io.lightd.runtime.ContainerRuntime;
import io.lightd.runtime.ContainerSpec;
import io.lightd.runtime.InstallListener;
import io.lightd.runtime.RuntimeListener;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.EventExecutor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A runtime the test drives by hand: it records every call, completes at once, and lets the test
 * emit output, stats and exits to the current listener. Single-threaded (the embedded loop).
 */
final class FakeRuntime implements ContainerRuntime {

    final List<String> calls = new ArrayList<>();
    final Map<String, RuntimeListener> listeners = new HashMap<>();
    final Map<String, EventExecutor> loops = new HashMap<>();
    final List<byte[]> stdin = new ArrayList<>();
    int installExitCode;
    byte[] installOutput = new byte[0];
    /** Makes {@link #install} never complete, as an install script that hangs. */
    boolean installHangs;
    RuntimeException failStartWith;
    RuntimeException failStopWith;
    RuntimeException failKillWith;
    RuntimeException failInstallWith;
    /** Makes {@link #writeStdin} fail with this. */
    RuntimeException failStdinWith;
    /** What {@link #available} answers. */
    boolean available = true;
    /** Makes the {@code fail*With} calls throw at once, as a runtime breaking its contract would. */
    boolean throwInsteadOfFailing;

    /** What {@link #listRunning} reports: started and not yet exited. */
    final Set<String> running = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** {@link #statsDemand} calls, as {@code "id:true"} / {@code "id:false"}, in order. */
    final List<String> statsDemands = new ArrayList<>();

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public void statsDemand(String internalId, boolean watched) {
        statsDemands.add(internalId + ":" + watched);
    }

    @Override
    public boolean available() {
        return available;
    }

    @Override
    public boolean isolated() {
        return true;
    }

    @Override
    public CompletableFuture<Integer> install(ContainerSpec spec, EventExecutor loop, InstallListener listener) {
        calls.add("install " + spec.internalId());
        if (installHangs) {
            return new CompletableFuture<>();
        }
        if (failInstallWith != null) {
            return fail(failInstallWith);
        }
        if (installOutput.length > 0) {
            listener.onOutput(Unpooled.wrappedBuffer(installOutput));
        }
        return CompletableFuture.completedFuture(installExitCode);
    }

    @Override
    public CompletableFuture<Void> start(ContainerSpec spec, EventExecutor loop, RuntimeListener listener) {
        calls.add("start " + spec.internalId());
        if (failStartWith != null) {
            return fail(failStartWith);
        }
        listeners.put(spec.internalId(), listener);
        loops.put(spec.internalId(), loop);
        running.add(spec.internalId());
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Boolean> attach(ContainerSpec spec, EventExecutor loop, RuntimeListener listener) {
        calls.add("attach " + spec.internalId());
        return CompletableFuture.completedFuture(false);
    }

    @Override
    public CompletableFuture<Void> stop(String internalId, String stopCommand, Duration timeout) {
        calls.add("stop " + internalId + " " + stopCommand);
        if (failStopWith != null) {
            return fail(failStopWith);
        }
        return CompletableFuture.completedFuture(null);
    }

    /** Recorded as {@code signal <id> <SIGNAME>}; fails like a stop when {@link #failStopWith} is set. */
    @Override
    public CompletableFuture<Void> signal(String internalId, io.lightd.runtime.StopSignal signal) {
        calls.add("signal " + internalId + " " + signal.name());
        if (failStopWith != null) {
            return fail(failStopWith);
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> kill(String internalId) {
        calls.add("kill " + internalId);
        if (failKillWith != null) {
            return fail(failKillWith);
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> writeStdin(String internalId, byte[] data) {
        calls.add("stdin " + internalId);
        if (failStdinWith != null) {
            return CompletableFuture.failedFuture(failStdinWith);
        }
        stdin.add(data);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> remove(String internalId) {
        calls.add("remove " + internalId);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<byte[]> logTail(String internalId, int maxBytes) {
        return CompletableFuture.completedFuture(new byte[0]);
    }

    /** What {@link #lastExit} reports per container (the engine's record of an exit while the daemon was down). */
    final Map<String, io.lightd.runtime.ExitReport> lastExits = new HashMap<>();

    @Override
    public CompletableFuture<java.util.Optional<io.lightd.runtime.ExitReport>> lastExit(String internalId) {
        calls.add("lastExit " + internalId);
        return CompletableFuture.completedFuture(java.util.Optional.ofNullable(lastExits.get(internalId)));
    }

    @Override
    public CompletableFuture<Set<String>> listRunning() {
        return CompletableFuture.completedFuture(Set.copyOf(running));
    }

    @Override
    public void close() {
    }

    private <T> CompletableFuture<T> fail(RuntimeException e) {
        if (throwInsteadOfFailing) {
            throw e;
        }
        return CompletableFuture.failedFuture(e);
    }

    void output(String id, byte[] bytes) {
        listeners.get(id).onOutput(Unpooled.wrappedBuffer(bytes));
    }

    void output(String id, String text) {
        output(id, text.getBytes(StandardCharsets.UTF_8));
    }

    void stats(String id, Stats stats) {
        listeners.get(id).onStats(stats);
    }

    void exit(String id, int code) {
        running.remove(id);
        listeners.remove(id).onExit(code, false);
    }

    /** The process was killed for going over its memory limit. */
    void outOfMemory(String id) {
        running.remove(id);
        listeners.remove(id).onExit(137, true);
    }

    /** The process is gone but its exit is never reported, as when the report is lost. */
    void vanishSilently(String id) {
        running.remove(id);
    }
}
