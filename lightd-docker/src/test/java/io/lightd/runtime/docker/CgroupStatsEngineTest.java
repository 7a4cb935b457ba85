package io.lightd.runtime.docker;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.Statistics;
import io.lightd.protocol.Stats;
import io.lightd.runtime.ContainerSpec;
import io.lightd.runtime.RecordingListener;
import io.lightd.runtime.stats.CgroupLayout;
import io.lightd.runtime.stats.CgroupStats;
import io.netty.channel.EventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Stats read from the cgroup (v1 on this host, for real) against the engine's own stats of the same
 * container, and the engine's stats streams as the fallback. Differences, and why:
 * <ul>
 *   <li>memory limit, block I/O and network: read from the same kernel counters, equal;</li>
 *   <li>memory usage: the same counters read a moment apart, equal for an idle container up to what
 *       the process allocates meanwhile (checked within 256 KiB);</li>
 *   <li>CPU: the same cgroup CPU time, but over a different window (the engine's last second against
 *       ours) and the engine divides by host CPU time in ticks: equal for a busy loop up to the
 *       machine's noise (checked within 30 points of one core, both printed).</li>
 * </ul>
 */
@ExtendWith(DockerEngineExtension.class)
class CgroupStatsEngineTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String PREFIX = "cg" + UUID.randomUUID().toString().substring(0, 8) + "-";
    private static final long MIB = 1024 * 1024;

    @TempDir
    static Path storage;

    static MultiThreadIoEventLoopGroup group;
    static DockerRuntime cgroupRuntime;
    static DockerRuntime streamRuntime;

    @BeforeAll
    static void start() {
        Assumptions.assumeTrue(DockerEngineExtension.dockerHost().startsWith("unix://"), "a local engine");
        IoHandlerFactory io = Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        group = new MultiThreadIoEventLoopGroup(2, io);
        cgroupRuntime = new DockerRuntime(group, DockerEngineExtension.dockerHost(), storage, "none");
        streamRuntime = new DockerRuntime(group, DockerEngineExtension.dockerHost(), storage, "none", null,
                Duration.ofSeconds(10), false);
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (group == null) {
            return;
        }
        cgroupRuntime.close();
        streamRuntime.close();
        DockerRuntimeTest.removeCreated(group, PREFIX);
    }

    private static ContainerSpec spec(String name, String startup, long memory) {
        return new ContainerSpec(PREFIX + name, DockerEngineExtension.TEST_IMAGE, startup, null, null, Map.of(),
                memory, 0, List.of());
    }

    private static RecordingListener installAndStart(DockerRuntime runtime, ContainerSpec spec) throws Exception {
        EventLoop loop = group.next();
        assertThat(runtime.install(spec, loop, new RecordingListener(loop)).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isZero();
        RecordingListener run = new RecordingListener(loop);
        runtime.start(spec, loop, run).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        return run;
    }

    @Test
    void cgroupFiguresMatchTheEnginesForTheSameContainer() throws Exception {
        ContainerSpec spec = spec("busy", "while :; do :; done", 64 * MIB);
        RecordingListener run = installAndStart(cgroupRuntime, spec);
        assertThat(cgroupRuntime.readsCgroups()).isTrue();
        assertThat(RecordingListener.await(() -> !run.stats.isEmpty(), WAIT)).isTrue();
        assertThat(cgroupRuntime.statsBatches()).isPositive();

        String name = EngineContainers.containerName(spec.internalId());
        Map<?, ?> inspected = new ObjectMapper().readValue(engineGet("/containers/" + name + "/json"), Map.class);
        long pid = ((Number) ((Map<?, ?>) inspected.get("State")).get("Pid")).longValue();
        CgroupStats.Paths paths = CgroupLayout.detect().of(pid);
        CgroupStats ours = new CgroupStats(paths, Path.of("/proc/" + pid + "/net/dev"), CgroupLayout.hostMemoryBytes());
        long cpuBefore = cpuNanos(paths);
        // The engine's one-shot stats take about a second (it waits for a second sample for the CPU share).
        Statistics raw = new ObjectMapper()
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
                .readValue(engineGet("/containers/" + name + "/stats?stream=false"), Statistics.class);
        long cpuAfter = cpuNanos(paths);
        Stats engine = StatsMapper.map(raw);
        Stats cgroup = ours.sample(null, System.nanoTime());
        System.out.printf("engine: %s%ncgroup: %s%n", engine, cgroup);

        assertThat(cgroup.memoryLimit()).isEqualTo(engine.memoryLimit()).isEqualTo(64 * MIB);
        assertThat(cgroup.memoryUsage()).isCloseTo(engine.memoryUsage(), org.assertj.core.data.Offset.offset(256 * 1024L));
        assertThat(cgroup.blockRead()).isEqualTo(engine.blockRead());
        assertThat(cgroup.blockWrite()).isEqualTo(engine.blockWrite());
        assertThat(cgroup.networkRx()).isEqualTo(engine.networkRx());
        assertThat(cgroup.networkTx()).isEqualTo(engine.networkTx());
        // CPU: the engine reads the very counter the sampler reads (its total_usage falls between two
        // readings of ours taken around its call), and the busy loop's share since the sampler's
        // baseline is above zero. Both shares are rates over windows of their own, so how close
        // they come depends on the machine's load: not compared here.
        assertThat(raw.getCpuStats().getCpuUsage().getTotalUsage()).isBetween(cpuBefore, cpuAfter);
        assertThat(cpuAfter).as("the busy loop used CPU during the engine's call").isGreaterThan(cpuBefore);
        assertThat(cgroup.cpuUsage()).isPositive();
        cgroupRuntime.kill(spec.internalId()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(run.exit.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(137);
    }

    @Test
    void idleContainersOpenNoStatsStreamAndShareBatches() throws Exception {
        int before = cgroupRuntime.openEngineChannels();
        List<RecordingListener> runs = new ArrayList<>();
        List<ContainerSpec> specs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ContainerSpec spec = spec("idle-" + i, "sleep 1000", 0);
            specs.add(spec);
            runs.add(installAndStart(cgroupRuntime, spec));
        }
        assertThat(RecordingListener.await(() -> runs.stream().allMatch(r -> !r.stats.isEmpty()), WAIT)).isTrue();
        // One attach stream per container; no stats stream.
        assertThat(cgroupRuntime.openEngineChannels() - before).isLessThanOrEqualTo(specs.size());
        assertThat(cgroupRuntime.statsSamples()).as("samples counted for the metrics").isGreaterThanOrEqualTo(specs.size());
        assertThat(streamRuntime.statsSamples()).as("no sampler where the engine streams stats").isZero();
        for (int i = 0; i < runs.size(); i++) {
            Stats first = runs.get(i).stats.peek();
            assertThat(first.memoryLimit()).isEqualTo(CgroupLayout.hostMemoryBytes());
            assertThat(first.memoryUsage()).isPositive();
            cgroupRuntime.kill(specs.get(i).internalId()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void aContainerInTheHostsNetworkReportsNoNetworkTrafficAsTheEngineDoes() throws Exception {
        DockerRuntime hostRuntime = new DockerRuntime(group, DockerEngineExtension.dockerHost(), storage, "host");
        try {
            ContainerSpec spec = spec("hostnet", "sleep 1000", 0);
            RecordingListener run = installAndStart(hostRuntime, spec);
            assertThat(hostRuntime.readsCgroups()).isTrue();
            assertThat(RecordingListener.await(() -> !run.stats.isEmpty(), WAIT)).isTrue();
            String name = EngineContainers.containerName(spec.internalId());
            Map<?, ?> inspected = new ObjectMapper().readValue(engineGet("/containers/" + name + "/json"), Map.class);
            long pid = ((Number) ((Map<?, ?>) inspected.get("State")).get("Pid")).longValue();
            // /proc/<pid>/net/dev is the host's here: the loopback at least has carried this test's
            // own calls to the engine, so a reader of it would report traffic.
            assertThat(Files.readString(Path.of("/proc/" + pid + "/net/dev"))).contains("eth", "lo:");
            Stats first = run.stats.peek();
            assertThat(first.networkRx()).isZero();
            assertThat(first.networkTx()).isZero();
            hostRuntime.kill(spec.internalId()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(run.exit.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(137);
        } finally {
            hostRuntime.close();
        }
    }

    @Test
    void withoutCgroupsTheEnginesStatsStreamStillFeedsStats() throws Exception {
        ContainerSpec spec = spec("stream", "sleep 1000", 32 * MIB);
        RecordingListener run = installAndStart(streamRuntime, spec);
        assertThat(streamRuntime.readsCgroups()).isFalse();
        assertThat(RecordingListener.await(() -> !run.stats.isEmpty(), WAIT)).isTrue();
        assertThat(run.stats.peek().memoryLimit()).isEqualTo(32 * MIB);
        assertThat(streamRuntime.statsBatches()).isZero();
        streamRuntime.kill(spec.internalId()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void aCgroupNotFoundAtStartIsTriedAgainNotReplacedByAStream(@TempDir Path hierarchies) throws Exception {
        Assumptions.assumeTrue(CgroupLayout.detect() != null && CgroupLayout.detect().version() == 1,
                "a host with cgroup v1 controllers");
        // The node reads cgroups, but from hierarchies laid out in a folder that has no container's
        // cgroup yet: every try to find it fails until the test writes its files.
        CgroupLayout layout = CgroupLayout.parse(
                "32 31 0:29 / " + hierarchies.resolve("cpuacct") + " rw - cgroup cgroup rw,cpuacct\n"
                + "35 31 0:32 / " + hierarchies.resolve("memory") + " rw - cgroup cgroup rw,memory\n"
                + "38 31 0:35 / " + hierarchies.resolve("blkio") + " rw - cgroup cgroup rw,blkio\n");
        DockerRuntime runtime = new DockerRuntime(group, DockerEngineExtension.dockerHost(), storage, "none", null,
                Duration.ofSeconds(10), true, () -> layout);
        Logger logger = (Logger) LoggerFactory.getLogger(ContainerRun.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try {
            ContainerSpec spec = spec("retry", "sleep 1000", 0);
            RecordingListener run = installAndStart(runtime, spec);
            assertThat(runtime.readsCgroups()).isTrue();
            assertThat(RecordingListener.await(() -> runtime.cgroupOpenFailures() >= 2, WAIT)).isTrue();
            // Still no stats: no engine stats stream took over.
            assertThat(run.stats).isEmpty();
            // Each failed try is one line with its cause's message filled in, and no stack trace.
            List<ILoggingEvent> tries = logged.list.stream()
                    .filter(e -> e.getFormattedMessage().contains("cannot find its cgroup")).toList();
            assertThat(tries).isNotEmpty().allSatisfy(e -> {
                assertThat(e.getFormattedMessage()).doesNotContain("{}").contains("memory.usage_in_bytes");
                assertThat(e.getThrowableProxy()).isNull();
            });

            String name = EngineContainers.containerName(spec.internalId());
            Map<?, ?> inspected = new ObjectMapper().readValue(engineGet("/containers/" + name + "/json"), Map.class);
            long pid = ((Number) ((Map<?, ?>) inspected.get("State")).get("Pid")).longValue();
            CgroupStats.Paths paths = layout.of(pid);
            Files.createDirectories(paths.cpu());
            Files.createDirectories(paths.memory());
            Files.createDirectories(paths.blkio());
            Files.writeString(paths.cpu().resolve("cpuacct.usage"), "1000\n");
            Files.writeString(paths.memory().resolve("memory.usage_in_bytes"), "7340032\n");
            Files.writeString(paths.memory().resolve("memory.stat"), "total_inactive_file 1048576\n");
            Files.writeString(paths.memory().resolve("memory.limit_in_bytes"), "33554432\n");

            // The next try finds it: the figures are the folder's, so they came from the cgroup, not the engine.
            assertThat(RecordingListener.await(() -> !run.stats.isEmpty(), WAIT)).isTrue();
            Stats first = run.stats.peek();
            assertThat(first.memoryUsage()).isEqualTo(7340032L - 1048576L);
            assertThat(first.memoryLimit()).isEqualTo(33554432L);
            assertThat(runtime.statsBatches()).isPositive();
            runtime.kill(spec.internalId()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(run.exit.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(137);
        } finally {
            logger.detachAppender(logged);
            runtime.close();
        }
    }

    /** One GET to the local engine's API (HTTP/1.0, so the body is plain until the connection ends). */
    /** The cgroup's CPU time so far, in ns: {@code cpuacct.usage} (v1) or {@code usage_usec} of {@code cpu.stat} (v2). */
    private static long cpuNanos(CgroupStats.Paths paths) throws IOException {
        if (paths.version() == 1) {
            return Long.parseLong(Files.readString(paths.cpu().resolve("cpuacct.usage")).trim());
        }
        for (String line : Files.readAllLines(paths.cpu().resolve("cpu.stat"))) {
            if (line.startsWith("usage_usec ")) {
                return Long.parseLong(line.substring("usage_usec ".length()).trim()) * 1000;
            }
        }
        throw new AssertionError("no usage_usec in " + paths.cpu().resolve("cpu.stat"));
    }

    private static String engineGet(String path) throws IOException {
        String socket = DockerEngineExtension.dockerHost().substring("unix://".length());
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.write(ByteBuffer.wrap(("GET " + path + " HTTP/1.0\r\nHost: engine\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(8192);
            while (channel.read(buffer) >= 0) {
                out.write(buffer.array(), 0, buffer.position());
                buffer.clear();
            }
            String response = out.toString(StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.0 200");
            return response.substring(response.indexOf("\r\n\r\n") + 4);
        }
    }
}
