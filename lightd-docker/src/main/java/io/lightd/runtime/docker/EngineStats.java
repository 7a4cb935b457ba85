package io.lightd.runtime.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Statistics;
import io.lightd.protocol.Stats;
import io.lightd.runtime.stats.CgroupLayout;
import io.lightd.runtime.stats.CgroupStats;
import io.lightd.runtime.stats.StatsSampler;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the Docker runtime's resource stats come from, chosen once per node at construction and
 * logged: with a local engine and a cgroup layout found on the host, each running container's cgroup
 * and {@code /proc/<pid>/net/dev}, read by one batched {@link StatsSampler} (a watched container every
 * {@link StatsSampler#DEFAULT_WATCHED_INTERVAL}, others every idle interval); else (a remote engine,
 * another layout, cgroup reading turned off) one docker-java stats stream per running container,
 * re-opened after a loss or {@link #SILENCE_LIMIT} of silence and mapped by {@link StatsMapper}.
 *
 * <p>Threads: every method may be called from any thread; samples are delivered on the loop given
 * with the container ({@link #register}) or on the stream's loop.
 */
final class EngineStats {

    private static final Logger log = LoggerFactory.getLogger(EngineStats.class);

    /** A stats stream silent this long is re-opened. */
    static final Duration SILENCE_LIMIT = Duration.ofSeconds(15);

    private final EngineCalls engine;
    private final EventLoopGroup group;
    /** Where the kernel keeps the containers' cgroups, or null: stats then come from the engine's streams. */
    private final CgroupLayout cgroups;
    /** Samples every running container from its cgroup in batches; null when {@link #cgroups} is. */
    private final StatsSampler<Void> sampler;
    private final long hostMemory = CgroupLayout.hostMemoryBytes();
    private final LongAdder cgroupOpenFailures = new LongAdder();
    private final LongAdder streamReopens;

    /**
     * @param engine            the engine calls
     * @param group             the server's event loop group (the sampler ticks on one of its loops)
     * @param idleStatsInterval the sampling interval of containers nobody watches (cgroup reading only)
     * @param cgroupLayout      the host's cgroup layout, or null to read the engine's stats streams
     * @param why               why there is no layout, for the log line (ignored with one)
     * @param streamReopens     counts each re-open of a stats stream after a loss
     */
    EngineStats(EngineCalls engine, EventLoopGroup group, Duration idleStatsInterval, CgroupLayout cgroupLayout,
                String why, LongAdder streamReopens) {
        this.engine = engine;
        this.group = group;
        this.cgroups = cgroupLayout;
        this.streamReopens = streamReopens;
        if (cgroups != null) {
            this.sampler = new StatsSampler<>(group.next(), engine.blocking(), StatsSampler.DEFAULT_WATCHED_INTERVAL,
                    idleStatsInterval, () -> null);
            log.info("stats: read from the containers' cgroups ({}), batched: watched containers every {} ms, "
                    + "others every {} ms", cgroups, StatsSampler.DEFAULT_WATCHED_INTERVAL.toMillis(),
                    idleStatsInterval.toMillis());
        } else {
            this.sampler = null;
            log.info("stats: one engine stats stream per running container ({})", why);
        }
    }

    /** True when stats come from the cgroups, false when from one engine stream per container. */
    boolean readsCgroups() {
        return sampler != null;
    }

    /**
     * The stats stream of a container (only when stats do not come from the cgroups), not yet started:
     * its channel lives on {@code channelLoop} when that is a loop of the server's group (else on any
     * of its loops); each sample goes to {@code sink} on the stream's loop.
     */
    ReopeningStream stream(String internalId, String containerName, EventLoop channelLoop, Consumer<Stats> sink) {
        EventLoop loop = channelLoop != null ? channelLoop : group.next();
        AtomicReference<ReopeningStream> self = new AtomicReference<>();
        ReopeningStream stream = new ReopeningStream("stats of " + internalId, loop, engine.blocking(), engine::engine,
                client -> client.factory().openStream(channelLoop, () -> client.docker()
                        .statsCmd(containerName)
                        .exec(new StreamCallback<Statistics>() {
                            @Override
                            public void onNext(Statistics statistics) {
                                self.get().dataArrived();
                                sink.accept(StatsMapper.map(statistics));
                            }
                        })),
                SILENCE_LIMIT, streamReopens);
        self.set(stream);
        return stream;
    }

    /**
     * Opens the cgroup stats of a container that runs (only when {@link #readsCgroups}): inspects it
     * for its process and finds that process's cgroup ({@code /proc/<pid>/cgroup}). Completes on any
     * thread; fails when the engine cannot be asked (an error answer, a timeout), the container has no
     * process, or its cgroup's files cannot be read (the caller tries again).
     */
    CompletableFuture<CgroupStats> open(String internalId, String containerName) {
        return engine.call(internalId, docker -> {
            InspectContainerResponse inspected = docker.inspectContainerCmd(containerName).exec();
            Long pid = inspected.getState().getPidLong();
            if (pid == null || pid <= 0) {
                throw new IllegalStateException("the container has no process");
            }
            // In the host's network namespace the container has no interface of its own: /proc/<pid>/net/dev
            // would be the host's traffic. The engine reports none there (no endpoint), and so does lightd.
            String networkMode = inspected.getHostConfig() == null ? null : inspected.getHostConfig().getNetworkMode();
            Path netDev = "host".equals(networkMode) ? null : Path.of("/proc", pid.toString(), "net", "dev");
            try {
                return new CgroupStats(cgroups.of(pid), netDev, hostMemory);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).whenComplete((source, error) -> {
            if (error != null) {
                cgroupOpenFailures.increment();
            }
        });
    }

    /** Samples {@code source} for {@code internalId} with the batched sampler; samples go to {@code sink} on {@code loop}. */
    void register(String internalId, CgroupStats source, EventExecutor loop, Consumer<Stats> sink) {
        sampler.register(internalId, source, loop, sink);
    }

    /** Stops sampling {@code source} and closes its files. */
    void unregister(String internalId, CgroupStats source) {
        sampler.unregister(internalId, source);
        source.close();
    }

    /** Samples {@code internalId} at the watched interval while {@code watched}, else at the idle one (cgroups only). */
    void setWatched(String internalId, boolean watched) {
        if (sampler != null) {
            sampler.setWatched(internalId, watched);
        }
    }

    /** Failed tries to find a running container's cgroup. */
    long cgroupOpenFailures() {
        return cgroupOpenFailures.sum();
    }

    /** Batches the cgroup sampler ran: 0 when stats come from engine streams. */
    long batches() {
        return sampler == null ? 0 : sampler.batches();
    }

    /** Samples the cgroup sampler took: 0 when stats come from engine streams. */
    long samples() {
        return sampler == null ? 0 : sampler.samples();
    }

    /** Stops the sampler. */
    void close() {
        if (sampler != null) {
            sampler.close();
        }
    }
}
