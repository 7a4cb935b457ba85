package io.lightd.runtime.stats;

import io.lightd.protocol.Stats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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

    /**
     * Every this many samples the memory limit is read again and the block I/O file chosen again;
     * in between a sample reads neither (a limit changes only by an update of the container).
     */
    static final int RECHECK_SAMPLES = 10;

    private static final byte[] USAGE_USEC = ascii("usage_usec");
    private static final byte[] TOTAL_INACTIVE_FILE = ascii("total_inactive_file");
    private static final byte[] INACTIVE_FILE = ascii("inactive_file");
    private static final byte[] READ = ascii("Read");
    private static final byte[] WRITE = ascii("Write");
    private static final byte[] RBYTES = ascii("rbytes=");
    private static final byte[] WBYTES = ascii("wbytes=");
    private static final byte[] LO = ascii("lo");

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
    /** Samples taken: every {@link #RECHECK_SAMPLES}th reads the limit and looks for the block I/O file again. */
    private long samples;
    /** The memory limit last read. */
    private long limit;
    /** Index in {@link #blkio} of the file a sample reads; -1: look again. */
    private int chosenBlkio = -1;
    /** Network received and sent, block I/O read and written, of the sample being taken (reused). */
    private final long[] sums = new long[4];

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
            this.limit = memoryLimit();
            this.previousCpuNanos = cpuNanos();
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
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

    /**
     * Null when the cgroup is gone (the container has just ended): a file not there, or, for the
     * files kept open, a read that fails ({@code ENODEV} on cgroup v1) while the folder is gone.
     */
    @Override
    public Stats sample(Void batch, long nowNanos) throws IOException {
        try {
            return read(nowNanos);
        } catch (IOException e) {
            if (e instanceof NoSuchFileException || !Files.isDirectory(paths.cpu())) {
                return null;
            }
            throw e;
        }
    }

    private Stats read(long nowNanos) throws IOException {
        long cpu = cpuNanos();
        long elapsed = nowNanos - previousNanos;
        double cpuPercent = elapsed > 0 && cpu > previousCpuNanos ? (cpu - previousCpuNanos) * 100.0 / elapsed : 0;
        previousCpuNanos = cpu;
        previousNanos = nowNanos;
        long memory = memoryUsage();
        if (samples++ % RECHECK_SAMPLES == 0) {
            limit = memoryLimit();
            chosenBlkio = -1;
        }
        readBlockBytes();
        sums[0] = 0;
        sums[1] = 0;
        if (netDev != null) {
            int length = netDev.fillOrMinusOne();
            netDevBytes(netDev.bytes(), length, sums);
        }
        return new Stats(cpuPercent, memory, limit, sums[0], sums[1], sums[2], sums[3]).rounded();
    }

    private long cpuNanos() throws IOException {
        int length = cpu.fill();
        if (paths.version() == 1) {
            return decimal(cpu.bytes(), 0, length);
        }
        return keyedValue(cpu.bytes(), length, USAGE_USEC) * 1000;
    }

    private long memoryUsage() throws IOException {
        // fill() before bytes(): a fill may replace the buffer with a larger one.
        int length = memoryUsage.fill();
        long usage = decimal(memoryUsage.bytes(), 0, length);
        length = memoryStat.fill();
        long inactive = keyedValue(memoryStat.bytes(), length, paths.version() == 1 ? TOTAL_INACTIVE_FILE : INACTIVE_FILE);
        return inactive < usage ? usage - inactive : usage;
    }

    private long memoryLimit() throws IOException {
        int length = memoryLimit.fill();
        byte[] text = memoryLimit.bytes();
        long limit = length >= 3 && text[0] == 'm' && text[1] == 'a' && text[2] == 'x' ? Long.MAX_VALUE
                : decimal(text, 0, length);
        return hostMemory > 0 && limit > hostMemory ? hostMemory : limit;
    }

    /**
     * Block I/O bytes into {@code sums[2]} (read) and {@code sums[3]} (written). On v1 the first of
     * the files that has a device line, in runc's order; which one that is is looked up again every
     * {@link #RECHECK_SAMPLES} samples, and in between only the file found is read (when none has
     * one, the last: the throttle file, which counts every request).
     */
    private void readBlockBytes() {
        sums[2] = 0;
        sums[3] = 0;
        if (blkio.length == 0) {
            return;
        }
        if (paths.version() == 2) {
            int length = blkio[0].fillOrMinusOne();
            ioStatBytes(blkio[0].bytes(), length, sums);
            return;
        }
        if (chosenBlkio >= 0) {
            KernelFile file = blkio[chosenBlkio];
            int length = file.fillOrMinusOne();
            blkioBytes(file.bytes(), length, sums);
            return;
        }
        for (int i = 0; i < blkio.length; i++) {
            KernelFile file = blkio[i];
            int length = file.fillOrMinusOne();
            if (blkioBytes(file.bytes(), length, sums) || i == blkio.length - 1) {
                chosenBlkio = i;
                return;
            }
        }
    }

    // ---- parsing, of the formats the kernel documents (cgroup-v1/blkio-controller.rst, cgroup-v2.rst, proc(5)) ----
    // Straight from the bytes read, without strings: these run for every watched container every second.

    /**
     * The decimal at the start of {@code text[from, to)} after any spaces; 0 when there is none or it
     * does not fit a long (an empty file, {@code max}).
     */
    static long decimal(byte[] text, int from, int to) {
        int i = from;
        while (i < to && text[i] == ' ') {
            i++;
        }
        long value = 0;
        int digits = 0;
        for (; i < to; i++, digits++) {
            int digit = text[i] - '0';
            if (digit < 0 || digit > 9) {
                break;
            }
            if (value > (Long.MAX_VALUE - digit) / 10) {
                return 0;
            }
            value = value * 10 + digit;
        }
        return digits == 0 ? 0 : value;
    }

    /** The value of the line {@code key value} of a flat keyed file ({@code cpu.stat}, {@code memory.stat}), or 0. */
    static long keyedValue(byte[] text, int length, byte[] key) {
        int at = 0;
        while (at < length) {
            if (at + key.length < length && text[at + key.length] == ' ' && startsWith(text, at, key)) {
                return decimal(text, at + key.length + 1, lineEnd(text, at + key.length, length));
            }
            at = lineEnd(text, at, length) + 1;
        }
        return 0;
    }

    /**
     * Adds the read and write bytes of a v1 {@code blkio.*io_service_bytes*} text ({@code "8:0 Read
     * 4096"} lines; the last line {@code "Total N"} has two fields and is skipped) to {@code sums[2]}
     * and {@code sums[3]}.
     *
     * @return whether the text has a device line (a line of three fields); false for -1 (unreadable)
     */
    static boolean blkioBytes(byte[] text, int length, long[] sums) {
        boolean device = false;
        int at = 0;
        while (at < length) {
            int end = lineEnd(text, at, length);
            int operation = nextField(text, fieldEnd(text, nextField(text, at, end), end), end);
            int operationEnd = fieldEnd(text, operation, end);
            int value = nextField(text, operationEnd, end);
            if (value < end && nextField(text, fieldEnd(text, value, end), end) == end) {
                device = true;
                if (is(text, operation, operationEnd, READ)) {
                    sums[2] += decimal(text, value, end);
                } else if (is(text, operation, operationEnd, WRITE)) {
                    sums[3] += decimal(text, value, end);
                }
            }
            at = end + 1;
        }
        return device;
    }

    /**
     * Adds {@code rbytes} and {@code wbytes} of a v2 {@code io.stat} text ({@code "8:16 rbytes=1459200
     * wbytes=314773504 ..."}, a line per device) to {@code sums[2]} and {@code sums[3]}; nothing for
     * -1 (unreadable).
     */
    static void ioStatBytes(byte[] text, int length, long[] sums) {
        int at = 0;
        while (at < length) {
            int end = lineEnd(text, at, length);
            for (int field = nextField(text, at, end); field < end; field = nextField(text, fieldEnd(text, field, end), end)) {
                if (startsWith(text, field, RBYTES)) {
                    sums[2] += decimal(text, field + RBYTES.length, end);
                } else if (startsWith(text, field, WBYTES)) {
                    sums[3] += decimal(text, field + WBYTES.length, end);
                }
            }
            at = end + 1;
        }
    }

    /**
     * Adds the received and sent bytes of a {@code /proc/<pid>/net/dev} text, summed over its
     * interfaces but {@code lo}, to {@code sums[0]} and {@code sums[1]}: after two header lines (with
     * {@code |}), {@code "  eth0: rxbytes rxpackets ... (8 fields) txbytes ..."}; nothing for -1
     * (unreadable).
     */
    static void netDevBytes(byte[] text, int length, long[] sums) {
        int at = 0;
        while (at < length) {
            int end = lineEnd(text, at, length);
            int colon = indexOf(text, at, end, (byte) ':');
            if (colon < end && indexOf(text, at, end, (byte) '|') == end) {
                int name = nextField(text, at, colon);
                if (!is(text, name, fieldEnd(text, name, colon), LO)) {
                    int field = nextField(text, colon + 1, end);
                    long received = decimal(text, field, end);
                    for (int i = 0; i < 8 && field < end; i++) {
                        field = nextField(text, fieldEnd(text, field, end), end);
                    }
                    if (field < end) {
                        sums[0] += received;
                        sums[1] += decimal(text, field, end);
                    }
                }
            }
            at = end + 1;
        }
    }

    /** A decimal of a kernel file's text; 0 for anything else (an empty file). */
    static long parseLong(String text) {
        String t = text.trim();
        try {
            return t.isEmpty() ? 0 : Long.parseLong(t);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static int lineEnd(byte[] text, int from, int length) {
        return indexOf(text, from, length, (byte) '\n');
    }

    /** The first {@code c} in {@code text[from, to)}, or {@code to}. */
    private static int indexOf(byte[] text, int from, int to, byte c) {
        for (int i = from; i < to; i++) {
            if (text[i] == c) {
                return i;
            }
        }
        return to;
    }

    /** The start of the next field at or after {@code from} (past spaces and tabs), or {@code end}. */
    private static int nextField(byte[] text, int from, int end) {
        int i = from;
        while (i < end && (text[i] == ' ' || text[i] == '\t')) {
            i++;
        }
        return i;
    }

    /** Where the field starting at {@code from} ends (the next space or tab), or {@code end}. */
    private static int fieldEnd(byte[] text, int from, int end) {
        int i = from;
        while (i < end && text[i] != ' ' && text[i] != '\t') {
            i++;
        }
        return i;
    }

    private static boolean startsWith(byte[] text, int at, byte[] prefix) {
        if (at + prefix.length > text.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (text[at + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static boolean is(byte[] text, int from, int to, byte[] word) {
        return to - from == word.length && startsWith(text, from, word);
    }
}
