package io.lightd.runtime;

import java.time.Instant;

/**
 * How a container's last run ended, as the runtime remembers it after the fact (for Docker: the
 * engine's {@code State.ExitCode}, {@code State.OOMKilled} and {@code State.FinishedAt}). Used when
 * the daemon was down while the server exited, so the exit can still be told and counted.
 *
 * @param exitCode    the process's exit code
 * @param outOfMemory the engine killed the server itself for memory: {@code OOMKilled} with exit code 137
 * @param finishedAt  when it exited, or null when the runtime does not say
 */
public record ExitReport(int exitCode, boolean outOfMemory, Instant finishedAt) {

    /** The exit code of a process ended by SIGKILL (128 + 9), which is how an OOM kill ends the server. */
    public static final int KILLED_EXIT_CODE = 137;

    /**
     * Whether an exit was the server's own OOM kill: the engine's flag together with a kill's exit code.
     *
     * @param exitCode  the exit code the engine reports
     * @param oomKilled the engine's {@code State.OOMKilled} at that exit
     * @return true only when {@code oomKilled} and the exit code is {@link #KILLED_EXIT_CODE}
     */
    public static boolean isOutOfMemoryKill(int exitCode, boolean oomKilled) {
        return oomKilled && exitCode == KILLED_EXIT_CODE;
    }
}
