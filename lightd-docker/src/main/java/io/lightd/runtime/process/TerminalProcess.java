package io.lightd.runtime.process;

import com.pty4j.PtyProcessBuilder;
import com.pty4j.unix.UnixPtyProcess;
import io.lightd.runtime.Terminal;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Starts a process on a new pseudo-terminal with pty4j: the child leads a new session (and process
 * group, whose id is its pid, as {@code setsid} gives a process on pipes) with the terminal's slave
 * as its controlling terminal and as its stdin, stdout and stderr; the returned {@link Process}
 * reads and writes the master. The terminal is {@link Terminal#COLUMNS} × {@link Terminal#ROWS}.
 * Its modes are not set here: the server starts at a gate and its {@link ServerProcess} sets them
 * on the terminal's slave device ({@link #terminalDevice}), which exists before the child does, so
 * no race with the child's own set-up is possible.
 *
 * <p>Why pty4j: it is maintained with IntelliJ's terminal, spawns the child without forking the JVM,
 * reports a death by signal N as {@code 128 + N} as {@link ProcessBuilder}'s processes do, and keeps
 * the output the child wrote right before it exited readable
 * ({@code setUnixOpenTtyToPreserveOutputAfterTermination}). util-linux's {@code script} would put the
 * server in a session of its own under {@code script}, out of reach of the signals and stats that
 * follow the launched process's group.
 *
 * <p>Stateless; {@link #start} blocks briefly (it waits for the spawn).
 */
final class TerminalProcess {

    private TerminalProcess() {
    }

    /** Starts {@code command} in {@code workDir} with exactly {@code env} on a new terminal. */
    static Process start(List<String> command, Path workDir, Map<String, String> env) throws IOException {
        return new PtyProcessBuilder(command.toArray(String[]::new))
                .setEnvironment(env)
                .setDirectory(workDir.toString())
                .setInitialColumns(Terminal.COLUMNS)
                .setInitialRows(Terminal.ROWS)
                .setRedirectErrorStream(true)
                .setUnixOpenTtyToPreserveOutputAfterTermination(true)
                .start();
    }

    /** The slave device ({@code /dev/pts/N}) of a process {@link #start} started. */
    static Path terminalDevice(Process started) {
        return Path.of(((UnixPtyProcess) started).getPty().getSlaveName());
    }
}
