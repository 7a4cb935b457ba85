package io.lightd.server.hub;

import io.lightd.runtime.ContainerRuntime;
import io.lightd.runtime.StopSignal;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One graceful stop of a server, fitted into one {@code limits.stop_timeout_seconds} ({@code T}):
 * <ul>
 *   <li>with a {@code stop_command}: the command is written to stdin at once, the stop signal goes to
 *       the whole process tree at {@code T/2} when the server still runs, and it is killed at {@code T};</li>
 *   <li>without one: the stop signal at once, the kill at {@code T}.</li>
 * </ul>
 * The same on every runtime: the runtime only writes, signals and kills. The sequence ends when the
 * owner calls {@link #finish} (the run's exit was reported), which cancels what is left; whether the
 * kill was needed is then {@link #killed}.
 *
 * <p>Confined to the hub's loop: created, started and finished there; the timers run there.
 */
final class StopSequence {

    /** What the sequence tells its owner, on the loop. */
    interface Listener {
        /** The stop signal could not be delivered (the runtime failed): the sequence is over, the server runs on. */
        void stopFailed(Throwable cause);

        /** The kill at the timeout could not be carried out. */
        void killFailed(Throwable cause);
    }

    private final String id;
    private final EventExecutor loop;
    private final ContainerRuntime runtime;
    private final String stopCommand;
    private final StopSignal signal;
    private final Duration timeout;
    private final Listener listener;
    private final Caller caller;
    private final List<ScheduledFuture<?>> timers = new ArrayList<>(2);
    private boolean finished;
    private boolean killed;

    /** Calls the runtime the way the hub does (so failures and the log context are the same). */
    @FunctionalInterface
    interface Caller {
        <T> CompletableFuture<T> attempt(Supplier<CompletableFuture<T>> call);
    }

    StopSequence(String id, EventExecutor loop, ContainerRuntime runtime, Caller caller, String stopCommand,
                 StopSignal signal, Duration timeout, Listener listener) {
        this.id = id;
        this.loop = loop;
        this.runtime = runtime;
        this.caller = caller;
        this.stopCommand = stopCommand;
        this.signal = signal;
        this.timeout = timeout;
        this.listener = listener;
    }

    /** Takes the first step and schedules the others. */
    void start() {
        long total = timeout.toMillis();
        if (stopCommand != null) {
            caller.attempt(() -> runtime.writeStdin(id, stopCommand.getBytes(StandardCharsets.UTF_8)))
                    .whenComplete((v, err) -> onLoop(() -> {
                        if (err != null && !finished) {
                            // No stdin to write to: go on with the signal at once.
                            sendSignal();
                        }
                    }));
            timers.add(loop.schedule(this::sendSignal, total / 2, TimeUnit.MILLISECONDS));
        } else {
            sendSignal();
        }
        timers.add(loop.schedule(this::kill, total, TimeUnit.MILLISECONDS));
    }

    /** The run ended: cancels the remaining steps. */
    void finish() {
        finished = true;
        timers.forEach(t -> t.cancel(false));
        timers.clear();
    }

    /** Whether the kill at the timeout was sent. */
    boolean killed() {
        return killed;
    }

    /** The timeout in whole seconds, as the messages name it. */
    long timeoutSeconds() {
        return timeout.toSeconds();
    }

    private void sendSignal() {
        if (finished) {
            return;
        }
        caller.attempt(() -> runtime.signal(id, signal)).whenComplete((v, err) -> onLoop(() -> {
            if (err != null && !finished) {
                finish();
                listener.stopFailed(err);
            }
        }));
    }

    private void kill() {
        if (finished) {
            return;
        }
        killed = true;
        caller.attempt(() -> runtime.kill(id)).whenComplete((v, err) -> onLoop(() -> {
            if (err != null && !finished) {
                listener.killFailed(err);
            }
        }));
    }

    private void onLoop(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }
}
