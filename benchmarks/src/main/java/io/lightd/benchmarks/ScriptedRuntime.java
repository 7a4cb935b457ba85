package io.lightd.benchmarks;

import io.lightd.runtime.ContainerRuntime;
import io.lightd.runtime.ContainerSpec;
import io.lightd.runtime.InstallListener;
import io.lightd.runtime.RuntimeListener;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A runtime without processes: install succeeds at once, start records the run's listener, and the
 * benchmark hands output bytes to that listener itself, on the loop the hub gave with it. Thread-safe.
 */
final class ScriptedRuntime implements ContainerRuntime {

    /** The listener of a started container and the loop its callbacks must run on. */
    record Run(RuntimeListener listener, EventExecutor loop) {
    }

    private final Map<String, Run> runs = new ConcurrentHashMap<>();

    Run run(String internalId) {
        return runs.get(internalId);
    }

    @Override
    public String name() {
        return "scripted";
    }

    @Override
    public boolean isolated() {
        return false;
    }

    @Override
    public CompletableFuture<Integer> install(ContainerSpec spec, EventExecutor loop, InstallListener listener) {
        return CompletableFuture.completedFuture(0);
    }

    @Override
    public CompletableFuture<Void> start(ContainerSpec spec, EventExecutor loop, RuntimeListener listener) {
        runs.put(spec.internalId(), new Run(listener, loop));
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Boolean> attach(ContainerSpec spec, EventExecutor loop, RuntimeListener listener) {
        return CompletableFuture.completedFuture(false);
    }

    @Override
    public CompletableFuture<Void> stop(String internalId, String stopCommand, Duration timeout) {
        return exit(internalId);
    }

    @Override
    public CompletableFuture<Void> signal(String internalId, io.lightd.runtime.StopSignal signal) {
        return exit(internalId);
    }

    @Override
    public CompletableFuture<Void> kill(String internalId) {
        return exit(internalId);
    }

    @Override
    public CompletableFuture<Void> writeStdin(String internalId, byte[] data) {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> remove(String internalId) {
        runs.remove(internalId);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<byte[]> logTail(String internalId, int maxBytes) {
        return CompletableFuture.completedFuture(new byte[0]);
    }

    @Override
    public CompletableFuture<Set<String>> listRunning() {
        return CompletableFuture.completedFuture(Set.copyOf(runs.keySet()));
    }

    @Override
    public void close() {
        runs.clear();
    }

    private CompletableFuture<Void> exit(String internalId) {
        Run run = runs.remove(internalId);
        if (run != null) {
            run.loop().execute(() -> run.listener().onExit(0));
        }
        return CompletableFuture.completedFuture(null);
    }
}
