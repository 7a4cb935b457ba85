package io.lightd.runtime.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lightd.protocol.Stats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parsing of the kernel's files. This host has cgroup v1 (cgroupfs), which the Docker comparison test
 * reads for real; v2 is tested here against files laid out as Documentation/admin-guide/cgroup-v2.rst
 * documents them ({@code cpu.stat}, {@code memory.current}, {@code memory.stat}, {@code memory.max},
 * {@code io.stat}).
 */
class CgroupStatsTest {

    private static final long GIB = 1L << 30;

    @Test
    void readsAV2CgroupAsTheKernelDocumentsIt(@TempDir Path cgroup) throws IOException {
        Files.writeString(cgroup.resolve("cpu.stat"), "usage_usec 1000000\nuser_usec 600000\nsystem_usec 400000\n"
                + "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\n");
        Files.writeString(cgroup.resolve("memory.current"), "104857600\n");
        Files.writeString(cgroup.resolve("memory.stat"), "anon 52428800\nfile 52428800\nkernel_stack 16384\n"
                + "active_file 31457280\ninactive_file 20971520\nactive_anon 0\ninactive_anon 52428800\n");
        Files.writeString(cgroup.resolve("memory.max"), "536870912\n");
        Files.writeString(cgroup.resolve("io.stat"), "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
                + "8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021\n");
        Path netDev = cgroup.resolve("net-dev");
        Files.writeString(netDev, "Inter-|   Receive                                                |  Transmit\n"
                + " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
                + "    lo:    5000      10    0    0    0     0          0         0     5000      10    0    0    0     0       0          0\n"
                + "  eth0:    1024       8    0    0    0     0          0         0     2048      16    0    0    0     0       0          0\n");

        CgroupStats source = new CgroupStats(CgroupStats.Paths.v2(cgroup), netDev, 16 * GIB);
        long base = System.nanoTime();
        Files.writeString(cgroup.resolve("cpu.stat"), "usage_usec 1500000\nuser_usec 900000\nsystem_usec 600000\n");
        Stats stats = source.sample(null, nextSecond(source, base));

        assertThat(stats.memoryUsage()).isEqualTo(104857600L - 20971520L);
        assertThat(stats.memoryLimit()).isEqualTo(536870912L);
        assertThat(stats.blockRead()).isEqualTo(1459200L + 90430464L);
        assertThat(stats.blockWrite()).isEqualTo(314773504L + 299008000L);
        assertThat(stats.networkRx()).isEqualTo(1024);
        assertThat(stats.networkTx()).isEqualTo(2048);
        assertThat(stats.cpuUsage()).isPositive();
    }

    @Test
    void anUnlimitedV2CgroupReportsTheHostsMemory(@TempDir Path cgroup) throws IOException {
        Files.writeString(cgroup.resolve("cpu.stat"), "usage_usec 0\n");
        Files.writeString(cgroup.resolve("memory.current"), "4096\n");
        Files.writeString(cgroup.resolve("memory.stat"), "inactive_file 8192\n");
        Files.writeString(cgroup.resolve("memory.max"), "max\n");
        CgroupStats source = new CgroupStats(CgroupStats.Paths.v2(cgroup), null, 16 * GIB);
        Stats stats = source.sample(null, System.nanoTime());
        assertThat(stats.memoryLimit()).isEqualTo(16 * GIB);
        // inactive_file larger than usage (racy counters): usage is kept, as docker stats does.
        assertThat(stats.memoryUsage()).isEqualTo(4096);
        assertThat(stats.blockRead()).isZero();
        assertThat(stats.networkRx()).isZero();
    }

    @Test
    void cpuShareIsCgroupTimeOverWallTime(@TempDir Path cgroup) throws IOException {
        Files.writeString(cgroup.resolve("cpu.stat"), "usage_usec 0\n");
        Files.writeString(cgroup.resolve("memory.current"), "0\n");
        Files.writeString(cgroup.resolve("memory.stat"), "");
        Files.writeString(cgroup.resolve("memory.max"), "max\n");
        CgroupStats source = new CgroupStats(CgroupStats.Paths.v2(cgroup), null, GIB);
        long t0 = System.nanoTime();
        source.sample(null, t0);
        // 1.5 s of CPU time over 2 s of wall time: 75 % of one core.
        Files.writeString(cgroup.resolve("cpu.stat"), "usage_usec 1500000\n");
        assertThat(source.sample(null, t0 + 2_000_000_000L).cpuUsage()).isEqualTo(75.0);
    }

