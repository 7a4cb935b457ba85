package io.lightd.runtime;

import io.lightd.protocol.Stats;

/**
 * Receives everything about one run of a container's process. Every call happens on the event
 * loop the runtime was given for that run, so the receiver needs no locks.
 */
public interface RuntimeListener extends OutputListener {

    /**
     * A resource sample, about once a second while the process runs.
     *
     * @param stats the sample as the runtime measured it (CPU not yet rounded)
     */
    void onStats(Stats stats);

    /**
     * The process has exited with {@code exitCode}. Called once per run, after the last
     * {@link #onOutput} of that run; nothing else is called for the run afterwards.
     *
     * @param exitCode the process's exit status (128 + N when signal N ended it)
     */
    void onExit(int exitCode);

    /**
     * The process has exited with {@code exitCode}; {@code outOfMemory} when it was killed for going
     * over its memory limit (Docker: the container's {@code OOMKilled} at
     * the exit together with exit code 137; process runtime: its own sampled limit). Runtimes call this form; the
     * default forwards to {@link #onExit(int)}. Same rules as {@link #onExit(int)}: once per run, last.
     *
     * @param exitCode    the process's exit status (128 + N when signal N ended it)
     * @param outOfMemory whether the server itself was killed for memory
     */
    default void onExit(int exitCode, boolean outOfMemory) {
        onExit(exitCode);
    }

    /**
     * The runtime's out-of-memory killer ended a process of the server while the run goes on (Docker:
     * an {@code oom} event). Whether the server itself ended for memory is told by its
     * {@link #onExit(int, boolean) exit} alone; this is a notice, any number of times per run.
     */
    default void onProcessOutOfMemory() {
    }
}
