package io.lightd.runtime.process;

import io.lightd.protocol.Stats;
import io.lightd.runtime.stats.StatsSource;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Samples the resources of one process group from {@code /proc}, as the {@code stats} event reports
 * them: CPU in percent of one core since the previous sample, resident memory, and block I/O bytes,
 * summed over every live member of the group. Network counters are 0: host processes share the
 * host's interfaces, so there is nothing per container to count.
 *
 * <p>Sampled by the runtime's {@link io.lightd.runtime.stats.StatsSampler} in batches: one scan of
 * {@code /proc} per batch ({@link ProcessGroups.Scan}) finds the members of every group sampled in
 * it, so the scan is paid once per tick, not once per server. Members are told apart by pid and start time, so a reused pid
 * is not mistaken for an old member. I/O of members that have exited is kept, so the block counters
 * never go back; their CPU time in the interval they exited in is lost, as the kernel credits it to
 * the parent only as a waited-for child.
 *
 * <p>Sampled by one thread at a time (the sampler never puts a source in two batches at once).
 */
final class GroupStatsSampler implements StatsSource<ProcessGroups.Scan> {

    private final long processGroup;
    private final long memoryLimit;
    private final long clockTicksPerSecond;

    private Map<Member, Usage> previous = Map.of();
    private long previousNanos;
    private long exitedReadBytes;
    private long exitedWriteBytes;

    /**
     * @param processGroup       the group to sample
     * @param memoryLimit        reported as is: the container's limit, or the host's memory
     * @param clockTicksPerSecond the unit of CPU times in {@code /proc/<pid>/stat}
     * @param startNanos         {@link System#nanoTime()} when the group started: the first sample's
     *                           CPU share is measured from there
     */
    GroupStatsSampler(long processGroup, long memoryLimit, long clockTicksPerSecond, long startNanos) {
        this.processGroup = processGroup;
        this.memoryLimit = memoryLimit;
        this.clockTicksPerSecond = clockTicksPerSecond;
        this.previousNanos = startNanos;
    }

    /** Takes a sample with a scan of its own; blocking (reads {@code /proc}). */
    Stats sample() {
        return sample(null, System.nanoTime());
    }

    /** Takes a sample from the members {@code scan} found (scans itself when null); blocking. */
    @Override
    public synchronized Stats sample(ProcessGroups.Scan scan, long now) {
        Map<Member, Usage> current = scan(scan);

        for (Map.Entry<Member, Usage> gone : previous.entrySet()) {
            if (!current.containsKey(gone.getKey())) {
                exitedReadBytes += gone.getValue().readBytes();
                exitedWriteBytes += gone.getValue().writeBytes();
            }
        }
        long ticks = 0;
        long residentBytes = 0;
        long readBytes = exitedReadBytes;
        long writeBytes = exitedWriteBytes;
        for (Map.Entry<Member, Usage> member : current.entrySet()) {
            Usage usage = member.getValue();
            Usage before = previous.get(member.getKey());
            // A member new since the last sample started after it: all its CPU time is recent.
            ticks += before == null ? usage.cpuTicks() : Math.max(0, usage.cpuTicks() - before.cpuTicks());
            residentBytes += usage.residentBytes();
            readBytes += usage.readBytes();
            writeBytes += usage.writeBytes();
        }
        double seconds = (now - previousNanos) / 1e9;
        double cpuPercent = seconds > 0 ? ticks * 100.0 / clockTicksPerSecond / seconds : 0;
        previous = current;
        previousNanos = now;
        return new Stats(cpuPercent, residentBytes, memoryLimit, 0, 0, readBytes, writeBytes);
    }

    private Map<Member, Usage> scan(ProcessGroups.Scan scan) {
        Map<Member, Usage> members = new HashMap<>();
        ProcessGroups.MemberVisitor visitor = (pid, procDir, stat) -> {
            long[] io = readIoBytes(procDir);
            members.put(new Member(pid, stat.startTicks()), new Usage(stat.cpuTicks(), readResidentBytes(procDir), io[0], io[1]));
        };
        if (scan == null) {
            ProcessGroups.forEachLiveMember(processGroup, visitor);
        } else {
            scan.forEachLiveMember(processGroup, visitor);
        }
        return members;
    }

    /** VmRSS of {@code /proc/<pid>/status}, kept in KiB by the kernel whatever the page size. */
    private static long readResidentBytes(Path pidDir) {
        String status = ProcessGroups.readOrNull(pidDir.resolve("status"));
        return status == null ? 0 : fieldValue(status, "VmRSS:") * 1024;
    }

    /** {@code read_bytes} and {@code write_bytes} of {@code /proc/<pid>/io}: both 0 when unreadable. */
    private static long[] readIoBytes(Path pidDir) {
        String io = ProcessGroups.readOrNull(pidDir.resolve("io"));
        return io == null ? new long[2] : new long[] {fieldValue(io, "read_bytes:"), fieldValue(io, "write_bytes:")};
    }

    /** The number after {@code key} at the start of a line of {@code text} ("VmRSS:   1234 kB"), or 0. */
    static long fieldValue(String text, String key) {
        int at = text.startsWith(key) ? 0 : text.indexOf('\n' + key);
        if (at < 0) {
            return 0;
        }
        int i = text.indexOf(key, at) + key.length();
        while (i < text.length() && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) {
            i++;
        }
        long value = 0;
        while (i < text.length() && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
            value = value * 10 + (text.charAt(i++) - '0');
        }
        return value;
    }

    /** One process, told apart from a later one that reuses its pid. */
    private record Member(long pid, long startTicks) {
    }

    private record Usage(long cpuTicks, long residentBytes, long readBytes, long writeBytes) {
    }
}
