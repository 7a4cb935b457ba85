package io.lightd.runtime;

import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The contract the server drives to run containers. Implementations: {@code docker} (production)
 * and {@code process} (plain child processes, for development, demos and tests; no isolation).
 *
 * <p>Every method returns at once and never blocks its caller, which may be an event loop; blocking
 * work runs on the runtime's own bounded executor. Futures may complete on any thread. Listener
 * callbacks always run on the {@link EventExecutor} passed with them. A future that fails because
 * the runtime itself cannot be reached fails with {@link RuntimeUnavailableException}; one that
 * names a container the runtime does not know fails with {@link ContainerNotFoundException}.
 */
public interface ContainerRuntime extends AutoCloseable {

    /**
     * The runtime's name, as the {@code runtime} config key spells it.
     *
     * @return {@code docker} or {@code process}
     */
    String name();

    /**
     * Whether containers are isolated from each other and from the host.
     *
     * @return false for runtimes that give no isolation ({@code process}), true otherwise
     */
    boolean isolated();

    /**
     * False while the runtime itself is known to be unreachable (for Docker: the engine is down);
     * calls made meanwhile would fail with {@link RuntimeUnavailableException}. True when unknown.
     * Any thread; never blocks.
     *
     * @return whether the runtime is believed reachable now
     */
    default boolean available() {
        return true;
    }

