package io.lightd.runtime.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
