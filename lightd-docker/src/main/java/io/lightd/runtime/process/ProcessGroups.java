package io.lightd.runtime.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Finds and signals the members of whole process groups. Members are found by scanning
 * {@code /proc}; zombies do not count, as they have exited and only wait for a parent to reap them.
 *
 * <p>Signals go to whole groups, which Java cannot do itself: {@code ProcessHandle} signals one
 * process at a time, and walking its descendants misses members that were re-parented when their
 * parent died. {@code kill(2)} with a negative pid reaches every member of the group at once, so this
 * runs the shell's {@code kill} builtin: {@code /bin/sh} is required by the runtime anyway, while a
 * {@code kill} binary (procps) is missing from many slim images.
 *
 * <p>Blocking (reads {@code /proc}, or starts and waits for a short-lived shell): call it off the event
 * loops. Stateless.
 */
final class ProcessGroups {

    /** The signals the runtime sends, by the names {@code kill -NAME} takes. */
    enum Signal { TERM, KILL, INT, QUIT, HUP, USR1, USR2 }

    /** Sees one live member of a group: its {@code /proc/<pid>} directory and its stat. */
    @FunctionalInterface
    interface MemberVisitor {
        void visit(long pid, Path procDir, ProcStat stat);
    }

    private static final Path PROC = Path.of("/proc");
    private static final long KILL_HELPER_TIMEOUT_SECONDS = 5;

    private ProcessGroups() {
    }

    /**
     * Sends {@code signal} to every member of each group. Returns true when every group was
     * signalled, false when one no longer exists (or the signal could not be sent); missing groups
     * do not stop the others from being signalled.
     */
    static boolean signal(Collection<Long> processGroups, Signal signal) {
        if (processGroups.isEmpty()) {
            return true;
        }
        StringBuilder command = new StringBuilder("kill -").append(signal.name());
        for (long group : processGroups) {
            command.append(" -").append(group);
        }
        try {
            Process kill = new ProcessBuilder("/bin/sh", "-c", command.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            kill.getOutputStream().close();
            if (!kill.waitFor(KILL_HELPER_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
                return false;
            }
            return kill.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Calls {@code visitor} for every live member of {@code processGroup}; a process that vanishes meanwhile is skipped. */
    static void forEachLiveMember(long processGroup, MemberVisitor visitor) {
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(PROC, ProcessGroups::isPidDir)) {
            for (Path procDir : pids) {
                ProcStat stat = ProcStat.parse(readOrNull(procDir.resolve("stat")));
                if (stat != null && stat.processGroup() == processGroup && !stat.zombie()) {
                    visitor.visit(Long.parseLong(procDir.getFileName().toString()), procDir, stat);
                }
            }
        } catch (IOException e) {
            // /proc cannot be listed: no member can be seen.
        }
    }

    /** How many live members {@code processGroup} has. */
    static int countLiveMembers(long processGroup) {
        int[] count = new int[1];
        forEachLiveMember(processGroup, (pid, procDir, stat) -> count[0]++);
        return count[0];
    }

    /**
     * What file descriptor {@code fd} of process {@code pid} refers to ({@code pipe:[12345]},
     * {@code /dev/pts/3}...), or null when the process or descriptor is gone or not readable.
     */
    static String descriptorTarget(long pid, int fd) {
        try {
            return Files.readSymbolicLink(PROC.resolve(Long.toString(pid)).resolve("fd").resolve(Integer.toString(fd)))
                    .toString();
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return null;
        }
    }

    /**
     * The processes other than the daemon that hold a descriptor on {@code target} (as
     * {@link #descriptorTarget} names it). The output pipe of a server is created by the daemon for
     * that server alone, so whoever holds it descends from the server, whatever session or group it
     * moved to. Processes of other users (unreadable descriptors) are never listed.
     */
    static List<Long> holdersOf(String target) {
        long self = ProcessHandle.current().pid();
        List<Long> holders = new ArrayList<>();
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(PROC, ProcessGroups::isPidDir)) {
            for (Path dir : pids) {
                long pid = Long.parseLong(dir.getFileName().toString());
                if (pid != self && holds(dir.resolve("fd"), target)) {
                    holders.add(pid);
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            // /proc unreadable: nothing found
        }
        return holders;
    }

    private static boolean holds(Path fdDir, String target) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(fdDir)) {
            for (Path fd : fds) {
                try {
                    if (target.equals(Files.readSymbolicLink(fd).toString())) {
                        return true;
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException | DirectoryIteratorException | SecurityException e) {
            // gone, or another user's
        }
        return false;
    }

    /** A file of a process that may vanish or deny reading at any moment: null then. */
    static String readOrNull(Path file) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    private static boolean isPidDir(Path path) {
        String name = path.getFileName().toString();
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) < '0' || name.charAt(i) > '9') {
                return false;
            }
        }
        return !name.isEmpty();
    }
}