    @Test
    void readsAV1CgroupOfTheCgroupfsDriver(@TempDir Path root) throws IOException {
        CgroupStats.Paths paths = v1Cgroup(root, "26299053", "598016", "9223372036854771712",
                "cache 0\ninactive_file 4096\ntotal_cache 0\ntotal_inactive_file 8192\n");
        Path blkio = paths.blkio();
        Files.writeString(blkio.resolve("blkio.io_service_bytes_recursive"), "Total 0\n");
        Files.writeString(blkio.resolve("blkio.throttle.io_service_bytes_recursive"),
                "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Discard 0\n8:0 Total 12288\nTotal 12288\n");
        CgroupStats source = new CgroupStats(paths, null, 16 * GIB);
        Stats stats = source.sample(null, System.nanoTime());
        assertThat(stats.memoryUsage()).isEqualTo(598016 - 8192);
        assertThat(stats.memoryLimit()).isEqualTo(16 * GIB);
        assertThat(stats.blockRead()).isEqualTo(4096);
        assertThat(stats.blockWrite()).isEqualTo(8192);
    }

    @Test
    void aV1BlockIoFileThatFillsLaterAndALimitThatChangesAreSeenWithinTheRecheckInterval(@TempDir Path root)
            throws IOException {
        CgroupStats.Paths paths = v1Cgroup(root, "0", "4096", "1073741824", "total_inactive_file 0\n");
        Path memory = paths.memory();
        Path bfq = paths.blkio().resolve("blkio.bfq.io_service_bytes_recursive");
        Path throttle = paths.blkio().resolve("blkio.throttle.io_service_bytes_recursive");
        Files.writeString(bfq, "Total 0\n");
        Files.writeString(throttle, "Total 0\n");
        CgroupStats source = new CgroupStats(paths, null, 16 * GIB);
        long now = System.nanoTime();
        assertThat(source.sample(null, now).blockRead()).isZero();

        // I/O starts: the throttle file (which counts every request) shows it at once; the bfq file,
        // which runc prefers, is found within the recheck interval.
        Files.writeString(throttle, "8:0 Read 1000\n8:0 Write 2000\n8:0 Total 3000\nTotal 3000\n");
        Files.writeString(bfq, "8:0 Read 1024\n8:0 Write 2048\n8:0 Sync 0\n8:0 Async 3072\n8:0 Total 3072\nTotal 3072\n");
        Files.writeString(memory.resolve("memory.limit_in_bytes"), "536870912\n");
        Stats first = source.sample(null, now += 1_000_000_000L);
        assertThat(first.blockRead()).isEqualTo(1000);
        assertThat(first.blockWrite()).isEqualTo(2000);
        Stats last = first;
        for (int i = 1; i < CgroupStats.RECHECK_SAMPLES; i++) {
            last = source.sample(null, now += 1_000_000_000L);
        }
        assertThat(last.blockRead()).isEqualTo(1024);
        assertThat(last.blockWrite()).isEqualTo(2048);
        assertThat(last.memoryLimit()).isEqualTo(536870912L);
        // From then on only the bfq file is read.
        Files.writeString(throttle, "not read\n");
        Files.writeString(bfq, "8:0 Read 4096\n8:16 Read 4096\n8:0 Write 0\nTotal 8192\n");
        assertThat(source.sample(null, now + 1_000_000_000L).blockRead()).isEqualTo(8192);
    }