    /**
     * The CPUs a container may be given at most, the upper bound of a create body's {@code limits.cpu}:
     * for Docker the engine's {@code NCPU} (its host's CPUs, the bound the engine itself checks), for
     * the process runtime the processors lightd may use. Never blocks: a figure learned earlier (the
     * local processor count until the runtime has told its own).
     *
     * @return the number of CPUs, at least 1
     */
    default int hostCpus() {
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * Stats samples the runtime's batched sampler has taken (one per container read, a sample that
     * failed not counted); 0 for a runtime without one (Docker stats from the engine's streams).
     * Any thread.
     *
     * @return a counter that only grows over the runtime's life
     */
    default long statsSamples() {
        return 0;
    }

    /**
     * How many times a long-lived stream to the runtime (for Docker: the events stream and each stats
     * stream) was opened again after it was lost; 0 for runtimes without such streams.
     *
     * @return a counter that only grows over the runtime's life
     */
    default long streamReopens() {
        return 0;
    }

    /**
     * Whether someone watches the container's stats now (its console has at least one subscriber).
     * A watched container is sampled about every second, and at once when it becomes watched; one
     * nobody watches less often. Any thread; may come before the container runs. Runtimes whose
     * stats do not depend on demand (the engine's stats streams) ignore it.
     *
     * @param internalId the container's {@code internal_id}
     * @param watched    true when its console has at least one subscriber, false when none is left
     */
    default void statsDemand(String internalId, boolean watched) {
    }

    /**
     * Prepares the container: its volume folder and whatever the runtime needs (for Docker the image,
     * pulled when absent, and the engine container), replacing any earlier one of the same id
     * (reinstall). Then runs {@code spec.installScript()}, if any, in the volume, streaming its output
     * to {@code listener}. Completes with the install script's exit code (0 without a script).
     *
     * @param spec     the container to prepare, as stored in its record
     * @param loop     the executor {@code listener} is called on (the container's event loop)
     * @param listener receives the install output and daemon messages (for Docker, pull progress)
     * @return the install script's exit code; fails with {@link RuntimeUnavailableException} when the
     *         runtime cannot be reached, or with the runtime's error when the preparation fails
     */
    CompletableFuture<Integer> install(ContainerSpec spec, EventExecutor loop, InstallListener listener);

    /**
     * Starts the container's process ({@code /bin/sh -c startupCommand} in the volume), on a terminal
     * when {@code spec.tty()} ({@link Terminal}: its modes are set before the command runs), else on
     * pipes. Output is captured from before the process starts, so nothing early is lost. Completes
     * once the process runs; from then on {@code listener} gets its output, stats, and finally its exit.
     *
     * @param spec     the installed container to start
     * @param loop     the executor {@code listener} is called on (the container's event loop)
     * @param listener receives this run's output, stats and exit
     * @return completes once the process runs; fails when it could not be started (for instance an
     *         {@link IllegalStateException} when it already runs)
     */
    CompletableFuture<Void> start(ContainerSpec spec, EventExecutor loop, RuntimeListener listener);

    /**
     * Re-attaches to a container that is already running (after the daemon restarted). Completes
     * with {@code false}, and calls nothing on {@code listener}, when it is not running.
     *
     * @param spec     the container to re-attach to
     * @param loop     the executor {@code listener} is called on (the container's event loop)
     * @param listener receives the run's output from now on, its stats and its exit
     * @return true once attached to the running process; false when it is not running
     */
    CompletableFuture<Boolean> attach(ContainerSpec spec, EventExecutor loop, RuntimeListener listener);

    /**
     * Stops gracefully within {@code timeout} as a whole: writes {@code stopCommand} to stdin when it is
     * not null (and then waits at most half the timeout), asks the process tree to end (SIGTERM), and
     * kills it when it is still running once {@code timeout} has passed since the stop began. Completes
     * when the process has exited; the exit itself is reported to the run's listener. The daemon's own
     * stop (with the container's stop signal) is {@code StopSequence} in the server, built on
     * {@link #signal} and {@link #kill}; this is the runtime's plain stop for its own callers.
     *
     * @param internalId  the container's {@code internal_id}
     * @param stopCommand the text written to stdin first (as given, no newline added), or null for none
     * @param timeout     the whole time the stop may take before the kill
     * @return completes when the process has exited
     */
    CompletableFuture<Void> stop(String internalId, String stopCommand, Duration timeout);

    /**
     * Sends {@code signal} to the server's whole process tree (every process of its run, not only
     * the first), so that any process that ends on it ends at once. Completes when the signal was
     * delivered; at once when nothing runs. Used by lightd's own stop sequence, which decides when to
     * escalate to {@link #kill}.
     *
     * @param internalId the container's {@code internal_id}
     * @param signal     the signal to send (the container's configured stop signal)
     * @return completes when the signal was delivered, or at once when nothing runs
     */
    CompletableFuture<Void> signal(String internalId, StopSignal signal);

    /**
     * How the container's last run ended, for a container that is not running (the daemon was down
     * when it exited): empty when the runtime does not know (never started, removed, or a runtime
     * that keeps no record of its processes, such as {@code process}). Never fails for an unknown
     * container; fails with {@link RuntimeUnavailableException} when the runtime cannot be reached.
     *
     * @param internalId the container's {@code internal_id}
     * @return the exit code, out-of-memory flag and time of the last run's end, or empty when unknown
     */
    default CompletableFuture<java.util.Optional<ExitReport>> lastExit(String internalId) {
        return CompletableFuture.completedFuture(java.util.Optional.empty());
    }

    /**
     * Kills the process at once (SIGKILL).
     *
     * @param internalId the container's {@code internal_id}
     * @return completes when the signal was delivered; the exit is reported to the run's listener
     */
    CompletableFuture<Void> kill(String internalId);

    /**
     * Writes bytes to the process's stdin, in call order per container.
     *
     * @param internalId the container's {@code internal_id}
     * @param data       the bytes to write, exactly as given: no newline is added
     * @return completes when the bytes were written
     */
    CompletableFuture<Void> writeStdin(String internalId, byte[] data);

    /**
     * Kills the process if it runs and removes the runtime's container; the volume stays.
     *
     * @param internalId the container's {@code internal_id}
     * @return completes when the container is gone
     */
    CompletableFuture<Void> remove(String internalId);

    /**
     * The last {@code maxBytes} (at most) of the container's output log, to seed the console history.
     *
     * @param internalId the container's {@code internal_id}
     * @param maxBytes   the most bytes to return (the console history size)
     * @return the raw output bytes, oldest first (possibly empty); empty at once when {@code maxBytes <= 0}
     */
    CompletableFuture<byte[]> logTail(String internalId, int maxBytes);

    /**
     * The internal ids of the containers whose process is running now.
     *
     * @return the {@code internal_id}s of running containers this runtime manages
     */
    CompletableFuture<Set<String>> listRunning();

    /** Releases the runtime's resources. Running containers keep running where the runtime allows. */
    @Override
    void close();
}
