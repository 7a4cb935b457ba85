package io.lightd.runtime.process;

import io.lightd.runtime.RecordingListener;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lightd.protocol.Stats;
import io.lightd.runtime.ContainerSpec;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The process runtime with real processes and a real event loop: every listener call must come on
 * that loop, and none after {@code onExit}. Leaked output buffers fail the test through the
 * project's {@code LeakCheckExtension}.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ProcessRuntimeTest {

    /** How long a test waits for something that should happen at once; a deadline, not a measurement. */
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** A stop timeout no test should reach unless the runtime ignores the stop command or SIGTERM. */
    private static final Duration LONG_TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path base;

    private EventLoopGroup group;
    private EventLoop loop;
    private ProcessRuntime runtime;
    private final List<RecordingListener> listeners = new ArrayList<>();
    private final List<RecordingListener> started = new ArrayList<>();

    /** Whether the servers of this class's tests run on a terminal ({@link ProcessRuntimeTerminalTest}) or on pipes. */
    boolean tty() {
        return false;
    }

    @BeforeEach
    void setUp() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        loop = group.next();
        runtime = new ProcessRuntime(base);
    }

    @AfterEach
    void tearDown() throws Exception {
        runtime.close();
        // close() killed whatever still ran; those exits still reach the loop and must follow the rules.
        for (RecordingListener listener : started) {
            await(listener.exit);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        for (RecordingListener listener : listeners) {
            assertThat(listener.violations).isEmpty();
        }
    }

    @Test
    void nameAndIsolation() {
        assertThat(runtime.name()).isEqualTo("process");
        assertThat(runtime.isolated()).isFalse();
    }

    @Test
    void installWithoutScriptCreatesTheVolumeAndCompletesWithZero() throws Exception {
        RecordingListener listener = listener();

        int exitCode = await(runtime.install(spec("alpha", "true"), loop, listener));

        assertThat(exitCode).isZero();
        assertThat(volume("alpha")).isDirectory();
        assertThat(listener.bytes()).isEmpty();
    }

    @Test
    void installRunsTheScriptInTheVolumeAndStreamsItsOutputBeforeCompleting() throws Exception {
        RecordingListener listener = listener();
        String script = "echo \"in $(pwd -P)\"\n"
                + "echo \"eula=$EULA home=$HOME\"\n"
                + "echo oops >&2\n"
                + "touch marker\n"
                + "exit 4\n";
        ContainerSpec spec = new ContainerSpec("beta", "ignored", "true", null, script, Map.of("EULA", "true"),
                0, 0, List.of());

        int exitCode = await(runtime.install(spec, loop, listener));

        assertThat(exitCode).isEqualTo(4);
        String expected = "in " + volume("beta").toRealPath() + "\n"
                + "eula=true home=" + volume("beta") + "\n"
                + "oops\n";
        // The future completes after the last output was delivered, not merely read.
        assertThat(listener.text()).isEqualTo(expected);
        assertThat(volume("beta").resolve("marker")).exists();
        assertThat(new String(await(runtime.logTail("beta", 4096)), UTF_8)).isEqualTo(expected);
    }

    @Test
    void outputArrivesExactlyAsWrittenThenTheExit() throws Exception {
        RecordingListener listener = listener();
        // Octal escapes keep the command ASCII whatever the JVM's locale; the output is UTF-8.
        String command = "printf 'first line\\n\\nzweite Zeile: \\303\\251 \\342\\202\\254\\n'; "
                + "echo to-stderr >&2; printf '\\n\\r\\n'; seq 1 20000; printf 'no newline at the end'";

        start(spec("gamma", command), listener);

        assertThat(await(listener.exit)).isZero();
        StringBuilder expected = new StringBuilder("first line\n\nzweite Zeile: \u00e9 \u20ac\nto-stderr\n\n\r\n");
        IntStream.rangeClosed(1, 20000).forEach(i -> expected.append(i).append('\n'));
        expected.append("no newline at the end");
        assertThat(listener.bytes()).isEqualTo(expected.toString().getBytes(UTF_8));
    }

    @Test
    void runsInTheVolumeWithOnlyPathHomeAndTheContainerEnvironment() throws Exception {
        RecordingListener listener = listener();
        ContainerSpec spec = new ContainerSpec("delta", "ignored",
                "pwd -P; env | cut -d= -f1 | sort | tr '\\n' ' '; echo; echo \"foo=$FOO home=$HOME\"",
                null, null, Map.of("FOO", "bar baz"), 0, 0, List.of(), tty());

        start(spec, listener);

        assertThat(await(listener.exit)).isZero();
        String[] lines = listener.text().split("\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[0]).isEqualTo(volume("delta").toRealPath().toString());
        // Nothing of the daemon's environment: the shell adds only variables of its own (and a
        // terminal its TERM).
        List<String> names = List.of(lines[1].split(" "));
        assertThat(names).contains("FOO", "HOME", "PATH")
                .isSubsetOf("FOO", "HOME", "PATH", "PWD", "OLDPWD", "SHLVL", "_", "TERM");
        assertThat(names.contains("TERM")).as("TERM set").isEqualTo(tty());
        assertThat(lines[2]).isEqualTo("foo=bar baz home=" + volume("delta"));
    }

    @Test
    void startingARunningContainerFailsAndChangesNothing() throws Exception {
        RecordingListener listener = listener();
        start(spec("epsilon", "echo ready; exec sleep 1000"), listener);

        assertThatThrownBy(() -> await(runtime.start(spec("epsilon", "echo second"), loop, listener())))
                .hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already running");
        assertThatThrownBy(() -> await(runtime.install(spec("epsilon", "true"), loop, listener())))
                .hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already running");

        awaitUntil(() -> listener.text().equals("ready\n"));
        assertThat(await(runtime.listRunning())).containsExactly("epsilon");
    }

    @Test
    void stdinWritesArriveInCallOrder() throws Exception {
        RecordingListener listener = listener();
        start(spec("zeta", "head -n 200"), listener);

        StringBuilder expected = new StringBuilder();
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String line = "command " + i + " \u00fc\n";
            expected.append(line);
            writes.add(runtime.writeStdin("zeta", line.getBytes(UTF_8)));
        }

        await(CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)));
        assertThat(await(listener.exit)).isZero();
        assertThat(listener.text()).isEqualTo(expected.toString());
    }

    @Test
    void stopWritesTheStopCommandAndCompletesAfterTheExit() throws Exception {
        RecordingListener listener = listener();
        String server = "echo ready; while read line; do "
                + "if [ \"$line\" = stop ]; then echo bye; exit 0; fi; echo \"got $line\"; done";
        start(spec("eta", server), listener);
        awaitUntil(() -> listener.text().equals("ready\n"));

        await(runtime.stop("eta", "stop\n", LONG_TIMEOUT));

        assertThat(listener.exit).isCompletedWithValue(0);
        assertThat(listener.text()).isEqualTo("ready\nbye\n");
        assertThat(await(runtime.listRunning())).doesNotContain("eta");
    }

    @Test
    void stopWithoutStopCommandSendsSigtermToTheGroup() throws Exception {
        RecordingListener listener = listener();
        String server = "trap 'echo got TERM; exit 0' TERM; echo ready; while :; do sleep 0.05; done";
        start(spec("theta", server), listener);
        awaitUntil(() -> listener.text().equals("ready\n"));

        await(runtime.stop("theta", null, LONG_TIMEOUT));

        assertThat(listener.exit).isCompletedWithValue(0);
        // The shell's sleep got SIGTERM too (the shell may say "Terminated"); then the trap ran.
        assertThat(listener.text()).startsWith("ready\n").endsWith("got TERM\n");
    }

    @Test
    void deathBySigtermIsReportedAs143() throws Exception {
        RecordingListener listener = listener();
        start(spec("iota", "echo ready; sleep 1000"), listener);
        awaitUntil(() -> listener.text().equals("ready\n"));

        await(runtime.stop("iota", null, LONG_TIMEOUT));

        assertThat(listener.exit).isCompletedWithValue(128 + 15);
    }

    @Test
    void stopKillsAProcessThatIgnoresTheStopCommandAndSigterm() throws Exception {
        RecordingListener listener = listener();
        String stubborn = "trap '' TERM; echo ready; while :; do sleep 0.05; done";
        start(spec("kappa", stubborn), listener);
        awaitUntil(() -> listener.text().equals("ready\n"));

        await(runtime.stop("kappa", "stop\n", Duration.ofMillis(200)));

        assertThat(listener.exit).isCompletedWithValue(128 + 9);
    }

    @Test
    void killKillsTheWholeProcessGroup() throws Exception {
        RecordingListener listener = listener();
        start(spec("lambda", "sleep 1000 & echo \"shell $$ child $!\"; wait"), listener);
        awaitUntil(() -> listener.text().endsWith("\n"));
        Matcher pids = Pattern.compile("shell (\\d+) child (\\d+)\n").matcher(listener.text());
        assertThat(pids.matches()).isTrue();
        long shell = Long.parseLong(pids.group(1));
        long child = Long.parseLong(pids.group(2));
        // setsid (or, on a terminal, the new session) made the shell the leader of a group of its own,
        // and its child a member.
        assertThat(procStat(shell).processGroup()).isEqualTo(shell);
        assertThat(procStat(child).processGroup()).isEqualTo(shell);

        await(runtime.kill("lambda"));

        assertThat(await(listener.exit)).isEqualTo(128 + 9);
        // The exit is reported after the output ended, which needs the child dead too.
        assertThat(isGone(child)).as("child %d gone", child).isTrue();
        assertThat(isGone(shell)).as("shell %d gone", shell).isTrue();
    }

    @Test
    void reportsTheNaturalExitCode() throws Exception {
        RecordingListener listener = listener();
        start(spec("mu", "echo bye; exit 3"), listener);

        assertThat(await(listener.exit)).isEqualTo(3);
        assertThat(listener.text()).isEqualTo("bye\n");
        assertThat(await(runtime.listRunning())).isEmpty();
    }

    @Test
    void whatTheShellLeavesBehindIsKilledWhenItExits() throws Exception {
        RecordingListener listener = listener();
        start(spec("mu2", "sleep 1000 & echo \"child $!\"; exit 5"), listener);

        // Reported once the left-behind child is gone and the output has ended with it.
        assertThat(await(listener.exit)).isEqualTo(5);
        Matcher pid = Pattern.compile("child (\\d+)\n").matcher(listener.text());
        assertThat(pid.matches()).isTrue();
        assertThat(isGone(Long.parseLong(pid.group(1)))).isTrue();
    }

    @Test
    void statsReportCpuMemoryAndTheConfiguredLimit() throws Exception {
        RecordingListener listener = listener();
        long limit = 256L * 1024 * 1024;
        ContainerSpec spec = new ContainerSpec("nu", "ignored", "while :; do :; done", null, null, Map.of(),
                limit, 0, List.of(), tty());
        start(spec, listener);

        Stats busy = null;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (busy == null && System.nanoTime() < deadline) {
            Stats sample = listener.stats.poll(100, TimeUnit.MILLISECONDS);
            if (sample != null && sample.cpuUsage() > 0) {
                busy = sample;
            }
        }

        assertThat(busy).as("a sample showing the busy loop").isNotNull();
        assertThat(busy.memoryLimit()).isEqualTo(limit);
        assertThat(busy.memoryUsage()).isPositive();
        assertThat(busy.networkRx()).isZero();
        assertThat(busy.networkTx()).isZero();
        assertThat(busy.blockRead()).isNotNegative();
        assertThat(busy.blockWrite()).isNotNegative();
        await(runtime.kill("nu"));
        assertThat(await(listener.exit)).isEqualTo(128 + 9);
    }

    @Test
    void statsReportHostMemoryAsTheLimitOfAnUnlimitedContainer() throws Exception {
        RecordingListener listener = listener();
        start(spec("xi", "exec sleep 1000"), listener);

        Stats sample = listener.stats.poll(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertThat(sample).isNotNull();
        assertThat(sample.memoryLimit()).isEqualTo(hostMemoryBytes()).isPositive();
    }

    /**
     * One batched sampler for every server: watched servers are sampled each tick in one batch, a
     * server nobody watches only at its first tick (the idle interval here is far longer than the
     * test), and a server that becomes watched at once.
     */
    @Test
    void statsFollowDemandAndComeInBatches() throws Exception {
        runtime.close();
        runtime = new ProcessRuntime(base, io.netty.buffer.ByteBufAllocator.DEFAULT, ProcessRuntime.DEFAULT_LOG_FILE_LIMIT,
                Duration.ofMinutes(10));
        List<RecordingListener> watched = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            runtime.statsDemand("w" + i, true);
            RecordingListener listener = listener();
            start(spec("w" + i, "exec sleep 1000"), listener);
            watched.add(listener);
        }
        RecordingListener idle = listener();
        start(spec("idle", "exec sleep 1000"), idle);

        assertThat(RecordingListener.await(() -> watched.stream().allMatch(l -> l.stats.size() >= 3)
                && !idle.stats.isEmpty(), WAIT)).isTrue();
        int idleSamples = idle.stats.size();
        int before = watched.get(0).stats.size();
        assertThat(RecordingListener.await(() -> watched.get(0).stats.size() >= before + 3, WAIT)).isTrue();
        // Ticks went by: the idle server was not sampled again.
        assertThat(idle.stats.size()).isEqualTo(idleSamples);
        // Four watched servers per tick, in one batch each tick (plus the few batches of one for demand).
        int samples = watched.stream().mapToInt(l -> l.stats.size()).sum() + idle.stats.size();
        assertThat(runtime.statsBatches()).isLessThanOrEqualTo(samples / 4 + 6);
        // Every delivered sample was counted for lightd_runtime_stats_samples_total.
        assertThat(runtime.statsSamples()).isGreaterThanOrEqualTo(samples);

        // Someone opens the idle server's console: a fresh sample at once, not in 10 minutes.
        runtime.statsDemand("idle", true);
        assertThat(RecordingListener.await(() -> idle.stats.size() > idleSamples, WAIT)).isTrue();
    }

    @Test
    void logTailReturnsTheEndOfTheOutput() throws Exception {
        RecordingListener listener = listener();
        start(spec("omicron", "printf 'hello\\nworld\\n'"), listener);
        assertThat(await(listener.exit)).isZero();

        assertThat(new String(await(runtime.logTail("omicron", 1000)), UTF_8)).isEqualTo("hello\nworld\n");
        assertThat(new String(await(runtime.logTail("omicron", 6)), UTF_8)).isEqualTo("world\n");
        assertThat(base.resolve("logs").resolve("omicron.log")).exists();
        assertThat(await(runtime.logTail("never-ran", 1000))).isEmpty();
    }

    @Test
    void listRunningShowsOnlyLiveProcesses() throws Exception {
        RecordingListener listener = listener();
        assertThat(await(runtime.listRunning())).isEmpty();
        start(spec("pi", "exec sleep 1000"), listener);

        assertThat(await(runtime.listRunning())).containsExactly("pi");

        await(runtime.kill("pi"));
        await(listener.exit);
        assertThat(await(runtime.listRunning())).isEmpty();
    }

    @Test
    void containersThatDoNotRunAreNoError() throws Exception {
        ContainerSpec spec = spec("rho", "true");

        await(runtime.stop("rho", "stop\n", LONG_TIMEOUT));
        await(runtime.kill("rho"));
        await(runtime.remove("rho"));
        assertThat(await(runtime.attach(spec, loop, listener()))).isFalse();
        assertThatThrownBy(() -> await(runtime.writeStdin("rho", "x\n".getBytes(UTF_8))))
                .hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not running");
    }

    @Test
    void removeKillsTheProcessAndDropsItsLogButKeepsTheVolume() throws Exception {
        RecordingListener listener = listener();
        start(spec("sigma", "echo data > file; echo ready; exec sleep 1000"), listener);
        awaitUntil(() -> listener.text().equals("ready\n"));

        await(runtime.remove("sigma"));

        assertThat(listener.exit).isCompletedWithValue(128 + 9);
        assertThat(volume("sigma").resolve("file")).hasContent("data");
        assertThat(await(runtime.logTail("sigma", 100))).isEmpty();
    }

    @Test
    void closeKillsWhatStillRuns() throws Exception {
        RecordingListener listener = listener();
        start(spec("tau", "echo $$; exec sleep 1000"), listener);
        awaitUntil(() -> listener.text().endsWith("\n"));
        long pid = Long.parseLong(listener.text().trim());

        runtime.close();

        assertThat(await(listener.exit)).isEqualTo(128 + 9);
        assertThat(isGone(pid)).isTrue();
        assertThatThrownBy(() -> await(runtime.start(spec("tau", "true"), loop, listener())))
                .hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void refusesIdsThatLeaveTheVolumesFolder() {
        assertThatThrownBy(() -> await(runtime.install(spec("..", "true"), loop, listener())))
                .hasMessageContaining("invalid internal id");
    }

    /** Starts a run and remembers its listener, whose exit the test's end waits for. */
    private void start(ContainerSpec spec, RecordingListener listener) throws Exception {
        await(runtime.start(spec, loop, listener));
        started.add(listener);
    }

    private RecordingListener listener() {
        RecordingListener listener = new RecordingListener(loop);
        listeners.add(listener);
        return listener;
    }

    private ContainerSpec spec(String id, String startupCommand) {
        return new ContainerSpec(id, "ignored", startupCommand, null, null, Map.of(), 0, 0, List.of(), tty());
    }

    private Path volume(String id) {
        return base.toAbsolutePath().resolve("volumes").resolve(id);
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Waits, up to a deadline, for a condition that the runtime makes true asynchronously. */
    private static void awaitUntil(BooleanSupplier condition) throws InterruptedException {
        assertThat(RecordingListener.await(condition, WAIT)).as("condition met before the deadline").isTrue();
    }

    private static ProcStat procStat(long pid) throws IOException {
        return ProcStat.parse(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
    }

    /** Gone: no such process, or a zombie that only waits for a parent that does not reap it. */
    private static boolean isGone(long pid) {
        try {
            ProcStat stat = procStat(pid);
            return stat == null || stat.zombie();
        } catch (IOException e) {
            return true;
        }
    }

    private static long hostMemoryBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new AssertionError("no MemTotal in /proc/meminfo");
    }
}