    @Test
    void parsesTheBytesOfEachFormatAsTheKernelWritesThem() {
        long[] sums = new long[4];
        byte[] netDev = ascii("Inter-|   Receive                                                |  Transmit\n"
                + " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
                + "    lo: 9999999      10    0    0    0     0          0         0  9999999      10    0    0    0     0       0          0\n"
                + "  eth0: 1024 8 0 0 0 0 0 0 2048 16 0 0 0 0 0 0\n"
                + "  eth1:18446744073709551615 1 0 0 0 0 0 0 7 1 0 0 0 0 0 0\n"
                + "  eth2: 5 1 0 0\n");
        CgroupStats.netDevBytes(netDev, netDev.length, sums);
        // eth1's received count does not fit a long and reads as 0; eth2's line is cut short and is skipped.
        assertThat(sums[0]).isEqualTo(1024);
        assertThat(sums[1]).isEqualTo(2048 + 7);
        CgroupStats.netDevBytes(netDev, -1, sums);
        assertThat(sums[0]).isEqualTo(1024);

        byte[] memoryStat = ascii("inactive_file_x 1\ninactive_file 4096\ntotal_inactive_file 8192\n");
        assertThat(CgroupStats.keyedValue(memoryStat, memoryStat.length, ascii("inactive_file"))).isEqualTo(4096);
        assertThat(CgroupStats.keyedValue(memoryStat, memoryStat.length, ascii("total_inactive_file"))).isEqualTo(8192);
        assertThat(CgroupStats.keyedValue(memoryStat, memoryStat.length, ascii("active_file"))).isZero();
        // Only what was read counts: a buffer longer than the text holds an older, longer text.
        assertThat(CgroupStats.keyedValue(memoryStat, 18, ascii("inactive_file"))).isZero();

        byte[] blkio = ascii("8:0 Read 10\n8:0 Write 20\n8:16 Read 1\n8:16 Write 2\n8:0 Total 33\nTotal 33\n");
        sums = new long[4];
        assertThat(CgroupStats.blkioBytes(blkio, blkio.length, sums)).isTrue();
        assertThat(sums).containsExactly(0, 0, 11, 22);
        byte[] empty = ascii("Total 0\n");
        assertThat(CgroupStats.blkioBytes(empty, empty.length, sums)).isFalse();
        assertThat(CgroupStats.blkioBytes(empty, -1, sums)).isFalse();

        byte[] ioStat = ascii("8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
                + "8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021\n");
        sums = new long[4];
        CgroupStats.ioStatBytes(ioStat, ioStat.length, sums);
        assertThat(sums).containsExactly(0, 0, 1459200L + 90430464L, 314773504L + 299008000L);

        assertThat(CgroupStats.decimal(ascii(" 9223372036854771712\n"), 0, 21)).isEqualTo(9223372036854771712L);
        assertThat(CgroupStats.decimal(ascii("9223372036854775808"), 0, 19)).isZero();
        assertThat(CgroupStats.decimal(ascii("max\n"), 0, 4)).isZero();
        assertThat(CgroupStats.decimal(ascii(""), 0, 0)).isZero();
    }

    @Test
    void aV1CgroupRemovedWhileItsFilesAreOpenIsGoneNotAFailure() throws IOException {
        Path root = Path.of("/sys/fs/cgroup");
        String name = "lightd-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Path cpu = root.resolve("cpuacct").resolve(name);
        Path memory = root.resolve("memory").resolve(name);
        Path blkio = root.resolve("blkio").resolve(name);
        try {
            Files.createDirectory(cpu);
            Files.createDirectory(memory);
            Files.createDirectory(blkio);
        } catch (IOException | UnsupportedOperationException e) {
            Files.deleteIfExists(cpu);
            Files.deleteIfExists(memory);
            Assumptions.abort("cgroup v1 hierarchies this test may create a cgroup in (" + e + ")");
        }
        CgroupStats source;
        try {
            source = new CgroupStats(new CgroupStats.Paths(1, cpu, memory, blkio), null, 16 * GIB);
            assertThat(source.sample(null, System.nanoTime())).isNotNull();
        } finally {
            // The engine removes a container's cgroups when it ends: the files the sampler keeps
            // open then fail with ENODEV ("No such device"), not NoSuchFileException.
            Files.delete(cpu);
            Files.delete(memory);
            Files.delete(blkio);
        }
        try {
            assertThat(source.sample(null, System.nanoTime())).as("a sample of a cgroup that is gone").isNull();
        } finally {
            source.close();
        }
    }

