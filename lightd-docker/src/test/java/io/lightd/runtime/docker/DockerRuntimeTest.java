package io.lightd.runtime.docker;

import io.lightd.runtime.RecordingListener;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.github.dockerjava.api.model.Container;
import io.lightd.protocol.Stats;
import io.lightd.runtime.ContainerNotFoundException;
import io.lightd.runtime.ContainerSpec;
import io.lightd.runtime.RuntimeUnavailableException;
import io.netty.channel.EventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultEventExecutor;
import io.netty.util.concurrent.EventExecutor;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@link DockerRuntime} against a real engine, with the test image and network mode none. */
@ExtendWith(DockerEngineExtension.class)
class DockerRuntimeTest {

    private static final String IMAGE = DockerEngineExtension.TEST_IMAGE;
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Every container of this class has an internal id with this prefix, so cleanup finds exactly them. */
    private static final String PREFIX = "t" + UUID.randomUUID().toString().substring(0, 8) + "-";

    @TempDir
    static Path storage;

    static MultiThreadIoEventLoopGroup group;
    static DockerRuntime runtime;

    private final List<RecordingListener> listeners = new ArrayList<>();

    @BeforeAll
    static void startRuntime() {
        IoHandlerFactory io = Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        group = new MultiThreadIoEventLoopGroup(2, io);
        runtime = new DockerRuntime(group, DockerEngineExtension.dockerHost(), storage, "none");
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (runtime == null) {
            return;
        }
        runtime.close();
        removeCreated(group, PREFIX);
    }

