package io.lightd.runtime.docker;

import com.github.dockerjava.api.command.KillContainerCmd;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.model.Frame;
import io.lightd.runtime.BoundedExecutors;
import io.lightd.runtime.ContainerNotFoundException;
import io.lightd.runtime.ContainerRuntime;
import io.lightd.runtime.ContainerSpec;
import io.lightd.runtime.ExitReport;
import io.lightd.runtime.InstallListener;
import io.lightd.runtime.RuntimeListener;
import io.lightd.runtime.RuntimeUnavailableException;
import io.lightd.runtime.StopSignal;
import io.lightd.runtime.stats.CgroupLayout;
import io.lightd.runtime.stats.StatsSampler;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ContainerRuntime} on a Docker engine, on the server's own event loop group.
 *
 * <ul>
 *   <li>Request/response calls go through docker-java (on {@link SharedGroupExecFactory}); they
 *       block their caller, so they run on a small bounded blocking executor and come back as
 *       futures. The API version is negotiated with the engine on first use.</li>
 *   <li>Console attach is spoken directly ({@link AttachStream}): one channel per running
 *       container and no thread, registered on the loop given for the run.</li>
 *   <li>Stats: read from each container's cgroup and {@code /proc/<pid>/net/dev} by one batched
 *       {@link StatsSampler} (a watched container every second, others every idle interval) when
 *       the engine is local and the host's cgroup layout is found, chosen once per node at start and
 *       logged (a container whose cgroup is not found at once is tried again, never moved onto a stream);
 *       else (a remote engine, another layout) one docker-java stats stream per running container
 *       ({@link ReopeningStream}), mapped by {@link StatsMapper}. Exits: one engine-wide events stream filtered to
 *       {@code lightd.managed=true}; {@link ContainerRun} orders the exit after the last output.</li>
 *   <li>A call that cannot reach the engine fails with {@link RuntimeUnavailableException}; one
 *       that names a container the engine does not have fails with {@link ContainerNotFoundException}.</li>
 *   <li>Engine restarts: the events stream is opened at construction and kept open; while it
 *       cannot be re-opened the runtime reports itself {@linkplain #available() unavailable}. When
 *       it opens again after a loss, every run that had started is checked against the engine at
 *       once ({@code ContainerRun.checkNow}): a container that died meanwhile delivers its exit,
 *       a running one whose attach stream was lost is re-attached.</li>
 * </ul>
 *
 * <p>The rooms: {@link EngineCalls} (the negotiated client, blocking calls with timeouts, finite
 * streams, inspections), {@link Installer} (image, install script, the server's container),
 * {@link EngineEvents} (the events stream and the engine's reachability), {@link EngineStats} (cgroup
 * sampler or stats streams) and {@link ContainerRuns} (start, re-attach, stop, stdin). This class
 * wires them, maps their failures to the contract's ({@link EngineFailures}) and answers the calls
 * that need no run.
 *
 * <p>Threads: every public method returns at once and may be called from any thread, event loops
 * included. Runs are kept in a concurrent map; each run's state lives on its own loop.
 * {@link #close()} closes the streams and channels this runtime owns and never stops a container.
 */
public final class DockerRuntime implements ContainerRuntime {

    private static final Logger log = LoggerFactory.getLogger(DockerRuntime.class);

    /** The threads of the blocking executor the runtime makes when it is given none. */
    public static final int DEFAULT_BLOCKING_THREADS = 4;

    private static final int BLOCKING_QUEUE_SIZE = 4096;
    private static final int MAX_LOG_TAIL_LINES = 100_000;

    private final EngineConnector connector;
    private final String networkMode;
    private final ExecutorService blocking;
    private final boolean ownsBlocking;
    private final EngineCalls engine;
    private final Installer installer;
    private final EngineStats stats;
    private final ContainerRuns runs;
    private final EngineEvents events;
    /** Re-opens of the events and stats streams after a loss, for metrics. */
    private final LongAdder streamReopens = new LongAdder();
    private volatile boolean closed;

    /**
     * @param group       the server's event loop group (a {@code MultiThreadIoEventLoopGroup} with
     *                    the epoll, io_uring or NIO handler); every engine connection is made on it
     * @param dockerHost  {@code unix:///var/run/docker.sock} style (a bare absolute path means the
     *                    same), or {@code tcp://host:port} (no TLS)
     * @param storageBase {@code storage.base_path}; volumes are {@code <storageBase>/volumes/<internal_id>}
     * @param networkMode the engine network mode of the containers ({@code docker.network_mode}, whose
     *                    default the daemon's configuration holds; tests use {@code none})
     * @param blocking    a bounded executor for docker-java's blocking calls, or null to have the
     *                    runtime create its own ({@link #DEFAULT_BLOCKING_THREADS} daemon threads,
     *                    shut down by {@link #close()})
     */
    public DockerRuntime(EventLoopGroup group, String dockerHost, Path storageBase, String networkMode,
                         ExecutorService blocking) {
        this(group, dockerHost, storageBase, networkMode, blocking, StatsSampler.DEFAULT_IDLE_INTERVAL, true);
    }

    /**
     * As {@link #DockerRuntime(EventLoopGroup, String, Path, String, ExecutorService)}, with the
     * sampling interval of containers nobody watches ({@code idleStatsInterval}, when stats come from
     * the cgroups) and whether cgroups may be read at all ({@code readCgroups} false: the engine's
     * stats streams, as for a remote engine).
     */
    public DockerRuntime(EventLoopGroup group, String dockerHost, Path storageBase, String networkMode,
                         ExecutorService blocking, Duration idleStatsInterval, boolean readCgroups) {
        this(group, dockerHost, storageBase, networkMode, blocking, idleStatsInterval, readCgroups,
                CgroupLayout::detect);
    }

    /** As above, with where the cgroup layout comes from ({@code cgroupLayout}, asked once): tests lay one out in a folder. */
    DockerRuntime(EventLoopGroup group, String dockerHost, Path storageBase, String networkMode,
                  ExecutorService blocking, Duration idleStatsInterval, boolean readCgroups,
                  Supplier<CgroupLayout> cgroupLayout) {
        this.connector = new EngineConnector(group, dockerHost, EngineCalls.CONNECT_TIMEOUT);
        this.networkMode = Objects.requireNonNull(networkMode, "networkMode");
        this.ownsBlocking = blocking == null;
        this.blocking = blocking != null ? blocking : newBlockingExecutor(DEFAULT_BLOCKING_THREADS);
        this.engine = new EngineCalls(connector, this.blocking);
        this.installer = new Installer(engine, storageBase.toAbsolutePath().normalize().resolve("volumes"),
                this.networkMode);
        EventLoop eventsLoop = group.next();
        boolean local = connector.dockerHost().startsWith("unix://");
        CgroupLayout layout = readCgroups && local ? cgroupLayout.get() : null;
        this.stats = new EngineStats(engine, group, idleStatsInterval, layout,
                !readCgroups ? "cgroup reading turned off"
                        : local ? "no cgroup v1 or v2 mount found"
                        : "the engine is remote, its cgroups are not on this host",
                streamReopens);
        this.runs = new ContainerRuns(engine, stats);
        this.events = new EngineEvents(engine, eventsLoop, runs, streamReopens);
        this.runs.events(events);
        this.events.start();
    }

    /** With its own blocking executor. */
    public DockerRuntime(EventLoopGroup group, String dockerHost, Path storageBase, String networkMode) {
        this(group, dockerHost, storageBase, networkMode, null);
    }

    /** The runtime's own blocking pool when none is given: {@link BoundedExecutors}, {@code threads} threads. */
    public static ExecutorService newBlockingExecutor(int threads) {
        return BoundedExecutors.newBoundedExecutor("lightd-docker-blocking", threads, BLOCKING_QUEUE_SIZE,
                Duration.ofSeconds(30));
    }

    @Override
    public String name() {
        return "docker";
    }

    @Override
    public boolean isolated() {
        return true;
    }

    /** False while the engine's events stream cannot be opened (the engine is down or unreachable). */
    @Override
    public boolean available() {
        return events.reachable();
    }

    /** The engine's {@code NCPU} once the client is negotiated (at construction), else the local count. */
    @Override
    public int hostCpus() {
        EngineClient client = engine.negotiated();
        return client != null && client.cpus() > 0 ? client.cpus() : ContainerRuntime.super.hostCpus();
    }

    @Override
    public long streamReopens() {
        return streamReopens.sum();
    }

    @Override
    public CompletableFuture<Integer> install(ContainerSpec spec, EventExecutor loop, InstallListener listener) {
        String id = spec.internalId();
        return translate(installer.install(spec, loop, listener), null).whenComplete((code, error) -> {
            if (error != null) {
                log.info("{}: install failed: {}", id, EngineFailures.messageOf(error));
            } else {
                log.info("{}: installed (install script exit {})", id, code);
            }
        });
    }

    @Override
    public CompletableFuture<Void> start(ContainerSpec spec, EventExecutor loop, RuntimeListener listener) {
        String id = spec.internalId();
        return translate(runs.start(spec, loop, listener), id).whenComplete((v, error) -> {
            if (error != null) {
                log.info("{}: start failed: {}", id, EngineFailures.messageOf(error));
            }
        });
    }

    @Override
    public CompletableFuture<Boolean> attach(ContainerSpec spec, EventExecutor loop, RuntimeListener listener) {
        return translate(runs.attach(spec, loop, listener), spec.internalId());
    }

    /**
     * The engine's record of the container's last exit: {@code State.ExitCode}, {@code OOMKilled}
     * (counted as the server's OOM kill only with exit code 137) and {@code FinishedAt}. Empty for a
     * running container, one never started (no {@code FinishedAt}) or one the engine does not have.
     */
    @Override
    public CompletableFuture<Optional<ExitReport>> lastExit(String internalId) {
        return engine.lastExit(internalId);
    }

    @Override
    public CompletableFuture<Void> stop(String internalId, String stopCommand, Duration timeout) {
        return translate(runs.stop(internalId, stopCommand, timeout), internalId);
    }

    /**
     * Sends {@code signal} to the container's PID 1, the engine's init, which forwards it to the
     * server's whole process group (see {@link EngineContainers}). A container that does not run is
     * left alone.
     */
    @Override
    public CompletableFuture<Void> signal(String internalId, StopSignal signal) {
        return killWith(internalId, signal.name());
    }

    @Override
    public CompletableFuture<Void> kill(String internalId) {
        return killWith(internalId, null);
    }

    /** The engine's kill of a container with {@code signal} (null: the engine's SIGKILL); one that does not run is left alone. */
    private CompletableFuture<Void> killWith(String internalId, String signal) {
        return translate(engine.call(internalId, docker -> {
            try {
                KillContainerCmd kill = docker.killContainerCmd(EngineContainers.containerName(internalId));
                (signal == null ? kill : kill.withSignal(signal)).exec();
            } catch (ConflictException notRunning) {
                // nothing to signal
            }
            return null;
        }), internalId);
    }

    @Override
    public CompletableFuture<Void> writeStdin(String internalId, byte[] data) {
        return runs.writeStdin(internalId, data);
    }

    /** Also removes an install container of {@code internalId} that still runs (a delete during an install). */
    @Override
    public CompletableFuture<Void> remove(String internalId) {
        return translate(engine.call(internalId, docker -> {
                    installer.forget(internalId);
                    return null;
                })
                .thenCompose(v -> engine.removeIfPresent(EngineContainers.installContainerName(internalId)))
                .thenCompose(v -> engine.call(internalId, docker -> {
                    docker.removeContainerCmd(EngineContainers.containerName(internalId)).withForce(true).exec();
                    return null;
                })), internalId);
    }

    @Override
    public CompletableFuture<byte[]> logTail(String internalId, int maxBytes) {
        if (maxBytes <= 0) {
            return CompletableFuture.completedFuture(new byte[0]);
        }
        int lines = (int) Math.min(MAX_LOG_TAIL_LINES, Math.max(100, maxBytes / 16L));
        // a container with a TTY has a raw log, which lightd reads itself (see RawLogTail)
        return engine.inspectState(internalId).thenCompose(state -> state.tty()
                ? translate(engine.withTimeout(engine.engine().thenCompose(client -> RawLogTail.read(connector, client,
                        EngineContainers.containerName(internalId), internalId, lines, maxBytes)),
                        EngineCalls.CALL_TIMEOUT, "logs of " + internalId), internalId)
                : multiplexedLogTail(internalId, lines, maxBytes));
    }

    /** The log tail of a container without a TTY, through docker-java. */
    private CompletableFuture<byte[]> multiplexedLogTail(String internalId, int lines, int maxBytes) {
        LogTailBuffer tail = new LogTailBuffer(maxBytes);
        OneShotStream<Frame, byte[]> frames = new OneShotStream<>() {
            @Override
            public void onNext(Frame frame) {
                switch (frame.getStreamType()) {
                    case STDOUT, STDERR, RAW -> tail.add(frame.getPayload());
                    default -> { }
                }
            }

            @Override
            protected byte[] completed() {
                return tail.toByteArray();
            }

            @Override
            protected byte[] closedEarly() {
                return tail.toByteArray();
            }

            @Override
            protected String what() {
                return "logs";
            }
        };
        CompletableFuture<byte[]> result = engine.readToEnd(frames, (docker, callback) -> docker
                .logContainerCmd(EngineContainers.containerName(internalId))
                .withStdOut(true).withStdErr(true).withFollowStream(false).withTail(lines)
                .exec(callback));
        return translate(engine.withTimeout(result, EngineCalls.CALL_TIMEOUT, "logs of " + internalId), internalId);
    }

    @Override
    public CompletableFuture<Set<String>> listRunning() {
        return engine.listRunning();
    }

    /** Batches the cgroup sampler ran (for tests): 0 when stats come from engine streams. */
    public long statsBatches() {
        return stats.batches();
    }

    /** Samples the cgroup sampler took: 0 when stats come from the engine's streams. */
    @Override
    public long statsSamples() {
        return stats.samples();
    }

    @Override
    public void statsDemand(String internalId, boolean watched) {
        stats.setWatched(internalId, watched);
    }

    /** True when stats come from the cgroups (for tests). */
    boolean readsCgroups() {
        return stats.readsCgroups();
    }

    /** Tries to find a running container's cgroup that failed (for tests). */
    long cgroupOpenFailures() {
        return stats.cgroupOpenFailures();
    }

    /** How many engine connections are open (for tests). */
    int openEngineChannels() {
        return connector.openChannels();
    }

    /** The open engine connections, one line each (for tests' failure messages). */
    String describeEngineChannels() {
        return connector.describeOpenChannels();
    }

    /** The attach stream of the current run of {@code internalId}, or null (for tests). */
    AttachStream attachStreamOf(String internalId) {
        return runs.attachStreamOf(internalId);
    }

    private static <T> CompletableFuture<T> translate(CompletableFuture<T> future, String internalId) {
        return EngineFailures.translate(future, internalId);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        engine.refuseNegotiation();
        events.close();
        stats.close();
        runs.detachAll();
        engine.close();
        connector.closeAll();
        if (ownsBlocking) {
            blocking.shutdown();
        }
    }

    @Override
    public String toString() {
        return "DockerRuntime(" + connector.dockerHost() + ", network " + networkMode + ")";
    }
}
