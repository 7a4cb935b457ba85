package io.lightd.runtime.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import io.lightd.runtime.stats.CgroupLayout;
import io.lightd.runtime.stats.CgroupStats;
import io.lightd.runtime.stats.StatsSampler;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.PullResponseItem;
import com.github.dockerjava.api.model.Statistics;
import io.lightd.runtime.BoundedExecutors;
import io.lightd.runtime.ContainerNotFoundException;
import io.lightd.runtime.ContainerRuntime;
import io.lightd.runtime.ContainerSpec;
import io.lightd.runtime.ExitReport;
import io.lightd.runtime.InstallListener;
import io.lightd.runtime.RuntimeListener;
import io.lightd.runtime.RuntimeUnavailableException;
import io.lightd.runtime.Terminal;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
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
 *       once ({@link ContainerRun#checkNow}): a container that died meanwhile delivers its exit,
 *       a running one whose attach stream was lost is re-attached.</li>
 * </ul>
 *
 * <p>Threads: every public method returns at once and may be called from any thread, event loops
 * included. Runs are kept in a concurrent map; each run's state lives on its own loop.
 * {@link #close()} closes the streams and channels this runtime owns and never stops a container.
 */
public final class DockerRuntime implements ContainerRuntime {

    private static final Logger log = LoggerFactory.getLogger(DockerRuntime.class);

    public static final String DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";
    public static final String DEFAULT_NETWORK_MODE = "bridge";
    public static final int DEFAULT_BLOCKING_THREADS = 4;

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration UPGRADE_TIMEOUT = Duration.ofSeconds(10);
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);
    static final Duration STATS_SILENCE_LIMIT = Duration.ofSeconds(15);
    /** The longest wait between two attempts to re-open the events stream, hence to notice the engine is back. */
    static final Duration EVENTS_MAX_BACKOFF = Duration.ofSeconds(2);
    /** How long stop and start wait for a run's exit to be delivered after the engine says it stopped. */
    static final Duration PREVIOUS_RUN_GRACE = Duration.ofMillis(
            ContainerRun.DIE_GRACE_MILLIS + ContainerRun.ATTACH_GRACE_MILLIS + 3_000);
    private static final int BLOCKING_QUEUE_SIZE = 4096;
    private static final int MAX_LOG_TAIL_LINES = 100_000;

    private final EngineConnector connector;
    private final TerminalGate terminalGate;
    private final Path volumesRoot;
    private final String networkMode;
    private final ExecutorService blocking;
    private final boolean ownsBlocking;
    private final AtomicReference<CompletableFuture<EngineClient>> engine = new AtomicReference<>();
    private final Map<String, ContainerRun> runs = new ConcurrentHashMap<>();
    /**
     * The install under way per internal id (a token per install). {@link #remove} takes it away, and
     * an install whose token is gone does not create the server's container: a delete during an install
     * leaves nothing behind. The check with the create, and the removal, lock it (both on the blocking
     * executor), so they cannot interleave; the other updates need no lock.
     */
    private final Map<String, Object> installs = new ConcurrentHashMap<>();
    private final ReopeningStream events;
    /** Where the kernel keeps the containers' cgroups, or null: stats then come from the engine's streams. */
    private final CgroupLayout cgroups;
    private final LongAdder cgroupOpenFailures = new LongAdder();
    /** Samples every running container from its cgroup in batches; null when {@link #cgroups} is. */
    private final StatsSampler<Void> statsSampler;
    private final long hostMemory;
    /** Re-opens of the events and stats streams after a loss, for metrics. */
    private final LongAdder streamReopens = new LongAdder();
    /** False from a failed open of the events stream until it opens again. */
    private volatile boolean engineReachable = true;
    /** Set on the events loop when the events stream was lost; the next open re-checks the runs. */
    private boolean eventsLost;
    private volatile boolean closed;

    /**
     * @param group       the server's event loop group (a {@code MultiThreadIoEventLoopGroup} with
     *                    the epoll, io_uring or NIO handler); every engine connection is made on it
     * @param dockerHost  {@code unix:///var/run/docker.sock} style (a bare absolute path means the
     *                    same), or {@code tcp://host:port} (no TLS)
     * @param storageBase {@code storage.base_path}; volumes are {@code <storageBase>/volumes/<internal_id>}
     * @param networkMode the engine network mode of the containers ({@link #DEFAULT_NETWORK_MODE}; tests use {@code none})
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
        this.connector = new EngineConnector(group, dockerHost, CONNECT_TIMEOUT);
        this.terminalGate = new TerminalGate(connector.dockerHost());
        this.volumesRoot = storageBase.toAbsolutePath().normalize().resolve("volumes");
        this.networkMode = networkMode == null ? DEFAULT_NETWORK_MODE : networkMode;
        this.ownsBlocking = blocking == null;
        this.blocking = blocking != null ? blocking : newBlockingExecutor(DEFAULT_BLOCKING_THREADS);
        EventLoop eventsLoop = group.next();
        this.events = new ReopeningStream("engine events", eventsLoop, this.blocking, this::engine,
                client -> openEvents(client, eventsLoop), null, EVENTS_MAX_BACKOFF, new EngineWatcher(),
                streamReopens);
        this.events.start();
        this.hostMemory = CgroupLayout.hostMemoryBytes();
        this.cgroups = readCgroups && connector.dockerHost().startsWith("unix://") ? cgroupLayout.get() : null;
        if (cgroups != null) {
            this.statsSampler = new StatsSampler<>(group.next(), this.blocking, StatsSampler.DEFAULT_WATCHED_INTERVAL,
                    idleStatsInterval, () -> null);
            log.info("stats: read from the containers' cgroups ({}), batched: watched containers every {} ms, "
                    + "others every {} ms", cgroups, StatsSampler.DEFAULT_WATCHED_INTERVAL.toMillis(),
                    idleStatsInterval.toMillis());
        } else {
            this.statsSampler = null;
            log.info("stats: one engine stats stream per running container ({})",
                    !readCgroups ? "cgroup reading turned off"
                            : connector.dockerHost().startsWith("unix://") ? "no cgroup v1 or v2 mount found"
                            : "the engine is remote, its cgroups are not on this host");
        }
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
        return engineReachable;
    }

    /** The engine's {@code NCPU} once the client is negotiated (at construction), else the local count. */
    @Override
    public int hostCpus() {
        CompletableFuture<EngineClient> current = engine.get();
        EngineClient client = current != null && current.isDone() && !current.isCompletedExceptionally()
                ? current.join() : null;
        return client != null && client.cpus() > 0 ? client.cpus() : ContainerRuntime.super.hostCpus();
    }

    @Override
    public long streamReopens() {
        return streamReopens.sum();
    }

    /** Follows the events stream: it tells whether the engine is reachable, and when it comes back. */
    private final class EngineWatcher implements ReopeningStream.Watcher {
        @Override
        public void opened() {
            boolean recheck = eventsLost || !engineReachable;
            eventsLost = false;
            if (!engineReachable) {
                log.info("Docker engine at {} answers again", connector.dockerHost());
            }
            engineReachable = true;
            if (recheck) {
                log.info("events stream re-opened; checking {} running containers against the engine", runs.size());
                for (ContainerRun run : runs.values()) {
                    run.checkNow();
                }
            }
        }

        @Override
        public void lost() {
            log.info("events stream of the Docker engine at {} ended; re-opening it", connector.dockerHost());
            eventsLost = true;
        }

        @Override
        public void openFailed(Throwable cause) {
            eventsLost = true;
            if (engineReachable && unwrap(cause) instanceof EngineUnreachableException) {
                log.warn("Docker engine at {} unreachable: {}", connector.dockerHost(), messageOf(cause));
                engineReachable = false;
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // install

    @Override
    public CompletableFuture<Integer> install(ContainerSpec spec, EventExecutor loop, InstallListener listener) {
        String id = spec.internalId();
        Path volume = volumesRoot.resolve(id);
        Object token = new Object();
        installs.put(id, token);
        log.info("{}: installing from {}", id, spec.image());
        CompletableFuture<Integer> result = ensureImage(spec.image(), loop, listener)
                .thenCompose(v -> removeIfPresent(EngineContainers.containerName(id)))
                .thenCompose(v -> removeIfPresent(EngineContainers.installContainerName(id)))
                .thenCompose(v -> call(null, docker -> {
                    createDirectories(volume);
                    return null;
                }))
                .thenCompose(v -> spec.installScript() == null
                        ? CompletableFuture.completedFuture(0)
                        : runInstallScript(spec, volume, loop, listener))
                .thenCompose(code -> call(null, docker -> {
                    synchronized (installs) {
                        if (installs.get(id) != token) {
                            throw new IllegalStateException("the install of " + id + " ended: the container was removed");
                        }
                        EngineContainers.serverContainer(docker, spec, volume, networkMode).exec();
                    }
                    return code;
                }));
        return translate(result, null).whenComplete((code, error) -> {
            installs.remove(id, token);
            if (error != null) {
                log.info("{}: install failed: {}", id, messageOf(error));
            } else {
                log.info("{}: installed (install script exit {})", id, code);
            }
        });
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create volume folder " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Completes when the image is present, pulling it when it is not. */
    private CompletableFuture<Void> ensureImage(String image, EventExecutor loop, InstallListener listener) {
        ImageRef ref = ImageRef.parse(image);
        return imagePresent(ref).thenCompose(present -> {
            if (present) {
                return CompletableFuture.completedFuture(null);
            }
            onLoop(loop, () -> listener.onProgress("Pulling image " + ref.reference()));
            return pull(ref, loop, listener)
                    .handle((v, pullError) -> pullError)
                    .thenCompose(pullError -> imagePresent(ref).thenApply(presentNow -> {
                        if (!presentNow) {
                            String why = pullError == null ? "the pull ended without it" : messageOf(pullError);
                            throw new IllegalStateException("image " + image + " not found and could not be pulled: " + why);
                        }
                        onLoop(loop, () -> listener.onProgress("Pulled image " + ref.reference()));
                        return null;
                    }));
        });
    }

    private CompletableFuture<Boolean> imagePresent(ImageRef ref) {
        return call(null, docker -> !docker.listImagesCmd().withReferenceFilter(ref.reference()).exec().isEmpty());
    }

    /** Pulls through the engine; progress lines go to the listener when their status changes. */
    private CompletableFuture<Void> pull(ImageRef ref, EventExecutor loop, InstallListener listener) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        ResultCallback<PullResponseItem> callback = new StreamCallback<>() {
            private final Map<String, String> lastStatus = new HashMap<>();

            @Override
            public void onNext(PullResponseItem item) {
                if (item.getErrorDetail() != null) {
                    done.completeExceptionally(new IllegalStateException(item.getErrorDetail().getMessage()));
                    return;
                }
                String status = item.getStatus();
                if (status == null) {
                    return;
                }
                String key = item.getId() == null ? "" : item.getId();
                if (!status.equals(lastStatus.put(key, status))) {
                    String line = item.getId() == null ? status : item.getId() + ": " + status;
                    onLoop(loop, () -> listener.onProgress(line));
                }
            }

            @Override
            public void onError(Throwable throwable) {
                done.completeExceptionally(throwable);
            }

            @Override
            public void onComplete() {
                done.complete(null);
            }
        };
        return engine().thenApplyAsync(client -> client.factory().openStream(null,
                        () -> client.docker().pullImageCmd(ref.repository()).withTag(ref.tag()).exec(callback)), blocking)
                .thenCompose(channel -> {
                    channel.closeFuture().addListener(f -> done.completeExceptionally(
                            new IllegalStateException("the engine closed the pull stream")));
                    return done.handle((v, error) -> {
                        channel.close(); // docker-java leaves a finished stream's connection open
                        if (error != null) {
                            throw new CompletionException(streamFailure(error, channel));
                        }
                        return v;
                    });
                });
    }

    private CompletableFuture<Void> removeIfPresent(String name) {
        return call(null, docker -> {
            List<Container> found = docker.listContainersCmd().withShowAll(true)
                    .withNameFilter(List.of("^/" + name + "$")).exec();
            for (Container container : found) {
                if (container.getNames() != null && Arrays.asList(container.getNames()).contains("/" + name)) {
                    log.info("removing engine container {} ({})", name, container.getState());
                    docker.removeContainerCmd(container.getId()).withForce(true).exec();
                }
            }
            return null;
        });
    }

    /** Runs the install script in a throw-away container and completes with its exit code. */
    private CompletableFuture<Integer> runInstallScript(ContainerSpec spec, Path volume, EventExecutor loop,
                                                        InstallListener listener) {
        String id = spec.internalId();
        String name = EngineContainers.installContainerName(id);
        CompletableFuture<Void> outputEnded = new CompletableFuture<>();
        AttachStream.Sink sink = new AttachStream.Sink() {
            @Override
            public void onOutput(ByteBuf chunk) {
                if (loop.inEventLoop()) {
                    listener.onOutput(chunk);
                } else {
                    loop.execute(() -> listener.onOutput(chunk));
                }
            }

            @Override
            public void onEnd() {
                // after the last output, on the same loop
                onLoop(loop, () -> outputEnded.complete(null));
            }
        };
        log.info("{}: running the install script", id);
        CompletableFuture<Integer> exitCode = call(null, docker -> {
                    EngineContainers.installContainer(docker, spec, volume, networkMode).exec();
                    return null;
                })
                .thenCompose(v -> engine())
                .thenCompose(client -> AttachStream.open(connector, client, name, id, false, true,
                        connector.loopOf(loop), UPGRADE_TIMEOUT, sink))
                .thenCompose(stream -> call(null, docker -> {
                    docker.startContainerCmd(name).exec();
                    return null;
                }).whenComplete((v, error) -> {
                    if (error != null) {
                        stream.close();
                    }
                }))
                .thenCompose(v -> outputEnded)
                // the container has exited or is about to: the wait answers at once
                .thenCompose(v -> call(null, docker -> docker.waitContainerCmd(name).start().awaitStatusCode()));
        return exitCode.handle((code, error) -> removeIfPresent(name).handle((v, removeError) -> {
            if (error != null) {
                throw error instanceof CompletionException ce ? ce : new CompletionException(error);
            }
            return code;
        })).thenCompose(Function.identity());
    }

    // ------------------------------------------------------------------------------------------
    // runs

    @Override
    public CompletableFuture<Void> start(ContainerSpec spec, EventExecutor loop, RuntimeListener listener) {
        String id = spec.internalId();
        ContainerRun previous = runs.get(id);
        if (previous != null && !previous.ending()) {
            return CompletableFuture.failedFuture(new IllegalStateException(id + " is already running"));
        }
        if (previous != null) {
            // a run whose exit is still being delivered (a restart right after a stop or kill)
            return withTimeout(previous.exit().handle((code, error) -> null), PREVIOUS_RUN_GRACE,
                    "the previous run of " + id + " to end")
                    .handle((v, error) -> error)
                    .thenCompose(error -> runs.get(id) == previous
                            ? CompletableFuture.failedFuture(new IllegalStateException(id + " is already running"))
                            : start(spec, loop, listener));
        }
        ContainerRun run = new ContainerRun(id, EngineContainers.containerName(id), loop, connector.loopOf(loop),
                spec.tty(), listener, this);
        if (runs.putIfAbsent(id, run) != null) {
            return CompletableFuture.failedFuture(new IllegalStateException(id + " is already running"));
        }
        log.info("{}: starting", id);
        CompletableFuture<Void> started = events.start()
                .thenCompose(v -> openAttach(run, false))
                .thenCompose(stream -> {
                    run.attached(stream);
                    return call(id, docker -> {
                        try {
                            docker.startContainerCmd(run.containerName).exec();
                            return true;
                        } catch (NotModifiedException alreadyRunning) {
                            run.markStarted();
                            return false;
                        }
                    }).thenCompose(startedNow -> run.tty
                            // already running (started through the engine): open a gate still waiting
                            ? openTerminalGate(run, stream, !startedNow)
                            : CompletableFuture.completedFuture(null))
                            .thenRun(run::openStdin);
                })
                .thenRun(run::startStats);
        return translate(started, id).whenComplete((v, error) -> {
            if (error != null) {
                log.info("{}: start failed: {}", id, messageOf(error));
                run.detach();
            }
        });
    }

    @Override
    public CompletableFuture<Boolean> attach(ContainerSpec spec, EventExecutor loop, RuntimeListener listener) {
        String id = spec.internalId();
        CompletableFuture<Boolean> attached = inspectState(id)
                .handle((state, error) -> {
                    if (error != null && unwrap(error) instanceof ContainerNotFoundException) {
                        return null;
                    }
                    if (error != null) {
                        throw error instanceof CompletionException ce ? ce : new CompletionException(error);
                    }
                    return state;
                })
                .thenCompose(state -> {
                    if (state == null || !state.running()) {
                        return CompletableFuture.completedFuture(false);
                    }
                    ContainerRun run = new ContainerRun(id, EngineContainers.containerName(id), loop,
                            connector.loopOf(loop), state.tty(), listener, this);
                    if (runs.putIfAbsent(id, run) != null) {
                        return CompletableFuture.failedFuture(new IllegalStateException(id + " is already attached"));
                    }
                    run.markStarted();
                    return events.start()
                            .thenCompose(v -> openAttach(run, false))
                            .handle((stream, error) -> {
                                if (error != null) {
                                    run.detach();
                                    Throwable cause = unwrap(error);
                                    if (cause instanceof ContainerNotFoundException) {
                                        return null; // gone meanwhile: not running
                                    }
                                    throw error instanceof CompletionException ce ? ce : new CompletionException(error);
                                }
                                run.attached(stream);
                                run.startStats();
                                log.info("{}: re-attached to the running container", id);
                                return stream;
                            })
                            // a TTY container still at its gate (the daemon stopped right after
                            // starting it) gets its modes and its gate opened now
                            .thenCompose(stream -> stream != null && state.tty()
                                    ? openTerminalGate(run, stream, true).thenApply(v -> stream)
                                    : CompletableFuture.completedFuture(stream))
                            .thenApply(stream -> {
                                if (stream == null) {
                                    return false;
                                }
                                run.openStdin();
                                return true;
                            });
                });
        return translate(attached, id);
    }

    /**
     * Sets the terminal modes of a run's container from the host ({@link TerminalGate}) and opens its
     * gate ({@link Terminal#GATE_OPEN} on {@code stream}), so its startup command starts; when
     * {@code onlyIfWaiting}, only a container still waiting at the gate is touched (a re-attach). Modes
     * that cannot be set are logged, and the gate is opened anyway. Completes when the gate was opened
     * (or needed no opening); never fails.
     */
    private CompletableFuture<Void> openTerminalGate(ContainerRun run, AttachStream stream, boolean onlyIfWaiting) {
        return call(run.internalId, docker -> {
            Long pid = docker.inspectContainerCmd(run.containerName).exec().getState().getPidLong();
            long hostPid = pid == null ? 0 : pid;
            if (onlyIfWaiting && !TerminalGate.waitingAtGate(hostPid)) {
                return false;
            }
            String problem = terminalGate.setModes(hostPid);
            if (problem != null) {
                log.warn("{}: cannot set the terminal's modes ({}); its console will show a \\r before each "
                        + "\\n and echo commands", run.internalId, problem);
            }
            return true;
        }).thenCompose(open -> open ? stream.write(Terminal.GATE_OPEN) : CompletableFuture.<Void>completedFuture(null))
                .exceptionally(error -> {
                    log.warn("{}: cannot open the terminal gate: {}", run.internalId, messageOf(error));
                    return null;
                });
    }

    /** Opens the attach stream of a run (raw with a TTY, multiplexed without), registered on the run's loop when it is one of ours. */
    CompletableFuture<AttachStream> openAttach(ContainerRun run, boolean translated) {
        CompletableFuture<AttachStream> stream = engine().thenCompose(client -> AttachStream.open(connector, client,
                run.containerName, run.internalId, true, !run.tty, run.channelLoop, UPGRADE_TIMEOUT, run));
        return translated ? translate(stream, run.internalId) : stream;
    }

    /** The stats stream of a run; its channel lives on the run's loop when it is one of ours. */
    ReopeningStream statsStream(ContainerRun run) {
        EventLoop loop = run.channelLoop != null ? run.channelLoop : connector.group().next();
        AtomicReference<ReopeningStream> self = new AtomicReference<>();
        ReopeningStream stream = new ReopeningStream("stats of " + run.internalId, loop, blocking, this::engine,
                client -> client.factory().openStream(run.channelLoop, () -> client.docker()
                        .statsCmd(run.containerName)
                        .exec(new StreamCallback<Statistics>() {
                            @Override
                            public void onNext(Statistics statistics) {
                                self.get().dataArrived();
                                run.onStats(StatsMapper.map(statistics));
                            }
                        })),
                STATS_SILENCE_LIMIT, streamReopens);
        self.set(stream);
        return stream;
    }

    /**
     * Opens the cgroup stats of a run that runs (only when {@link #readsCgroups}): inspects the
     * container for its process and finds that process's cgroup ({@code /proc/<pid>/cgroup}).
     * Completes on any thread; fails when the engine cannot be asked (an error answer, a timeout),
     * the container has no process, or its cgroup's files cannot be read (the run tries again).
     */
    CompletableFuture<CgroupStats> openStats(ContainerRun run) {
        return call(run.internalId, docker -> {
            InspectContainerResponse inspected = docker.inspectContainerCmd(run.containerName).exec();
            Long pid = inspected.getState().getPidLong();
            if (pid == null || pid <= 0) {
                throw new IllegalStateException("the container has no process");
            }
            try {
                return new CgroupStats(cgroups.of(pid), Path.of("/proc", pid.toString(), "net", "dev"), hostMemory);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).whenComplete((source, error) -> {
            if (error != null) {
                cgroupOpenFailures.increment();
            }
        });
    }

    /** Samples {@code source} for {@code run} with the batched sampler. */
    void registerStats(ContainerRun run, CgroupStats source) {
        statsSampler.register(run.internalId, source, run.loop, run::onStats);
    }

    /** Stops sampling {@code source} and closes its files. */
    void unregisterStats(ContainerRun run, CgroupStats source) {
        statsSampler.unregister(run.internalId, source);
        source.close();
    }

    /** True when stats come from the cgroups (for tests). */
    boolean readsCgroups() {
        return statsSampler != null;
    }

    /** Tries to find a running container's cgroup that failed (for tests). */
    long cgroupOpenFailures() {
        return cgroupOpenFailures.sum();
    }

    /** Batches the cgroup sampler ran (for tests): 0 when stats come from engine streams. */
    public long statsBatches() {
        return statsSampler == null ? 0 : statsSampler.batches();
    }

    @Override
    public void statsDemand(String internalId, boolean watched) {
        if (statsSampler != null) {
            statsSampler.setWatched(internalId, watched);
        }
    }

    /** How many engine connections are open (for tests). */
    int openEngineChannels() {
        return connector.openChannels();
    }

    String describeEngineChannels() {
        return connector.describeOpenChannels();
    }

    /** The attach stream of the current run of {@code internalId}, or null (for tests). */
    AttachStream attachStreamOf(String internalId) {
        ContainerRun run = runs.get(internalId);
        return run == null ? null : run.attachStream();
    }

    /** Called by a run when it ends, on its loop. */
    void runEnded(ContainerRun run) {
        runs.remove(run.internalId, run);
    }

    /** What the engine says of a container: running, its last exit code, whether that was an OOM kill, and whether it has a TTY. */
    record EngineState(boolean running, int exitCode, boolean oomKilled, boolean tty) {
    }

    /** Running or not, the last exit code, the OOM kill and the TTY; fails with {@link ContainerNotFoundException}. */
    CompletableFuture<EngineState> inspectState(String internalId) {
        return translate(call(internalId, docker -> {
            InspectContainerResponse inspected =
                    docker.inspectContainerCmd(EngineContainers.containerName(internalId)).exec();
            InspectContainerResponse.ContainerState state = inspected.getState();
            boolean running = Boolean.TRUE.equals(state.getRunning());
            Long exit = state.getExitCodeLong();
            boolean tty = inspected.getConfig() != null && Boolean.TRUE.equals(inspected.getConfig().getTty());
            return new EngineState(running, exit == null ? -1 : exit.intValue(),
                    Boolean.TRUE.equals(state.getOOMKilled()), tty);
        }), internalId);
    }

    /**
     * The engine's record of the container's last exit: {@code State.ExitCode}, {@code OOMKilled}
     * (counted as the server's OOM kill only with exit code 137) and {@code FinishedAt}. Empty for a
     * running container, one never started (no {@code FinishedAt}) or one the engine does not have.
     */
    @Override
    public CompletableFuture<Optional<ExitReport>> lastExit(String internalId) {
        return translate(call(internalId, docker -> {
            InspectContainerResponse.ContainerState state;
            try {
                state = docker.inspectContainerCmd(EngineContainers.containerName(internalId)).exec().getState();
            } catch (com.github.dockerjava.api.exception.NotFoundException e) {
                return Optional.<ExitReport>empty();
            }
            Instant finished = parseEngineTime(state.getFinishedAt());
            Long code = state.getExitCodeLong();
            if (Boolean.TRUE.equals(state.getRunning()) || finished == null || code == null) {
                return Optional.<ExitReport>empty();
            }
            int exitCode = code.intValue();
            return Optional.of(new ExitReport(exitCode,
                    ExitReport.isOutOfMemoryKill(exitCode, Boolean.TRUE.equals(state.getOOMKilled())), finished));
        }), internalId);
    }

    /** An engine timestamp (RFC 3339 with nanoseconds); null for none or the zero time {@code 0001-01-01...}. */
    static Instant parseEngineTime(String text) {
        if (text == null || text.isEmpty() || text.startsWith("0001-")) {
            return null;
        }
        try {
            return java.time.OffsetDateTime.parse(text).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    private Channel openEvents(EngineClient client, EventLoop loop) throws InterruptedException {
        CountDownLatch subscribed = new CountDownLatch(1);
        Channel channel = client.factory().openStream(loop, () -> client.docker().eventsCmd()
                .withEventTypeFilter(EventType.CONTAINER)
                .withEventFilter("start", "die", "kill", "oom")
                .withLabelFilter(Map.of(EngineContainers.LABEL_MANAGED, "true"))
                .exec(new StreamCallback<Event>() {
                    @Override
                    public void onStart(Closeable stream) {
                        subscribed.countDown();
                    }

                    @Override
                    public void onNext(Event event) {
                        events.dataArrived();
                        dispatch(event);
                    }
                }));
        // The engine answers the events request once it has subscribed; runs started after this
        // see their own start event.
        if (!subscribed.await(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            log.warn("the engine did not answer the events request within {} ms", CONNECT_TIMEOUT.toMillis());
        }
        return channel;
    }

    private void dispatch(Event event) {
        if (event.getActor() == null || event.getActor().getAttributes() == null) {
            return;
        }
        Map<String, String> attributes = event.getActor().getAttributes();
        String id = attributes.get(EngineContainers.LABEL_INTERNAL_ID);
        ContainerRun run = id == null ? null : runs.get(id);
        if (run != null) {
            run.onEngineEvent(event.getAction(), attributes);
        }
    }

    // ------------------------------------------------------------------------------------------
    // power, stdin, logs

    @Override
    public CompletableFuture<Void> stop(String internalId, String stopCommand, Duration timeout) {
        ContainerRun run = runs.get(internalId);
        AttachStream stream = run == null ? null : run.stdinStream();
        CompletableFuture<Boolean> exitedGracefully;
        // The whole stop fits in the timeout: with a stop command, half of it for the command and the
        // rest for the engine's stop (SIGTERM through the init, then SIGKILL).
        Duration signalTimeout = timeout;
        if (stopCommand != null && stream != null) {
            Duration commandTimeout = timeout.dividedBy(2);
            signalTimeout = timeout.minus(commandTimeout);
            exitedGracefully = stream.write(stopCommand.getBytes(StandardCharsets.UTF_8))
                    .thenCompose(v -> exitWithin(run, commandTimeout))
                    .exceptionally(error -> false);
        } else {
            exitedGracefully = CompletableFuture.completedFuture(false);
        }
        int seconds = (int) Math.min(Integer.MAX_VALUE, (signalTimeout.toMillis() + 999) / 1000);
        CompletableFuture<Void> stopped = exitedGracefully.thenCompose(exited -> exited
                ? CompletableFuture.<Void>completedFuture(null)
                : call(internalId, docker -> {
                    try {
                        docker.stopContainerCmd(EngineContainers.containerName(internalId)).withTimeout(seconds).exec();
                    } catch (NotModifiedException notRunning) {
                        // already stopped
                    }
                    return (Void) null;
                }, CALL_TIMEOUT.plusSeconds(seconds)))
                .thenCompose(v -> run == null ? CompletableFuture.completedFuture(null)
                        // the engine says it stopped: let the run deliver its exit before completing
                        : withTimeout(run.exit().handle((code, error) -> (Void) null), PREVIOUS_RUN_GRACE,
                                "the exit of " + internalId).exceptionally(error -> null));
        return translate(stopped, internalId);
    }

    private CompletableFuture<Boolean> exitWithin(ContainerRun run, Duration timeout) {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        run.exit().whenComplete((code, error) -> result.complete(error == null));
        run.loop.schedule(() -> result.complete(false), timeout.toMillis(), TimeUnit.MILLISECONDS);
        return result;
    }

    /**
     * Sends {@code signal} to the container's PID 1, the engine's init, which forwards it to the
     * server's whole process group (see {@link EngineContainers}). A container that does not run is
     * left alone.
     */
    @Override
    public CompletableFuture<Void> signal(String internalId, io.lightd.runtime.StopSignal signal) {
        return translate(call(internalId, docker -> {
            try {
                docker.killContainerCmd(EngineContainers.containerName(internalId)).withSignal(signal.name()).exec();
            } catch (ConflictException notRunning) {
                // nothing to signal
            }
            return null;
        }), internalId);
    }

    @Override
    public CompletableFuture<Void> kill(String internalId) {
        return translate(call(internalId, docker -> {
            try {
                docker.killContainerCmd(EngineContainers.containerName(internalId)).exec();
            } catch (ConflictException notRunning) {
                // nothing to kill
            }
            return null;
        }), internalId);
    }

    @Override
    public CompletableFuture<Void> writeStdin(String internalId, byte[] data) {
        ContainerRun run = runs.get(internalId);
        AttachStream stream = run == null ? null : run.stdinStream();
        if (stream == null) {
            return CompletableFuture.failedFuture(new IllegalStateException(internalId
                    + (run != null && run.attachStream() != null ? " is still starting" : " is not running")));
        }
        return stream.write(data);
    }

    /** Also removes an install container of {@code internalId} that still runs (a delete during an install). */
    @Override
    public CompletableFuture<Void> remove(String internalId) {
        return translate(call(internalId, docker -> {
                    synchronized (installs) {
                        installs.remove(internalId);
                    }
                    return null;
                })
                .thenCompose(v -> removeIfPresent(EngineContainers.installContainerName(internalId)))
                .thenCompose(v -> call(internalId, docker -> {
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
        return inspectState(internalId).thenCompose(state -> state.tty()
                ? translate(withTimeout(engine().thenCompose(client -> RawLogTail.read(connector, client,
                        EngineContainers.containerName(internalId), internalId, lines, maxBytes)),
                        CALL_TIMEOUT, "logs of " + internalId), internalId)
                : multiplexedLogTail(internalId, lines, maxBytes));
    }

    /** The log tail of a container without a TTY, through docker-java. */
    private CompletableFuture<byte[]> multiplexedLogTail(String internalId, int lines, int maxBytes) {
        LogTailBuffer tail = new LogTailBuffer(maxBytes);
        CompletableFuture<byte[]> done = new CompletableFuture<>();
        StreamCallback<Frame> callback = new StreamCallback<>() {
            @Override
            public void onNext(Frame frame) {
                switch (frame.getStreamType()) {
                    case STDOUT, STDERR, RAW -> tail.add(frame.getPayload());
                    default -> { }
                }
            }

            @Override
            public void onError(Throwable throwable) {
                done.completeExceptionally(throwable);
            }

            @Override
            public void onComplete() {
                done.complete(tail.toByteArray());
            }
        };
        CompletableFuture<byte[]> result = engine().thenApplyAsync(client -> client.factory().openStream(null,
                        () -> client.docker().logContainerCmd(EngineContainers.containerName(internalId))
                                .withStdOut(true).withStdErr(true).withFollowStream(false).withTail(lines)
                                .exec(callback)), blocking)
                .thenCompose(channel -> {
                    channel.closeFuture().addListener(f -> done.complete(tail.toByteArray()));
                    return done.handle((bytes, error) -> {
                        channel.close(); // docker-java leaves a finished stream's connection open
                        if (error != null) {
                            throw new CompletionException(streamFailure(error, channel));
                        }
                        return bytes;
                    });
                });
        return translate(withTimeout(result, CALL_TIMEOUT, "logs of " + internalId), internalId);
    }

    @Override
    public CompletableFuture<Set<String>> listRunning() {
        return translate(call(null, docker -> {
            Set<String> ids = new HashSet<>();
            for (Container container : docker.listContainersCmd()
                    .withLabelFilter(Map.of(EngineContainers.LABEL_MANAGED, "true"))
                    .withStatusFilter(List.of("running")).exec()) {
                String id = container.getLabels() == null ? null : container.getLabels().get(EngineContainers.LABEL_INTERNAL_ID);
                if (id != null) {
                    ids.add(id);
                }
            }
            return Set.copyOf(ids);
        }), null);
    }

    // ------------------------------------------------------------------------------------------
    // plumbing

    /** The negotiated client, negotiating on first use and again after a failed negotiation. */
    CompletableFuture<EngineClient> engine() {
        while (true) {
            CompletableFuture<EngineClient> current = engine.get();
            if (current != null && !current.isCompletedExceptionally()) {
                return current;
            }
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("the Docker runtime is closed"));
            }
            CompletableFuture<EngineClient> fresh = new CompletableFuture<>();
            if (engine.compareAndSet(current, fresh)) {
                CompletableFuture.supplyAsync(() -> EngineClient.negotiate(connector, CONNECT_TIMEOUT), blocking)
                        .whenComplete((client, error) -> {
                            if (error != null) {
                                fresh.completeExceptionally(error);
                            } else {
                                log.info("Docker engine {} at {}, API {}", client.engineVersion(),
                                        connector.dockerHost(), client.apiVersion());
                                fresh.complete(client);
                            }
                        });
                return fresh;
            }
        }
    }

    /** Runs a blocking docker-java call on the blocking executor, with the default timeout. */
    private <T> CompletableFuture<T> call(String internalId, Function<DockerClient, T> call) {
        return call(internalId, call, CALL_TIMEOUT);
    }

    private <T> CompletableFuture<T> call(String internalId, Function<DockerClient, T> call, Duration timeout) {
        CompletableFuture<T> result = engine().thenApplyAsync(client -> {
            client.factory().clearLastChannel();
            try {
                return call.apply(client.docker());
            } catch (DockerException e) {
                throw new EngineErrorException(e, client.factory().lastErrorMessage());
            }
        }, blocking);
        return withTimeout(result, timeout, internalId == null ? "Docker call" : "Docker call for " + internalId);
    }

    private <T> CompletableFuture<T> withTimeout(CompletableFuture<T> future, Duration timeout, String what) {
        io.netty.util.concurrent.ScheduledFuture<?> timer = connector.group().next().schedule(
                () -> future.completeExceptionally(new TimeoutException(what + " timed out after " + timeout.toSeconds() + " s")),
                timeout.toMillis(), TimeUnit.MILLISECONDS);
        future.whenComplete((v, e) -> timer.cancel(false));
        return future;
    }

    /** A stream's failure with the engine's own message when the engine answered with an error. */
    private static Throwable streamFailure(Throwable error, Channel channel) {
        Throwable cause = unwrap(error);
        if (cause instanceof DockerException dockerError) {
            return new EngineErrorException(dockerError, EngineErrorBodyHandler.errorMessage(channel));
        }
        return cause;
    }

    /** Maps failures to the contract's exceptions. */
    private static <T> CompletableFuture<T> translate(CompletableFuture<T> future, String internalId) {
        CompletableFuture<T> result = new CompletableFuture<>();
        future.whenComplete((value, error) -> {
            if (error == null) {
                result.complete(value);
            } else {
                result.completeExceptionally(translate(unwrap(error), internalId));
            }
        });
        return result;
    }

    private static Throwable translate(Throwable error, String internalId) {
        if (error instanceof EngineUnreachableException) {
            return new RuntimeUnavailableException("container runtime unavailable", error);
        }
        if (error instanceof EngineErrorException engineError && engineError.status() == 404 && internalId != null) {
            ContainerNotFoundException notFound = new ContainerNotFoundException(internalId);
            notFound.initCause(error);
            return notFound;
        }
        return error;
    }

    private static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (!(cause instanceof EngineUnreachableException) && hasCause(cause, EngineUnreachableException.class)) {
            return findCause(cause, EngineUnreachableException.class);
        }
        return cause;
    }

    private static boolean hasCause(Throwable error, Class<? extends Throwable> type) {
        return findCause(error, type) != null;
    }

    private static Throwable findCause(Throwable error, Class<? extends Throwable> type) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return t;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    /** The message of an error's cause, for one log line (no stack trace). */
    static String messageOf(Throwable error) {
        Throwable cause = unwrap(error);
        if (cause instanceof UncheckedIOException unchecked) {
            cause = unchecked.getCause();
        }
        return cause.getMessage() != null ? cause.getMessage().trim() : cause.toString();
    }

    private static void onLoop(EventExecutor loop, Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        events.close();
        if (statsSampler != null) {
            statsSampler.close();
        }
        for (ContainerRun run : runs.values()) {
            run.detach();
        }
        CompletableFuture<EngineClient> current = engine.get();
        if (current != null) {
            current.thenAccept(EngineClient::close);
        }
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