    /**
     * Removes the containers lightd made for servers whose {@code internal_id} starts with
     * {@code prefix} (found by label), then shuts {@code group} down: a test class's clean-up.
     */
    static void removeCreated(EventLoopGroup group, String prefix) throws Exception {
        try (EngineClient client = EngineClient.negotiate(
                new EngineConnector(group, DockerEngineExtension.dockerHost(), Duration.ofSeconds(5)), Duration.ofSeconds(5))) {
            for (Container container : client.docker().listContainersCmd().withShowAll(true)
                    .withLabelFilter(List.of(EngineContainers.LABEL_MANAGED)).exec()) {
                Map<String, String> labels = container.getLabels();
                String id = labels.getOrDefault(EngineContainers.LABEL_INTERNAL_ID,
                        labels.getOrDefault(EngineContainers.LABEL_INSTALL_FOR, ""));
                if (id.startsWith(prefix)) {
                    client.docker().removeContainerCmd(container.getId()).withForce(true).exec();
                }
            }
        }
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void noListenerViolations() {
        for (RecordingListener listener : listeners) {
            assertThat(listener.violations).as("listener contract violations").isEmpty();
        }
    }

    // ---- helpers

    /** Whether this class's servers run with a TTY ({@link DockerRuntimeTerminalTest}) or without. */
    boolean tty() {
        return false;
    }

    private ContainerSpec spec(String name, String startup) {
        return spec(name, startup, null, null, 0);
    }

    private ContainerSpec spec(String name, String startup, String stopCommand, String installScript,
                               long memory) {
        return new ContainerSpec(PREFIX + name, IMAGE, startup, stopCommand, installScript,
                Map.of("LIGHTD_TEST", "yes"), memory, 0, List.of(), tty());
    }

    private RecordingListener listener(EventExecutor loop) {
        RecordingListener listener = new RecordingListener(loop);
        listeners.add(listener);
        return listener;
    }

    private static <T> T await(Future<T> future) throws Exception {
        return future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private RecordingListener installAndStart(ContainerSpec spec) throws Exception {
        EventLoop loop = group.next();
        assertThat(await(runtime.install(spec, loop, listener(loop)))).isZero();
        RecordingListener run = listener(loop);
        await(runtime.start(spec, loop, run));
        return run;
    }

    private static Throwable failureOf(CompletableFuture<?> future) {
        try {
            future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("expected a failure, got " + e, e);
        }
        throw new AssertionError("expected a failure, the future succeeded");
    }

    // ---- install

    @Test
    void installRunsTheScriptInTheVolumeStreamsItsOutputAndCompletesWithItsExitCode() throws Exception {
        ContainerSpec spec = spec("install", "cat data.txt", null,
                "echo installing; echo \"$LIGHTD_TEST\" > data.txt; pwd; exit 3", 0);
        EventLoop loop = group.next();
        RecordingListener install = listener(loop);

        assertThat(await(runtime.install(spec, loop, install))).isEqualTo(3);

        assertThat(install.text()).isEqualTo("installing\n/home/container\n");
        assertThat(Files.readString(storage.resolve("volumes").resolve(spec.internalId()).resolve("data.txt")))
                .isEqualTo("yes\n");

        // the server container was created, shares the volume, and a reinstall replaces it
        assertThat(await(runtime.install(spec(("install"), "cat data.txt"), loop, listener(loop)))).isZero();
        RecordingListener run = listener(loop);
        await(runtime.start(spec, loop, run));
        assertThat(await(run.exit)).isZero();
        assertThat(run.outputAtExit).isEqualTo("yes\n");
    }

    @Test
    void aMissingImageFailsTheInstallWithAClearMessage() {
        ContainerSpec spec = new ContainerSpec(PREFIX + "missing", "lightd-missing:1", "true", null, null,
                Map.of(), 0, 0, List.of());
        EventLoop loop = group.next();
        RecordingListener install = listener(loop);

        Throwable failure = failureOf(runtime.install(spec, loop, install));

        assertThat(failure).hasMessageContaining("image lightd-missing:1 not found and could not be pulled: ");
        System.out.println("missing image: " + failure.getMessage());
        assertThat(install.progress).contains("Pulling image lightd-missing:1");
    }

    // ---- output, stdin, exit

    @Test
    void outputIsCapturedExactlyFromTheFirstByteAndTheExitComesAfterIt() throws Exception {
        RecordingListener run = installAndStart(spec("output", "printf 'h\\303\\251llo \\342\\234\\223\\n\\nline 3\\r\\n'; exit 7"));

        assertThat(await(run.exit)).isEqualTo(7);
        assertThat(run.outputAtExit).isEqualTo("héllo ✓\n\nline 3\r\n");
    }

    @Test
    void muchOutputArrivesWhole() throws Exception {
        RecordingListener run = installAndStart(spec("bulk", "seq 1 100000"));

        assertThat(await(run.exit)).isZero();
        StringBuilder expected = new StringBuilder();
        for (int i = 1; i <= 100000; i++) {
            expected.append(i).append('\n');
        }
        assertThat(run.outputAtExit).isEqualTo(expected.toString());
    }

    @Test
    void stderrIsMergedIntoTheOutput() throws Exception {
        RecordingListener run = installAndStart(spec("stderr", "echo out; sleep 0.2; echo err >&2"));

        assertThat(await(run.exit)).isZero();
        assertThat(run.outputAtExit).isEqualTo("out\nerr\n");
    }

    @Test
    void stdinReachesTheProcessInOrderAndCallbacksHopToALoopOutsideTheGroup() throws Exception {
        ContainerSpec spec = spec("stdin", "while read line; do echo \"got $line\"; done");
        EventLoop installLoop = group.next();
        assertThat(await(runtime.install(spec, installLoop, listener(installLoop)))).isZero();
        DefaultEventExecutor foreign = new DefaultEventExecutor();
        try {
            RecordingListener run = listener(foreign);
            await(runtime.start(spec, foreign, run));

            for (int i = 0; i < 5; i++) {
                runtime.writeStdin(spec.internalId(), ("line " + i + " ✓\n").getBytes(StandardCharsets.UTF_8));
            }
            assertThat(run.awaitOutput("got line 4 ✓\n", WAIT)).as(run.text()).isTrue();
            assertThat(run.text()).isEqualTo("got line 0 ✓\ngot line 1 ✓\ngot line 2 ✓\ngot line 3 ✓\ngot line 4 ✓\n");

            await(runtime.kill(spec.internalId()));
            assertThat(await(run.exit)).isEqualTo(137);
        } finally {
            foreign.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void killEndsTheProcessAndReportsTheExit() throws Exception {
        ContainerSpec spec = spec("kill", "echo up; sleep 1000");
        RecordingListener run = installAndStart(spec);
        assertThat(run.awaitOutput("up\n", WAIT)).isTrue();

        await(runtime.kill(spec.internalId()));

        assertThat(await(run.exit)).isEqualTo(137);
        assertThat(run.outputAtExit).isEqualTo("up\n");
    }

    @Test
    void stopWritesTheStopCommandAndWaitsForTheExit() throws Exception {
        ContainerSpec spec = spec("stopcmd",
                "echo ready; while read line; do if [ \"$line\" = stop ]; then echo stopping; exit 0; fi; done",
                "stop\n", null, 0);
        RecordingListener run = installAndStart(spec);
        assertThat(run.awaitOutput("ready\n", WAIT)).isTrue();

        await(runtime.stop(spec.internalId(), spec.stopCommand(), Duration.ofSeconds(10)));

        assertThat(await(run.exit)).isZero();
        assertThat(run.outputAtExit).isEqualTo("ready\nstopping\n");
    }

    @Test
    void aRestartRightAfterTheStopStartsANewRun() throws Exception {
        ContainerSpec spec = spec("restart", "echo up; sleep 1000");
        RecordingListener first = installAndStart(spec);
        assertThat(first.awaitOutput("up\n", WAIT)).isTrue();

        await(runtime.stop(spec.internalId(), null, Duration.ofSeconds(1)));
        assertThat(first.exit).as("the exit is delivered before stop completes").isDone();
        EventLoop loop = group.next();
        RecordingListener second = listener(loop);
        await(runtime.start(spec, loop, second));

        assertThat(second.awaitOutput("up\n", WAIT)).isTrue();
        await(runtime.kill(spec.internalId()));
        assertThat(await(second.exit)).isEqualTo(137);
        // SIGTERM reaches the shell through the engine's init, so the stop needs no kill
        assertThat(await(first.exit)).isEqualTo(143);
    }

    @Test
    void stopWithoutStopCommandSendsSigterm() throws Exception {
        ContainerSpec spec = spec("sigterm", "trap 'echo terminated; exit 5' TERM; echo ready; while true; do sleep 0.1; done");
        RecordingListener run = installAndStart(spec);
        assertThat(run.awaitOutput("ready\n", WAIT)).isTrue();

        await(runtime.stop(spec.internalId(), null, Duration.ofSeconds(10)));

        assertThat(await(run.exit)).isEqualTo(5);
        // The init signals the shell's whole group: its sleep got SIGTERM too (the shell may say
        // "Terminated", before or after its trap's line, as the two race); the trap ran.
        assertThat(run.outputAtExit.replace("Terminated\n", "")).startsWith("ready\n").endsWith("terminated\n");
        // stopping a stopped container is not an error
        await(runtime.stop(spec.internalId(), null, Duration.ofSeconds(1)));
    }

    // ---- stats, listing, logs

    @Test
    void statsReportTheMemoryLimit() throws Exception {
        ContainerSpec spec = spec("stats", "sleep 1000", null, null, 64L * 1024 * 1024);
        RecordingListener run = installAndStart(spec);

        assertThat(RecordingListener.await(() -> !run.stats.isEmpty(), WAIT)).isTrue();

        Stats first = run.stats.peek();
        assertThat(first.memoryLimit()).isEqualTo(67108864L);
        assertThat(first.memoryUsage()).isBetween(0L, 67108864L);
        assertThat(first.networkRx()).isZero();
        assertThat(first.networkTx()).isZero();
        assertThat(first.cpuUsage()).isGreaterThanOrEqualTo(0);
        await(runtime.kill(spec.internalId()));
        assertThat(await(run.exit)).isEqualTo(137);
    }

    @Test
    void listRunningNamesTheRunningContainersByInternalId() throws Exception {
        ContainerSpec spec = spec("list", "sleep 1000");
        RecordingListener run = installAndStart(spec);

        assertThat(await(runtime.listRunning())).contains(spec.internalId());
        EventLoop loop = group.next();
        assertThat(failureOf(runtime.start(spec, loop, listener(loop))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already running");

        await(runtime.kill(spec.internalId()));
        await(run.exit);
        assertThat(await(runtime.listRunning())).doesNotContain(spec.internalId());
    }

    @Test
    void logTailReturnsTheLastBytesOfTheOutput() throws Exception {
        // stdout and stderr are logged by separate copiers: their relative order is the engine's
        ContainerSpec spec = spec("logs", "echo alpha; echo beta; echo gamma; echo delta >&2");
        RecordingListener run = installAndStart(spec);
        assertThat(await(run.exit)).isZero();

        String all = new String(await(runtime.logTail(spec.internalId(), 1000)), StandardCharsets.UTF_8);
        assertThat(all.split("\n", -1)).containsExactlyInAnyOrder("alpha", "beta", "gamma", "delta", "");
        assertThat(all.replace("delta\n", "")).isEqualTo("alpha\nbeta\ngamma\n");
        assertThat(new String(await(runtime.logTail(spec.internalId(), 3)), StandardCharsets.UTF_8))
                .isIn("ta\n", "ma\n");
        assertThat(failureOf(runtime.logTail(PREFIX + "never-installed", 100)))
                .isInstanceOf(ContainerNotFoundException.class);
    }

    // ---- restart of the daemon, trouble

    @Test
    void aSecondRuntimeReattachesToARunningContainerAfterTheFirstClosed() throws Exception {
        ContainerSpec spec = spec("reattach", "while read line; do echo \"got $line\"; done");
        EventLoop loop = group.next();
        DockerRuntime first = new DockerRuntime(group, DockerEngineExtension.dockerHost(), storage, "none");
        RecordingListener firstRun = listener(loop);
        try {
            assertThat(await(first.install(spec, loop, listener(loop)))).isZero();
            await(first.start(spec, loop, firstRun));
            first.writeStdin(spec.internalId(), "one\n".getBytes(StandardCharsets.UTF_8));
            assertThat(firstRun.awaitOutput("got one\n", WAIT)).isTrue();
        } finally {
            first.close(); // the daemon goes away; the container keeps running
        }

        DockerRuntime second = new DockerRuntime(group, DockerEngineExtension.dockerHost(), storage, "none");
        try {
            assertThat(await(second.listRunning())).contains(spec.internalId());
            RecordingListener reattached = listener(loop);
            assertThat(await(second.attach(spec, loop, reattached))).isTrue();

            second.writeStdin(spec.internalId(), "two\n".getBytes(StandardCharsets.UTF_8));
            assertThat(reattached.awaitOutput("got two\n", WAIT)).as(reattached.text()).isTrue();
            assertThat(reattached.text()).isEqualTo("got two\n");
            assertThat(RecordingListener.await(() -> !reattached.stats.isEmpty(), WAIT)).isTrue();

            await(second.kill(spec.internalId()));
            assertThat(await(reattached.exit)).isEqualTo(137);
            assertThat(firstRun.exit).as("a closed runtime reports nothing").isNotDone();
            assertThat(firstRun.text()).isEqualTo("got one\n");
            // not running any more: attach says so and calls nothing
            RecordingListener late = listener(loop);
            assertThat(await(second.attach(spec, loop, late))).isFalse();
            assertThat(late.text()).isEmpty();
            assertThat(late.exit).isNotDone();
        } finally {
            second.close();
        }
    }

    /** Starts the server container of {@code spec} through the engine itself, as if lightd were down. */
    private static void startThroughTheEngine(ContainerSpec spec) throws Exception {
        try (EngineClient client = EngineClient.negotiate(
                new EngineConnector(group, DockerEngineExtension.dockerHost(), Duration.ofSeconds(5)), Duration.ofSeconds(5))) {
            client.docker().startContainerCmd(EngineContainers.containerName(spec.internalId())).exec();
        }
    }

    @Test
    void aReattachOpensTheGateOfAContainerStartedWhileTheDaemonWasDown() throws Exception {
        assumeTrue(tty(), "only a container with a TTY has a gate");
        ContainerSpec spec = spec("gate-reattach", "echo hello-from-server; while read line; do echo \"got $line\"; done");
        EventLoop loop = group.next();
        assertThat(await(runtime.install(spec, loop, listener(loop)))).isZero();
        startThroughTheEngine(spec);

        DockerRuntime second = new DockerRuntime(group, DockerEngineExtension.dockerHost(), storage, "none");
        try {
            RecordingListener reattached = listener(loop);
            assertThat(await(second.attach(spec, loop, reattached))).isTrue();
            assertThat(reattached.awaitOutput("hello-from-server\n", WAIT)).as(reattached.text()).isTrue();
            second.writeStdin(spec.internalId(), "x\n".getBytes(StandardCharsets.UTF_8));
            assertThat(reattached.awaitOutput("got x\n", WAIT)).as(reattached.text()).isTrue();
            assertThat(reattached.text()).as("the gate took no command, the modes were set (no \\r, no echo)")
                    .isEqualTo("hello-from-server\ngot x\n");
            await(second.kill(spec.internalId()));
            assertThat(await(reattached.exit)).isEqualTo(137);
        } finally {
            second.close();
        }
    }

    @Test
    void aStartOfAContainerTheEngineAlreadyRunsOpensItsWaitingGate() throws Exception {
        assumeTrue(tty(), "only a container with a TTY has a gate");
        ContainerSpec spec = spec("gate-start", "echo hello-from-server; while read line; do echo \"got $line\"; done");
        EventLoop loop = group.next();
        assertThat(await(runtime.install(spec, loop, listener(loop)))).isZero();
        startThroughTheEngine(spec);

        RecordingListener run = listener(loop);
        await(runtime.start(spec, loop, run));
        assertThat(run.awaitOutput("hello-from-server\n", WAIT)).as(run.text()).isTrue();
        runtime.writeStdin(spec.internalId(), "x\n".getBytes(StandardCharsets.UTF_8));
        assertThat(run.awaitOutput("got x\n", WAIT)).as(run.text()).isTrue();
        assertThat(run.text()).isEqualTo("hello-from-server\ngot x\n");
        await(runtime.kill(spec.internalId()));
        assertThat(await(run.exit)).isEqualTo(137);
    }

    @Test
    void aCommandHoldingTheEnginesDetachKeysReachesTheProgramWhole() throws Exception {
        ContainerSpec spec = spec("detach-keys",
                "head -c 2; echo .; while read line; do echo \"got $line\"; done");
        RecordingListener run = installAndStart(spec);
        // ctrl-p as the last byte of a write reaches the program at once, not with the next write
        runtime.writeStdin(spec.internalId(), "c\u0010".getBytes(StandardCharsets.UTF_8));
        assertThat(run.awaitOutput("c\u0010.\n", WAIT)).as(run.text()).isTrue();
        // ctrl-p ctrl-q (the engine's default detach keys) neither ends the attach nor cuts the command
        runtime.writeStdin(spec.internalId(), "a\u0010\u0011b\n".getBytes(StandardCharsets.UTF_8));
        assertThat(run.awaitOutput("got a\u0010\u0011b\n", WAIT)).as(run.text()).isTrue();
        runtime.writeStdin(spec.internalId(), "d\n".getBytes(StandardCharsets.UTF_8));
        assertThat(run.awaitOutput("got d\n", WAIT)).as(run.text()).isTrue();
        assertThat(run.text()).isEqualTo("c\u0010.\ngot a\u0010\u0011b\ngot d\n");
        assertThat(run.exit).isNotDone();
        await(runtime.kill(spec.internalId()));
        assertThat(await(run.exit)).isEqualTo(137);
    }

    @Test
    void aLostAttachStreamIsReopenedWhileTheContainerRuns() throws Exception {
        ContainerSpec spec = spec("lost-attach", "while read line; do echo \"got $line\"; done");
        RecordingListener run = installAndStart(spec);
        runtime.writeStdin(spec.internalId(), "one\n".getBytes(StandardCharsets.UTF_8));
        assertThat(run.awaitOutput("got one\n", WAIT)).isTrue();
        AttachStream lost = runtime.attachStreamOf(spec.internalId());

        lost.close();

        assertThat(RecordingListener.await(() -> {
            AttachStream now = runtime.attachStreamOf(spec.internalId());
            return now != null && now != lost && now.isOpen();
        }, WAIT)).isTrue();
        runtime.writeStdin(spec.internalId(), "two\n".getBytes(StandardCharsets.UTF_8));
        assertThat(run.awaitOutput("got two\n", WAIT)).as(run.text()).isTrue();
        assertThat(run.exit).isNotDone();
        await(runtime.kill(spec.internalId()));
        assertThat(await(run.exit)).isEqualTo(137);
        assertThat(run.outputAtExit).isEqualTo("got one\ngot two\n");
    }

    @Test
    void aContainerRemovedBehindTheRuntimesBackIsReportedAsExited() throws Exception {
        ContainerSpec spec = spec("removed", "echo up; sleep 1000");
        RecordingListener run = installAndStart(spec);
        assertThat(run.awaitOutput("up\n", WAIT)).isTrue();

        DockerRuntime other = new DockerRuntime(group, DockerEngineExtension.dockerHost(), storage, "none");
        try {
            await(other.remove(spec.internalId()));
        } finally {
            other.close();
        }

        assertThat(await(run.exit)).isNotZero();
        assertThat(failureOf(runtime.writeStdin(spec.internalId(), "x\n".getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(IllegalStateException.class);
        assertThat(failureOf(runtime.kill(spec.internalId()))).isInstanceOf(ContainerNotFoundException.class);
        EventLoop loop = group.next();
        assertThat(failureOf(runtime.start(spec, loop, listener(loop)))).isInstanceOf(ContainerNotFoundException.class);
    }

    @Test
    void anUnreachableEngineFailsWithRuntimeUnavailable() {
        DockerRuntime unreachable = new DockerRuntime(group, "unix://" + storage.resolve("no-such.sock"), storage, "none");
        try {
            assertThat(failureOf(unreachable.listRunning())).isInstanceOf(RuntimeUnavailableException.class)
                    .hasMessage("container runtime unavailable");
            ContainerSpec spec = spec("unreachable", "true");
            EventLoop loop = group.next();
            assertThat(failureOf(unreachable.start(spec, loop, listener(loop)))).isInstanceOf(RuntimeUnavailableException.class);
        } finally {
            unreachable.close();
        }
    }

    @Test
    void theThreadCountDoesNotGrowWithTheNumberOfAttachedContainers() throws Exception {
        // warm up: the blocking executor's threads and the events stream exist after one run
        RecordingListener warm = installAndStart(spec("threads-warm", "sleep 1000"));
        int before = ManagementFactory.getThreadMXBean().getThreadCount();

        int count = 20;
        List<ContainerSpec> specs = new ArrayList<>();
        List<RecordingListener> runs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ContainerSpec spec = spec("threads-" + i, "echo up; sleep 1000");
            specs.add(spec);
            runs.add(installAndStart(spec));
        }
        for (RecordingListener run : runs) {
            assertThat(run.awaitOutput("up\n", WAIT)).isTrue();
        }
        assertThat(RecordingListener.await(() -> runs.stream().allMatch(r -> !r.stats.isEmpty()), WAIT)).isTrue();
        int after = ManagementFactory.getThreadMXBean().getThreadCount();
        System.out.printf("live threads: %d before, %d with %d more containers attached%n", before, after, count);

        // the bound: the blocking executor (4 threads) plus a little JVM noise, whatever the count
        assertThat(after - before).as("threads before %d, after %d with %d containers", before, after, count)
                .isLessThanOrEqualTo(DockerRuntime.DEFAULT_BLOCKING_THREADS + 2);

        for (ContainerSpec spec : specs) {
            runtime.kill(spec.internalId());
        }
        runtime.kill(PREFIX + "threads-warm");
        for (RecordingListener run : runs) {
            assertThat(await(run.exit)).isEqualTo(137);
        }
        assertThat(await(warm.exit)).isEqualTo(137);
        // ended runs leave no connection behind: only the events stream stays
        assertThat(RecordingListener.await(() -> runtime.openEngineChannels() <= 1, WAIT))
                .as("engine connections open:\n%s", runtime.describeEngineChannels()).isTrue();
    }
}
