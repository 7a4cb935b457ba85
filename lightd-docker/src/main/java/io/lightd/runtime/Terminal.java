package io.lightd.runtime;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The terminal a server gets when its spec asks for one ({@link ContainerSpec#tty()}): its size, its
 * {@code TERM}, and the modes its line discipline is put in before the server's program runs.
 *
 * <p>Why a terminal: C stdio, Python and Mono buffer stdout in blocks when it is a pipe, so a server
 * written with them shows nothing on the console until it exits; on a terminal they flush each line.
 * Programs that colour only on a terminal ({@code isatty(1)}) do so.
 *
 * <p>Why the modes are set, not undone: a terminal's default modes add to the stream. {@code onlcr}
 * turns every {@code \n} the program writes into {@code \r\n}, and {@code echo} copies every command
 * written to stdin back into the output. Undoing {@code onlcr} on the way out (one {@code \r} removed
 * before each {@code \n}) is exact only while the program keeps the default modes: one that turns
 * {@code onlcr} off itself (readline, curses, many game consoles) would lose its own {@code \r}.
 * Echo cannot be undone at all: the kernel interleaves it with the program's output at moments only
 * it knows, and rewrites it ({@code ^C} for control bytes, {@code \r\n} for {@code \n}). So the
 * terminal is put in raw mode without echo ({@code stty raw -echo}) before the program starts, and
 * nothing needs undoing: output passes untouched ({@code -opost}), input passes as written ({@code
 * -icanon -isig -icrnl -ixon}: no line editing, no signals from {@code ^C} bytes, no {@code \r} made
 * {@code \n}, no 4095-byte line limit), which is what the protocol promises for console data and
 * {@code send_command}. A program that wants other modes sets them itself, as on any terminal.
 *
 * <p>The modes are set with the host's {@code stty} (coreutils), never the image's, so an image
 * without {@code stty} works too: both runtimes start the server's shell at a gate
 * ({@link #GATE_SCRIPT}) that reads one line before it execs the startup command, set the modes on
 * the shell's terminal from the host ({@code stty -F} on the pseudo-terminal's device, or for Docker
 * on {@code /proc/<pid>/fd/0} of the container's main process), and only then open the gate
 * ({@link #GATE_OPEN}) and let commands through. So even the first byte the program writes, and the
 * first command it reads, see the modes; and a command sent while the server starts is never read
 * by the gate.
 *
 * <p>Stateless; {@link #applyModes} blocks (it runs {@code stty}): call it off the event loops.
 */
public final class Terminal {

    /** Columns of every server's terminal. */
    public static final int COLUMNS = 200;

    /** Rows of every server's terminal. */
    public static final int ROWS = 50;

    /** The {@code TERM} a server gets unless its {@code env} sets one. */
    public static final String TERM = "xterm-256color";

    /** The modes, as {@code stty} arguments: raw, no echo, and the size. */
    public static final List<String> STTY_MODES = List.of("raw", "-echo", "rows", Integer.toString(ROWS),
            "cols", Integer.toString(COLUMNS));

    /**
     * A {@code /bin/sh -c} script that waits for one line on stdin, then execs {@code /bin/sh -c "$0"}:
     * given the startup command as {@code $0}, the server's program starts only after lightd wrote
     * {@link #GATE_OPEN}. Nothing is written to the terminal before that.
     */
    public static final String GATE_SCRIPT = "read -r _; exec /bin/sh -c \"$0\"";

    /** What opens the gate: one newline on stdin. */
    public static final byte[] GATE_OPEN = {'\n'};

    private static final long STTY_TIMEOUT_SECONDS = 5;

    private Terminal() {
    }

    /**
     * {@code env} with {@code TERM} set to {@link #TERM} unless it sets {@code TERM} itself.
     *
     * @param env the container's environment; not changed
     * @return a new mutable map
     */
    public static Map<String, String> environment(Map<String, String> env) {
        Map<String, String> withTerm = new HashMap<>(env);
        withTerm.putIfAbsent("TERM", TERM);
        return withTerm;
    }

    /**
     * The host's {@code stty} found on {@code path}.
     *
     * @param path a {@code PATH} value (directories joined by the path separator); may be null
     * @return the path of the first executable {@code stty}, or null when there is none
     */
    public static String findStty(String path) {
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "stty"))) {
                return Path.of(dir, "stty").toString();
            }
        }
        return null;
    }

    /**
     * Sets the modes on the terminal {@code device} ({@code /dev/pts/N}, {@code /proc/<pid>/fd/0}) with
     * the host's {@code stty}. Blocking, for at most a few seconds.
     *
     * @param stty   the path of the host's {@code stty} ({@link #findStty})
     * @param device the terminal device to set the modes on
     *
     * @throws IOException when {@code stty} cannot run, fails (its message included) or does not finish
     */
    public static void applyModes(String stty, Path device) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(stty);
        command.add("-F");
        command.add(device.toString());
        command.addAll(STTY_MODES);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        try {
            if (!process.waitFor(STTY_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("stty on " + device + " did not finish within " + STTY_TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted while setting the modes of " + device, e);
        }
        if (process.exitValue() != 0) {
            String message = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            throw new IOException("stty on " + device + " exited with " + process.exitValue() + ": " + message);
        }
    }
}
