package io.lightd.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads figures of a process from the outside, by its pid (the daemon, or the load client itself):
 * CPU seconds and threads from {@code /proc}, heap from {@code jcmd}. Every reading is -1 when it
 * cannot be had; heap readings are -1 for a process that is not a JVM (jcmd is not run against it).
 */
final class ProcessFigures {

    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");
    private static final Pattern HISTOGRAM_TOTAL = Pattern.compile("Total\\s+\\d+\\s+(\\d+)");

    private final long pid;
    private final long ticksPerSecond;

    ProcessFigures(long pid) {
        this.pid = pid;
        this.ticksPerSecond = clockTicks();
    }

    long pid() {
        return pid;
    }

    /** User plus system CPU time of the whole process so far. */
    double cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / (double) ticksPerSecond;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    long threads() {
        return statusField("Threads:");
    }

    /** Resident set size in bytes. */
    long rssBytes() {
        long kb = statusField("VmRSS:");
        return kb < 0 ? -1 : kb * 1024;
    }

    /** True when the process has the HotSpot JVM library mapped. */
    boolean isJvm() {
        try (var lines = Files.lines(Path.of("/proc", Long.toString(pid), "maps"), StandardCharsets.ISO_8859_1)) {
            return lines.anyMatch(line -> line.endsWith("/libjvm.so"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Heap in use now, as {@code jcmd GC.heap_info} tells it; -1 for a process that is not a JVM. */
    long heapUsedBytes() {
        if (!isJvm()) {
            return -1;
        }
        Matcher m = HEAP_USED.matcher(jcmd("GC.heap_info"));
        return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
    }

    /** Heap in use after a full collection ({@code jcmd GC.run}, which waits for it). */
    long heapUsedAfterFullGc() {
        if (!isJvm()) {
            return -1;
        }
        jcmd("GC.run");
        return heapUsedBytes();
    }

    /**
     * The first {@code rows} classes of {@code jcmd GC.class_histogram} (live objects, after a full GC)
     * and its total line.
     */
    String classHistogram(int rows) {
        if (!isJvm()) {
            return "";
        }
        String[] lines = jcmd("GC.class_histogram").split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(lines, 0, Math.min(lines.length, rows + 3)))
                + "\n" + lines[lines.length - 1];
    }

    /**
     * Bytes of live objects: the total of {@code jcmd GC.class_histogram}, which runs a full GC first.
     * Unlike {@link #heapUsedAfterFullGc}, it does not count what the daemon allocated between the
     * collection and the reading. -1 when it cannot be had.
     */
    long liveBytes() {
        if (!isJvm()) {
            return -1;
        }
        Matcher m = HISTOGRAM_TOTAL.matcher(jcmd("GC.class_histogram"));
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private long statusField(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private String jcmd(String command) {
        return run(List.of(jcmdPath(), Long.toString(pid), command));
    }

    private static String jcmdPath() {
        Path beside = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        return Files.isExecutable(beside) ? beside.toString() : "jcmd";
    }

    static long clockTicks() {
        try {
            return Long.parseLong(run(List.of("getconf", "CLK_TCK")).trim());
        } catch (RuntimeException e) {
            return 100;
        }
    }

    private static String run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