    @Test
    void aMissingCgroupIsNotALayoutThatWorks(@TempDir Path root) {
        assertThatThrownBy(() -> new CgroupStats(CgroupStats.Paths.v2(root.resolve("gone")), null, GIB))
                .isInstanceOf(IOException.class);
    }

    @Test
    void aV2CgroupWithoutItsMemoryFilesIsRefusedAtConstruction(@TempDir Path cgroup) throws IOException {
        // The memory controller not enabled for this cgroup: cpu.stat is there, memory.* are not.
        Files.writeString(cgroup.resolve("cpu.stat"), "usage_usec 0\n");
        assertThatThrownBy(() -> new CgroupStats(CgroupStats.Paths.v2(cgroup), null, GIB))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("memory.current");
        Files.writeString(cgroup.resolve("memory.current"), "0\n");
        Files.writeString(cgroup.resolve("memory.stat"), "");
        assertThatThrownBy(() -> new CgroupStats(CgroupStats.Paths.v2(cgroup), null, GIB))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("memory.max");
        Files.writeString(cgroup.resolve("memory.max"), "max\n");
        new CgroupStats(CgroupStats.Paths.v2(cgroup), null, GIB).close();
    }

    @Test
    void findsV1HierarchiesInMountinfoAndAProcessFolders() throws IOException {
        String mountinfo = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
                + "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
                + "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
                + "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
                + "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
        CgroupLayout layout = CgroupLayout.parse(mountinfo);
        assertThat(layout.version()).isEqualTo(1);
        CgroupStats.Paths paths = layout.paths("9:name=systemd:/docker/abc\n7:blkio:/docker/abc\n"
                + "4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n0::/docker/abc\n");
        assertThat(paths.cpu()).isEqualTo(Path.of("/sys/fs/cgroup/cpu,cpuacct/docker/abc"));
        assertThat(paths.memory()).isEqualTo(Path.of("/sys/fs/cgroup/memory/docker/abc"));
        assertThat(paths.blkio()).isEqualTo(Path.of("/sys/fs/cgroup/blkio/docker/abc"));
    }

    @Test
    void findsTheV2HierarchyOfTheSystemdDriver() throws IOException {
        CgroupLayout layout = CgroupLayout.parse(
                "25 20 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n");
        assertThat(layout.version()).isEqualTo(2);
        CgroupStats.Paths paths = layout.paths("0::/system.slice/docker-abc.scope\n");
        assertThat(paths.memory()).isEqualTo(Path.of("/sys/fs/cgroup/system.slice/docker-abc.scope"));
        assertThat(CgroupLayout.parse("31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n")).isNull();
    }

    @Test
    void aHostWithV1ControllersIsReadAsV1() {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/sys/fs/cgroup/memory")), "a host with cgroup v1 controllers");
        CgroupLayout layout = CgroupLayout.detect();
        assertThat(layout).as("this host's cgroup layout").isNotNull();
        assertThat(layout.version()).isEqualTo(1);
    }

    /**
     * A v1 cgroup of the cgroupfs driver laid out under {@code root} ({@code cpuacct/docker/abc},
     * {@code memory/...}, {@code blkio/...}), with its CPU and memory files written; the block I/O
     * folder is left empty for the test.
     */
    private static CgroupStats.Paths v1Cgroup(Path root, String cpuUsage, String memoryUsage, String memoryLimit,
                                              String memoryStat) throws IOException {
        Path cpu = Files.createDirectories(root.resolve("cpuacct/docker/abc"));
        Path memory = Files.createDirectories(root.resolve("memory/docker/abc"));
        Path blkio = Files.createDirectories(root.resolve("blkio/docker/abc"));
        Files.writeString(cpu.resolve("cpuacct.usage"), cpuUsage + "\n");
        Files.writeString(memory.resolve("memory.usage_in_bytes"), memoryUsage + "\n");
        Files.writeString(memory.resolve("memory.limit_in_bytes"), memoryLimit + "\n");
        Files.writeString(memory.resolve("memory.stat"), memoryStat);
        return new CgroupStats.Paths(1, cpu, memory, blkio);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static long nextSecond(CgroupStats source, long base) {
        return base + 1_000_000_000L;
    }
}
