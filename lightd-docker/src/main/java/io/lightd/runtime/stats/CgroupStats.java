package io.lightd.runtime.stats;

import io.lightd.protocol.Stats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The stats of one container read straight from the kernel: its cgroup (v1 or v2) and the network
 * namespace of its process ({@code /proc/<pid>/net/dev}), with the meaning of the engine's stats as
 * {@code docker stats} shows them:
 * <ul>
 *   <li>CPU: percent of one core since the previous sample: the cgroup's CPU time delta over the
 *       wall-clock delta ({@code cpuacct.usage} in ns on v1, {@code usage_usec} of {@code cpu.stat}
 *       on v2). The engine divides by the host's CPU time instead (jiffies of {@code /proc/stat} over
 *       the online CPUs), which is the same quantity up to tick rounding.</li>
 *   <li>Memory: usage without inactive file cache: {@code memory.usage_in_bytes} minus
 *       {@code total_inactive_file} of {@code memory.stat} on v1, {@code memory.current} minus
 *       {@code inactive_file} on v2 (each only when smaller).</li>
 *   <li>Memory limit: {@code memory.limit_in_bytes} (v1) or {@code memory.max} (v2), the host's
 *       memory when unlimited or larger, as the engine reports it.</li>
 *   <li>Block I/O: bytes read and written summed over devices: the first non-empty of
 *       {@code blkio.io_service_bytes_recursive}, {@code blkio.bfq.io_service_bytes_recursive},
 *       {@code blkio.throttle.io_service_bytes_recursive} (v1, the order runc reads them in), or the
 *       {@code rbytes}/{@code wbytes} of {@code io.stat} (v2).</li>
 *   <li>Network: received and sent bytes summed over the namespace's interfaces but {@code lo}
 *       (the engine counts only the container's endpoints, which never include loopback).</li>
 * </ul>
 * Sampled by one thread at a time (see {@link StatsSource}); blocking.
 */
public final class CgroupStats implements StatsSource<Void>, AutoCloseable {

    /**
     * A container's cgroup folders: one per v1 controller, or the same v2 folder three times.
     *
     * @param version 1 or 2, as {@link CgroupLayout#version()}
     * @param cpu     the folder with {@code cpuacct.usage} (v1) or {@code cpu.stat} (v2)
     * @param memory  the folder of the memory controller's files
     * @param blkio   the folder of the block I/O files ({@code blkio.*} on v1, {@code io.stat} on v2)
     */
    public record Paths(int version, Path cpu, Path memory, Path blkio) {
        /**
         * The v2 layout: every file in one folder.
         *
         * @param folder the container's cgroup v2 folder on this host
         * @return paths of version 2 with {@code folder} three times
         */
        public static Paths v2(Path folder) {
            return new Paths(2, folder, folder, folder);
        }
    }

    /** Runs of spaces between a line's fields (compiled once: {@code String.split(" +")} compiles it per call). */
    private static final Pattern SPACES = Pattern.compile(" +");

    private static final String[] V1_BLKIO_FILES = {
        "blkio.io_service_bytes_recursive", "blkio.bfq.io_service_bytes_recursive",
        "blkio.throttle.io_service_bytes_recursive"};

    private final Paths paths;
    private final KernelFile netDev;
    private final long hostMemory;
    private final KernelFile cpu;
    private final KernelFile memoryUsage;
    private final KernelFile memoryStat;
    private final KernelFile memoryLimit;
    /** The block I/O files this kernel has, in the order they are tried. */
    private final KernelFile[] blkio;
    private long previousCpuNanos;
    private long previousNanos;

    /**
     * Reads the CPU time once, as the base of the first sample's CPU share.
     *
     * @param paths      the container's cgroup folders
     * @param netDev     {@code /proc/<pid>/net/dev} of the container's process, or null for none (0)
     * @param hostMemory the host's memory in bytes: the limit reported when there is none
     * @throws IOException when the cgroup cannot be read: it is not there, not this layout, or one of
     *                     the CPU and memory files a sample reads is missing (block I/O and network
     *                     files are optional and count as 0)
     */
    public CgroupStats(Paths paths, Path netDev, long hostMemory) throws IOException {
        this.paths = paths;
        this.netDev = netDev == null ? null : new KernelFile(netDev);
        this.hostMemory = hostMemory;
        boolean v1 = paths.version() == 1;
        this.cpu = new KernelFile(paths.cpu().resolve(v1 ? "cpuacct.usage" : "cpu.stat"));
        this.memoryUsage = new KernelFile(paths.memory().resolve(v1 ? "memory.usage_in_bytes" : "memory.current"));
        this.memoryStat = new KernelFile(paths.memory().resolve("memory.stat"));
        this.memoryLimit = new KernelFile(paths.memory().resolve(v1 ? "memory.limit_in_bytes" : "memory.max"));
        List<KernelFile> present = new ArrayList<>();
        for (String name : v1 ? V1_BLKIO_FILES : new String[] {"io.stat"}) {
            Path file = paths.blkio().resolve(name);
            if (Files.exists(file)) {
                present.add(new KernelFile(file));
            }
        }
        this.blkio = present.toArray(new KernelFile[0]);
        this.previousNanos = System.nanoTime();
        try {
            // Every file a sample needs is read once here, so that a cgroup missing one (a v2 cgroup
            // without the memory controller enabled) is refused now rather than failing every sample.
            memoryUsage();
            memoryLimit();
            this.previousCpuNanos = cpuNanos();
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    /** Closes the files kept open; a sample afterwards fails. */
    @Override
    public void close() {
        for (KernelFile file : new KernelFile[] {cpu, memoryUsage, memoryStat, memoryLimit, netDev}) {
            if (file != null) {
                file.close();
            }
        }
        for (KernelFile file : blkio) {
            file.close();
        }
    }

    /** Null when the cgroup is gone (the container has just ended). */
    @Override
    public Stats sample(Void batch, long nowNanos) throws IOException {
        long cpu;
        try {
            cpu = cpuNanos();
        } catch (NoSuchFileException gone) {
            return null;
        }
        long elapsed = nowNanos - previousNanos;
        double cpuPercent = elapsed > 0 && cpu > previousCpuNanos ? (cpu - previousCpuNanos) * 100.0 / elapsed : 0;
        previousCpuNanos = cpu;
        previousNanos = nowNanos;
        long[] block = blockBytes();
        long[] network = netDev == null ? new long[2] : netDevBytes(netDev.readOrNull());
        return new Stats(cpuPercent, memoryUsage(), memoryLimit(), network[0], network[1], block[0], block[1]).rounded();
    }

    private long cpuNanos() throws IOException {
        if (paths.version() == 1) {
            return parseLong(cpu.read());
        }
        return keyedValue(cpu.read(), "usage_usec") * 1000;
    }

    private long memoryUsage() throws IOException {
        long usage = parseLong(memoryUsage.read());
        return withoutInactiveFile(usage, memoryStat.read(),
                paths.version() == 1 ? "total_inactive_file" : "inactive_file");
    }

    private long memoryLimit() throws IOException {
        String text = memoryLimit.read().trim();
        long limit = text.equals("max") ? Long.MAX_VALUE : parseLong(text);
        return hostMemory > 0 && limit > hostMemory ? hostMemory : limit;
    }

    private long[] blockBytes() {
        if (paths.version() == 2) {
            return blkio.length == 0 ? new long[2] : ioStatBytes(blkio[0].readOrNull());
        }
        for (KernelFile file : blkio) {
            String text = file.readOrNull();
            if (text != null && hasDeviceLine(text)) {
                return blkioBytes(text);
            }
        }
        return new long[2];
    }

    // ---- parsing, of the formats the kernel documents (cgroup-v1/blkio-controller.rst, cgroup-v2.rst, proc(5)) ----

    /** {@code usage} minus the {@code key} line of a {@code memory.stat} text, only when smaller. */
    static long withoutInactiveFile(long usage, String memoryStat, String key) {
        long inactive = keyedValue(memoryStat, key);
        return inactive < usage ? usage - inactive : usage;
    }

    /** The value of the line {@code key value} of a flat keyed file ({@code cpu.stat}, {@code memory.stat}), or 0. */
    static long keyedValue(String text, String key) {
        int at = 0;
        while (at < text.length()) {
            int end = text.indexOf('\n', at);
            if (end < 0) {
                end = text.length();
            }
            if (text.startsWith(key, at) && at + key.length() < end && text.charAt(at + key.length()) == ' ') {
                return parseLong(text.substring(at + key.length() + 1, end));
            }
            at = end + 1;
        }
        return 0;
    }

    /** Read and write bytes of a v1 {@code blkio.*io_service_bytes*} text ({@code "8:0 Read 4096"} lines; {@code Total} skipped). */
    static long[] blkioBytes(String text) {
        long[] sum = new long[2];
        for (String line : text.split("\n")) {
            String[] fields = SPACES.split(line.trim());
            if (fields.length == 3) {
                if (fields[1].equals("Read")) {
                    sum[0] += parseLong(fields[2]);
                } else if (fields[1].equals("Write")) {
                    sum[1] += parseLong(fields[2]);
                }
            }
        }
        return sum;
    }

    private static boolean hasDeviceLine(String text) {
        for (String line : text.split("\n")) {
            if (SPACES.split(line.trim()).length == 3) {
                return true;
            }
        }
        return false;
    }

    /** {@code rbytes} and {@code wbytes} of a v2 {@code io.stat} text summed over devices ({@code "8:16 rbytes=1459200 wbytes=314773504 ..."}). */
    static long[] ioStatBytes(String text) {
        long[] sum = new long[2];
        if (text == null) {
            return sum;
        }
        for (String line : text.split("\n")) {
            for (String field : SPACES.split(line.trim())) {
                if (field.startsWith("rbytes=")) {
                    sum[0] += parseLong(field.substring(7));
                } else if (field.startsWith("wbytes=")) {
                    sum[1] += parseLong(field.substring(7));
                }
            }
        }
        return sum;
    }

    /**
     * Received and sent bytes of a {@code /proc/<pid>/net/dev} text summed over its interfaces but
     * {@code lo}: after two header lines, {@code "  eth0: rxbytes rxpackets ... (8 fields) txbytes ..."}.
     */
    static long[] netDevBytes(String text) {
        long[] sum = new long[2];
        if (text == null) {
            return sum;
        }
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = line.substring(0, colon).trim();
            String[] fields = SPACES.split(line.substring(colon + 1).trim());
            if (name.equals("lo") || fields.length < 9 || name.contains("|")) {
                continue;
            }
            sum[0] += parseLong(fields[0]);
            sum[1] += parseLong(fields[8]);
        }
        return sum;
    }

    /** A decimal of a kernel file; 0 for anything else (an empty file). */
    static long parseLong(String text) {
        String t = text.trim();
        try {
            return t.isEmpty() ? 0 : Long.parseLong(t);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
