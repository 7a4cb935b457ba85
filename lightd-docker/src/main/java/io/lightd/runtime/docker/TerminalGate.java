package io.lightd.runtime.docker;

import io.lightd.runtime.Terminal;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Sets the terminal modes ({@link Terminal#STTY_MODES}) of a container created with a TTY, from the
 * host: the container's main process has the terminal's slave as its fd 0, which the host's
 * {@code stty} opens as {@code /proc/<pid>/fd/0}. The image needs no {@code stty} of its own. Then the
 * container's gate ({@link Terminal#GATE_SCRIPT}) may be opened, so the server's program starts on a
 * terminal that is already raw and silent.
 *
 * <p>This needs lightd on the engine's host, in its PID namespace, with the right to open another
 * user's terminal (root, as the engine's clients are): the engine must be reached through a unix
 * socket, and the pid the engine reports must show a {@code /dev/pts} terminal as fd 0. When any of
 * that does not hold, {@link #setModes} says why and changes nothing; the gate is still opened, and
 * the console then shows what a default terminal adds (a {@code \r} before each {@code \n}, commands
 * echoed).
 *
 * <p>Immutable; {@link #setModes} and {@link #waitingAtGate} block briefly (they read {@code /proc} and
 * run {@code stty}): call them on the runtime's blocking executor.
 */
final class TerminalGate {

    private static final Path PROC = Path.of("/proc");

    private final boolean localEngine;
    private final String stty;

    /** For the engine at {@code dockerHost}, with the {@code stty} found on the daemon's {@code PATH}. */
    TerminalGate(String dockerHost) {
        this.localEngine = dockerHost.startsWith("unix://") || dockerHost.startsWith("/");
        this.stty = Terminal.findStty(System.getenv("PATH"));
    }

    /**
     * Sets the modes of the terminal of the container whose main process is {@code pid} (as the
     * engine reports it). Returns null when they were set, or why they were not.
     */
    String setModes(long pid) {
        if (!localEngine) {
            return "the engine is not on this host";
        }
        if (stty == null) {
            return "no stty on the daemon's PATH";
        }
        if (pid <= 0) {
            return "the engine reports no process";
        }
        Path stdin = PROC.resolve(Long.toString(pid)).resolve("fd").resolve("0");
        try {
            String target = Files.readSymbolicLink(stdin).toString();
            if (!target.startsWith("/dev/pts/")) {
                return stdin + " is " + target + ", not a terminal";
            }
            Terminal.applyModes(stty, stdin);
            return null;
        } catch (IOException | SecurityException e) {
            return e.getMessage() == null ? e.toString() : e.getMessage();
        }
    }

    /**
     * True when the gate shell (command line {@code /bin/sh -c} and {@link Terminal#GATE_SCRIPT}) still
     * waits at the gate: {@code pid} itself, or one of its children (read from {@code
     * /proc/<pid>/task/<tid>/children}), since the pid the engine reports is its init ({@code
     * docker-init}, whose child is the gate shell). The gate was not opened, e.g. the daemon stopped
     * right after the start, or the container was started through the engine while lightd was down.
     * False when it is past the gate, gone, or cannot be read.
     */
    static boolean waitingAtGate(long pid) {
        if (pid <= 0) {
            return false;
        }
        if (runsGate(pid)) {
            return true;
        }
        for (long child : children(pid)) {
            if (runsGate(child)) {
                return true;
            }
        }
        return false;
    }

    private static boolean runsGate(long pid) {
        try {
            byte[] cmdline = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("cmdline"));
            String prefix = "/bin/sh\0-c\0" + Terminal.GATE_SCRIPT + "\0";
            return new String(cmdline, StandardCharsets.UTF_8).startsWith(prefix);
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    /** The children of every thread of {@code pid}; empty when they cannot be read. */
    private static List<Long> children(long pid) {
        List<Long> children = new ArrayList<>();
        Path tasks = PROC.resolve(Long.toString(pid)).resolve("task");
        try (DirectoryStream<Path> threads = Files.newDirectoryStream(tasks)) {
            for (Path thread : threads) {
                try {
                    for (String child : Files.readString(thread.resolve("children")).trim().split("\\s+")) {
                        if (!child.isEmpty()) {
                            children.add(Long.parseLong(child));
                        }
                    }
                } catch (IOException | NumberFormatException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException | SecurityException e) {
            return children;
        }
        return children;
    }
}
