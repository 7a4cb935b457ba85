package io.lightd.runtime.process;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

    /**
     * One pass over {@code /proc}: the live processes of every group at one moment, so that a batch of
     * stats samples reads the process table once rather than once per group. Immutable.
     */
    static final class Scan {
        private final Map<Long, List<Member>> byGroup;

        private record Member(long pid, Path procDir, ProcStat stat) {
        }

        private Scan(Map<Long, List<Member>> byGroup) {
            this.byGroup = byGroup;
        }

        /** Scans {@code /proc} now; blocking. */
        static Scan take() {
            Map<Long, List<Member>> byGroup = new HashMap<>();
            try (DirectoryStream<Path> pids = Files.newDirectoryStream(PROC, ProcessGroups::isPidDir)) {
                for (Path procDir : pids) {
                    ProcStat stat = ProcStat.parse(readOrNull(procDir.resolve("stat")));
                    if (stat != null && !stat.zombie()) {
                        byGroup.computeIfAbsent(stat.processGroup(), g -> new ArrayList<>())
                                .add(new Member(Long.parseLong(procDir.getFileName().toString()), procDir, stat));
                    }
                }
            } catch (IOException e) {
                // /proc cannot be listed: no member can be seen.
            }
            return new Scan(byGroup);
        }

        /** Calls {@code visitor} for every live member the scan found in {@code processGroup}. */
        void forEachLiveMember(long processGroup, MemberVisitor visitor) {
            for (Member member : byGroup.getOrDefault(processGroup, List.of())) {
                visitor.visit(member.pid(), member.procDir(), member.stat());
            }
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

    /** How long {@link #outputOf} waits for a new child to leave the JVM's launch helper. */
    private static final long LAUNCH_HELPER_DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(2);

    /**
     * What a just-started child writes its output to, as the {@linkplain BasicFileAttributes#fileKey()
     * file key} (device and inode) of its stdout: its pipe, or its terminal's slave. A key and not
     * the name, as a terminal's name ({@code /dev/pts/0}) repeats in every container's own
     * {@code devpts}. Null unless certain: the JVM's launch helper ({@code jspawnhelper}, or a forked
     * JVM) holds the daemon's own descriptors until it executes the command, so the child is read
     * only once it runs something else; and the key is accepted only when the daemon holds the same
     * file on a descriptor of its own (the pipe's other end, the terminal it keeps open), never its
     * stdin, stdout or stderr, which lead to whoever started the daemon. Blocking (polls {@code /proc}).
     */
    static Object outputOf(long pid) {
        long deadline = System.nanoTime() + LAUNCH_HELPER_DEADLINE_NANOS;
        String selfExe = link(PROC.resolve("self").resolve("exe"));
        Path procDir = PROC.resolve(Long.toString(pid));
        while (true) {
            // Read again until certain: an exec under way can make the links unreadable for a moment.
            String exe = link(procDir.resolve("exe"));
            if (exe != null && !exe.endsWith("/jspawnhelper") && !exe.equals(selfExe)) {
                Object key = descriptorKey(procDir.resolve("fd").resolve("1"));
                if (key != null) {
                    return heldByDaemon(key) ? key : null;
                }
            }
            if (System.nanoTime() - deadline > 0 || ProcessHandle.of(pid).isEmpty()) {
                return null;
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    /** Whether the daemon holds {@code key} on a descriptor of its own, and not as its stdin, stdout or stderr. */
    private static boolean heldByDaemon(Object key) {
        boolean held = false;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(PROC.resolve("self").resolve("fd"))) {
            for (Path fd : fds) {
                String name = fd.getFileName().toString();
                if (key.equals(descriptorKey(fd))) {
                    if (name.equals("0") || name.equals("1") || name.equals("2")) {
                        return false;
                    }
                    held = true;
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            return false;
        }
        return held;
    }

    /** The file key of what a descriptor link of {@code /proc} leads to, or null (gone, unreadable). */
    static Object descriptorKey(Path fdLink) {
        try {
            return Files.readAttributes(fdLink, BasicFileAttributes.class).fileKey();
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return null;
        }
    }

    private static String link(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return null;
        }
    }

    /**
     * The processes that write to the file of {@code key} (their stdout or stderr is it), other than
     * the daemon and its ancestors. A server's output pipe or terminal is created by the daemon for
     * that server alone, so whoever writes to it descends from the server, whatever session or group
     * it moved to. Processes of other users (unreadable descriptors) are never listed.
     */
    static List<Long> writersTo(Object key) {
        java.util.Set<Long> excluded = new java.util.HashSet<>();
        for (java.util.Optional<ProcessHandle> p = java.util.Optional.of(ProcessHandle.current()); p.isPresent();
                p = p.get().parent()) {
            excluded.add(p.get().pid());
        }
        List<Long> writers = new ArrayList<>();
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(PROC, ProcessGroups::isPidDir)) {
            for (Path dir : pids) {
                long pid = Long.parseLong(dir.getFileName().toString());
                if (!excluded.contains(pid) && (key.equals(descriptorKey(dir.resolve("fd").resolve("1")))
                        || key.equals(descriptorKey(dir.resolve("fd").resolve("2"))))) {
                    writers.add(pid);
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            // /proc unreadable: nothing found
        }
        return writers;
    }

    /** A file of a process that may vanish or deny reading at any moment: null then. */
    static String readOrNull(Path file) {
        // Not Files.readString: a /proc file reports size 0, so it reads into a fresh 8 KiB array,
        // for every process at every tick. A stat line fits a small array; longer files read on.
        try (InputStream in = Files.newInputStream(file)) {
            byte[] start = new byte[SMALL_FILE_BYTES];
            int n = in.readNBytes(start, 0, start.length);
            if (n < start.length) {
                return new String(start, 0, n, StandardCharsets.ISO_8859_1);
            }
            return new String(start, StandardCharsets.ISO_8859_1) + new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    /** Longer than a {@code /proc/<pid>/stat} line. */
    private static final int SMALL_FILE_BYTES = 1024;

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
