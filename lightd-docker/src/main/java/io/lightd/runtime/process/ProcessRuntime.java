package io.lightd.runtime.process;

import io.lightd.runtime.ContainerRuntime;
import io.lightd.runtime.ContainerSpec;
import io.lightd.runtime.InstallListener;
import io.lightd.runtime.RuntimeListener;
import io.lightd.runtime.Terminal;
import io.lightd.runtime.process.ProcessGroups.Signal;
import io.lightd.runtime.stats.StatsSampler;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code process} runtime: each container is a plain child process of the daemon, for
 * development, demos and tests. It isolates nothing: servers run as the daemon's user and see the
 * whole host; the CPU limit is reported but not enforced; the memory limit is enforced only coarsely,
 * from the once-a-second stats sample (a run whose processes hold more resident memory than the limit
 * is killed and reported as out of memory, as the kernel's OOM killer would under Docker, but a fast
 * allocation may peak above it between samples); ports are not published (a server binds what it
 * likes). The image is ignored.
 *
 * <p>Layout under {@code baseDir}: {@code volumes/<internal_id>/}, each process's working directory
 * and {@code HOME}, and {@code logs/<internal_id>.log} (plus one rotated {@code .log.1}), the output of
 * installs and runs that seeds the console history. Both stay when a container is removed.
 *
 * <p>A run is {@code setsid /bin/sh -c <startup command>}: the shell leads a process group of its own,
 * so stop and kill reach everything it started. A run whose spec asks for a terminal
 * ({@link ContainerSpec#tty()}) gets one instead of pipes ({@link TerminalProcess}, which makes the
 * shell a session and group leader as {@code setsid} does), with {@code TERM} set; the shell waits at
 * {@link Terminal#GATE_SCRIPT} until the terminal's modes are set ({@link ServerProcess}). Its environment is {@code PATH} (the daemon's),
 * {@code HOME} and the container's {@code env}, nothing else of the daemon's. The run ends when the
 * shell exits; what is left of its group is then killed, as Docker does with a container whose main
 * process exits. A server that should shut down gracefully on SIGTERM is best started with
 * {@code exec}, as under Docker, so that the shell does not die first.
 *
 * <p>Threads: every method may be called from any thread and returns at once; blocking work (starts,
 * signals, {@code /proc} and file reads) runs on a small bounded pool of daemon threads
 * {@code lightd-process-N}. Each running process also has a thread reading its output
 * ({@code lightd-process-out-<id>}) and, while commands are pending, one writing its stdin: a thread per
 * process suits the few servers of a development host and keeps a process that floods its output or
 * never reads its stdin from stalling the others. The Docker runtime is the one built for thousands.
 *
 * <p>Processes cannot outlive the daemon usefully: their pipes die with it, and a later daemon could
 * neither read nor command them. So {@link #attach} never finds one, and {@link #close} kills every
 * process group this runtime started instead of leaving orphans nobody can reach.
 */
public final class ProcessRuntime implements ContainerRuntime {

    private static final Logger logger = LoggerFactory.getLogger(ProcessRuntime.class);

    /** Size at which a container's output log is rotated; one rotated file is kept. */
    public static final long DEFAULT_LOG_FILE_LIMIT = 4L * 1024 * 1024;

    /** Threads of the pool for blocking work. */
    static final int BLOCKING_THREADS = 4;

    /** Tasks that may wait for those threads; more fail at once. */
    static final int BLOCKING_QUEUE_SIZE = 1024;

    /** The children's {@code PATH} when the daemon has none: Docker's default. */
    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static final String SHELL = "/bin/sh";

    private final Path volumes;
    private final Path logs;
    private final ByteBufAllocator allocator;
    private final long logFileLimit;
    private final String setsid;
    /** The wrapper that gives every child the default disposition of every signal (empty when none). */
    private final List<String> signalReset;
    /** The host's {@code stty}, for servers on a terminal; null when the PATH has none. */
    private final String stty;
    private final String childPath;
    private final HostFacts host;
    private final BlockingExecutor blocking;
    private final Duration idleStatsInterval;
    /** Made with the first start, on that start's loop (the runtime is given no loop of its own). */
    private StatsSampler<ProcessGroups.Scan> statsSampler;
    /** Containers watched before the sampler was made; guarded by this. */
    private final Set<String> watchedBeforeSampler = new HashSet<>();

    /** What runs per container: an install or a server, from before its launch until its end was reported. */
    private final ConcurrentMap<String, ChildProcess> children = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, OutputLog> outputLogs = new ConcurrentHashMap<>();

    /** Guards {@link #closed} against launches, so that close sees every process started before it. */
    private final Object launchLock = new Object();
    private volatile boolean closed;

    /**
     * A runtime keeping its volumes and logs under {@code baseDir}, with the default log limit
     * ({@link #DEFAULT_LOG_FILE_LIMIT}) and Netty's default allocator. Reads a few host facts
     * (blocking, once).
     *
     * @param baseDir the storage base path; volumes go to {@code baseDir/volumes/<internal_id>}
     * @throws IllegalStateException when {@code setsid} (util-linux) is not on the daemon's PATH
     */
    public ProcessRuntime(Path baseDir) {
        this(baseDir, ByteBufAllocator.DEFAULT, DEFAULT_LOG_FILE_LIMIT);
    }

    /**
     * A runtime keeping its volumes and logs under {@code baseDir}, allocating output chunks from
     * {@code allocator} and rotating each container's log at {@code logFileLimit} bytes. Reads a few
     * host facts (blocking, once).
     *
     * @param baseDir      the storage base path; volumes go to {@code baseDir/volumes/<internal_id>}
     * @param allocator    where the output chunks handed to listeners are allocated
     * @param logFileLimit size in bytes at which a container's output log is rotated
     * @throws IllegalStateException when {@code setsid} (util-linux) is not on the daemon's PATH
     */
    public ProcessRuntime(Path baseDir, ByteBufAllocator allocator, long logFileLimit) {
        this(baseDir, allocator, logFileLimit, StatsSampler.DEFAULT_IDLE_INTERVAL);
    }

    /**
     * As {@link #ProcessRuntime(Path, ByteBufAllocator, long)}, sampling the stats of a server nobody
     * watches every {@code idleStatsInterval} (a watched one every second).
     *
     * @param baseDir           the storage base path; volumes go to {@code baseDir/volumes/<internal_id>}
     * @param allocator         where the output chunks handed to listeners are allocated
     * @param logFileLimit      size in bytes at which a container's output log is rotated
     * @param idleStatsInterval how often a server nobody watches is sampled; at least one second
     *                          (a shorter one fails the first start with {@link IllegalArgumentException})
     * @throws IllegalStateException when {@code setsid} (util-linux) is not on the daemon's PATH
     */
    public ProcessRuntime(Path baseDir, ByteBufAllocator allocator, long logFileLimit, Duration idleStatsInterval) {
        this(baseDir, allocator, logFileLimit, idleStatsInterval, System.getenv("PATH"));
    }

    /**
     * As {@link #ProcessRuntime(Path, ByteBufAllocator, long, Duration)}, with {@code daemonPath} in place
     * of the daemon's {@code PATH} (where {@code setsid} and {@code stty} are looked up, and the servers'
     * default {@code PATH}); {@link #DEFAULT_PATH} when null or blank.
     */
    ProcessRuntime(Path baseDir, ByteBufAllocator allocator, long logFileLimit, Duration idleStatsInterval,
                   String daemonPath) {
        this.idleStatsInterval = Objects.requireNonNull(idleStatsInterval, "idleStatsInterval");
        Path base = baseDir.toAbsolutePath().normalize();
        this.volumes = base.resolve("volumes");
        this.logs = base.resolve("logs");
        this.allocator = Objects.requireNonNull(allocator, "allocator");
        if (logFileLimit <= 0) {
            throw new IllegalArgumentException("logFileLimit: " + logFileLimit + " (expected > 0)");
        }
        this.logFileLimit = logFileLimit;
        this.childPath = daemonPath == null || daemonPath.isBlank() ? DEFAULT_PATH : daemonPath;
        this.setsid = findExecutable("setsid", childPath);
        this.signalReset = SignalReset.find(childPath);
        this.stty = Terminal.findStty(childPath);
        this.host = HostFacts.read();
        this.blocking = new BlockingExecutor("lightd-process", BLOCKING_THREADS, BLOCKING_QUEUE_SIZE);
        if (stty == null) {
            logger.warn("process runtime: no stty (coreutils) on the PATH ({}): servers on a terminal (tty) "
                    + "cannot start until it is installed; servers on pipes are not affected", childPath);
        }
        logger.warn("process runtime: servers run as unisolated host processes under {}, with the daemon's "
                + "user and no resource limits; use it for development only", base);
    }

    @Override
    public String name() {
        return "process";
    }

    @Override
    public boolean isolated() {
        return false;
    }

    @Override
    public CompletableFuture<Integer> install(ContainerSpec spec, EventExecutor loop, InstallListener listener) {
        String id = spec.internalId();
        InstallProcess install = new InstallProcess(id, loop, listener, blocking, children);
        IllegalStateException refused = admit(install);
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        blocking.run(() -> {
            Path volume = volume(id);
            Files.createDirectories(volume);
            if (spec.installScript() == null) {
                install.endWithoutProcess(0);
                return;
            }
            Path script = Files.createTempFile("lightd-install-" + id + "-", ".sh");
            install.script(script);
            Files.writeString(script, spec.installScript());
            launchUnlessClosed(install, withSignalsReset(setsid, SHELL, script.toString()), volume, environment(spec, volume),
                    "lightd-process-install-" + id, false);
        }).whenComplete((ok, failed) -> {
            if (failed != null) {
                install.deleteScript();
                install.fail(failed);
            }
        });
        return install.ended.copy();
    }

    @Override
    public CompletableFuture<Void> start(ContainerSpec spec, EventExecutor loop, RuntimeListener listener) {
        String id = spec.internalId();
        long memoryLimit = spec.memoryLimit() > 0 ? spec.memoryLimit() : host.memoryBytes();
        ServerProcess run = new ServerProcess(id, loop, listener, blocking, children, memoryLimit,
                spec.memoryLimit(), host.clockTicksPerSecond(), spec.tty() ? stty : null, statsSampler(loop));
        IllegalStateException refused = admit(run);
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        blocking.run(() -> {
            Path volume = volume(id);
            Files.createDirectories(volume);
            if (spec.tty()) {
                if (stty == null) {
                    throw new IllegalStateException("a server on a terminal needs stty (coreutils) on the PATH");
                }
                launchUnlessClosed(run, withSignalsReset(SHELL, "-c", Terminal.GATE_SCRIPT, spec.startupCommand()),
                        volume, Terminal.environment(environment(spec, volume)), "lightd-process-out-" + id, true);
            } else {
                launchUnlessClosed(run, withSignalsReset(setsid, SHELL, "-c", spec.startupCommand()), volume,
                        environment(spec, volume), "lightd-process-out-" + id, false);
            }
        }).whenComplete((ok, failed) -> {
            if (failed != null) {
                run.fail(failed);
            }
        });
        return run.launched.copy();
    }

    /** Processes die with the daemon that started them, so there is never one to re-attach to. */
    @Override
    public CompletableFuture<Boolean> attach(ContainerSpec spec, EventExecutor loop, RuntimeListener listener) {
        if (children.get(spec.internalId()) instanceof ServerProcess) {
            return CompletableFuture.failedFuture(new IllegalStateException("container " + spec.internalId()
                    + " already runs in this daemon; the process runtime cannot attach to it again"));
        }
        return CompletableFuture.completedFuture(false);
    }

    /**
     * Completes at once when the container is not running: the server knows its state itself. An
     * install is not stopped here; kill or remove ends it.
     */
    @Override
    public CompletableFuture<Void> stop(String internalId, String stopCommand, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (children.get(internalId) instanceof ServerProcess run) {
            logger.info("container {}: stopping with {}", internalId, stopCommand != null ? "its stop command" : "SIGTERM");
            return run.stop(stopCommand, timeout);
        }
        return CompletableFuture.completedFuture(null);
    }

    /** Signals the whole process group of the container's run; completes at once when none runs. */
    @Override
    public CompletableFuture<Void> signal(String internalId, io.lightd.runtime.StopSignal signal) {
        if (children.get(internalId) instanceof ServerProcess run) {
            logger.info("container {}: sending {} to its process group", internalId, signal.name());
            return run.signalWhenLaunched(Signal.valueOf(signal.shortName()));
        }
        return CompletableFuture.completedFuture(null);
    }

    /** Kills the whole process group of the container's run or install; completes at once when there is none. */
    @Override
    public CompletableFuture<Void> kill(String internalId) {
        ChildProcess child = children.get(internalId);
        if (child == null) {
            return CompletableFuture.completedFuture(null);
        }
        logger.info("container {}: killing its {} process group", internalId, child.kind());
        return child.signalWhenLaunched(Signal.KILL);
    }

    /** Fails with {@link IllegalStateException} when the container is not running. */
    @Override
    public CompletableFuture<Void> writeStdin(String internalId, byte[] data) {
        if (children.get(internalId) instanceof ServerProcess run) {
            return run.writeStdin(data);
        }
        return CompletableFuture.failedFuture(new IllegalStateException("container " + internalId + " is not running"));
    }

    /** Kills what runs for the container and completes once it has ended; the volume and the log stay. */
    @Override
    public CompletableFuture<Void> remove(String internalId) {
        ChildProcess child = children.get(internalId);
        CompletableFuture<Void> gone = child == null
                ? CompletableFuture.completedFuture(null)
                : child.signalWhenLaunched(Signal.KILL).handle((ok, failed) -> null)
                        .thenCompose(signalled -> child.ended.handle((exitCode, failed) -> null));
        // The log belongs to the runtime's container, as an engine's log does: it goes with it.
        return gone.thenCompose(ended -> blocking.submit(() -> {
            OutputLog log = outputLog(internalId);
            outputLogs.remove(internalId, log);
            log.delete();
            return null;
        }));
    }

    @Override
    public CompletableFuture<byte[]> logTail(String internalId, int maxBytes) {
        return blocking.submit(() -> outputLog(internalId).tail(maxBytes));
    }

    @Override
    public CompletableFuture<Set<String>> listRunning() {
        Set<String> running = children.values().stream()
                .filter(child -> child instanceof ServerProcess && child.isAlive())
                .map(child -> child.id)
                .collect(Collectors.toUnmodifiableSet());
        return CompletableFuture.completedFuture(running);
    }

    /**
     * Kills every process group this runtime started (their exits are still reported on loops that
     * run) and stops taking work. Blocks briefly for one {@code kill}: at daemon shutdown the JVM may
     * exit right after, and orphans must not survive it.
     */
    @Override
    public void close() {
        synchronized (launchLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        List<ChildProcess> launched = new ArrayList<>();
        for (ChildProcess child : children.values()) {
            if (child.launched.isDone() && !child.launched.isCompletedExceptionally()) {
                launched.add(child);
            }
        }
        if (!launched.isEmpty()) {
            logger.info("process runtime closing: killing {} process group(s)", launched.size());
            launched.forEach(ChildProcess::destroyLeader);
            ProcessGroups.signal(launched.stream().map(ChildProcess::processGroup).toList(), Signal.KILL);
        }
        synchronized (this) {
            if (statsSampler != null) {
                statsSampler.close();
            }
        }
        blocking.shutdown();
    }

    /** The batched stats sampler of every server, made on first use with {@code loop} as its timer's loop. */
    private synchronized StatsSampler<ProcessGroups.Scan> statsSampler(EventExecutor loop) {
        if (statsSampler == null) {
            statsSampler = new StatsSampler<>(loop, blocking, StatsSampler.DEFAULT_WATCHED_INTERVAL, idleStatsInterval,
                    ProcessGroups.Scan::take);
            logger.info("process runtime: stats from /proc, batched: watched servers every {} ms, others every {} ms",
                    StatsSampler.DEFAULT_WATCHED_INTERVAL.toMillis(), idleStatsInterval.toMillis());
            watchedBeforeSampler.forEach(id -> statsSampler.setWatched(id, true));
            watchedBeforeSampler.clear();
        }
        return statsSampler;
    }

    /**
     * Batches of stats samples taken so far (for tests and metrics). Any thread.
     *
     * @return the number of sampling batches run since the first start; 0 before it
     */
    public synchronized long statsBatches() {
        return statsSampler == null ? 0 : statsSampler.batches();
    }

    @Override
    public synchronized long statsSamples() {
        return statsSampler == null ? 0 : statsSampler.samples();
    }

    @Override
    public synchronized void statsDemand(String internalId, boolean watched) {
        if (statsSampler != null) {
            statsSampler.setWatched(internalId, watched);
        } else if (watched) {
            watchedBeforeSampler.add(internalId);
        } else {
            watchedBeforeSampler.remove(internalId);
        }
    }

    /** Gives {@code child} its container's place: null when it got it, else why not. */
    private IllegalStateException admit(ChildProcess child) {
        if (closed) {
            return new IllegalStateException("the process runtime is closed");
        }
        ChildProcess busy = children.putIfAbsent(child.id, child);
        if (busy == null) {
            return null;
        }
        String why = busy instanceof ServerProcess ? " is already running" : " is installing";
        return new IllegalStateException("container " + child.id + why);
    }

    private void launchUnlessClosed(ChildProcess child, List<String> command, Path volume, Map<String, String> env,
                                    String pumpThreadName, boolean terminal) throws IOException {
        synchronized (launchLock) {
            if (closed) {
                throw new IllegalStateException("the process runtime is closed");
            }
            child.launch(command, volume, env, outputLog(child.id), allocator, pumpThreadName, terminal);
        }
    }

    private Map<String, String> environment(ContainerSpec spec, Path volume) {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", childPath);
        env.put("HOME", volume.toString());
        env.putAll(spec.env());
        return env;
    }

    /** The volume folder of {@code internalId}, refusing ids that would name anything else. */
    private Path volume(String internalId) {
        Path volume = volumes.resolve(internalId).normalize();
        if (!volumes.equals(volume.getParent())) {
            throw new IllegalArgumentException("invalid internal id \"" + internalId + "\"");
        }
        return volume;
    }

    private OutputLog outputLog(String internalId) {
        return outputLogs.computeIfAbsent(internalId, id -> {
            Path file = logs.resolve(id + ".log").normalize();
            if (!logs.equals(file.getParent())) {
                throw new IllegalArgumentException("invalid internal id \"" + id + "\"");
            }
            return new OutputLog(file, logFileLimit);
        });
    }

    /**
     * {@code command} behind the signal reset: a daemon started with SIGINT or SIGHUP ignored
     * ({@code nohup}, {@code &} in a script) would otherwise pass the ignored disposition on, and a
     * server's {@code trap ... INT} would never be installed.
     */
    private List<String> withSignalsReset(String... command) {
        List<String> all = new java.util.ArrayList<>(signalReset);
        all.addAll(List.of(command));
        return all;
    }

    static String findExecutable(String name, String path) {
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
        }
        throw new IllegalStateException("the process runtime needs " + name + " (util-linux) on the PATH");
    }
}
