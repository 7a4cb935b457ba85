package io.lightd.runtime.stats;

import io.lightd.protocol.Stats;
import io.lightd.runtime.TimerGrid;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples the stats of every running container in batches: one timer on one event loop, and per
 * tick one task on the blocking executor that samples every container due and hands the samples to
 * their containers' loops, one task per loop. No task, stream or timer per container.
 *
 * <p>Sampling follows demand: a container someone watches (its console has at least one subscriber,
 * see {@link #setWatched}) is due every {@code watchedInterval}; one nobody watches every
 * {@code idleInterval}, which still feeds metrics and limit checks. A container that becomes watched
 * is sampled at once, in a batch of its own, so a new subscriber gets a fresh sample rather than the
 * last idle one.
 *
 * <p>A container is never in two batches at once. Thread-safe: {@link #register}, {@link #unregister}
 * and {@link #setWatched} may be called from any thread; samples are delivered on the loop given at
 * registration, never after {@link #unregister} has run on that loop.
 *
 * @param <B> what one batch shares (see {@link StatsSource})
 */
public final class StatsSampler<B> implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StatsSampler.class);

    /** How often a watched container is sampled. */
    public static final Duration DEFAULT_WATCHED_INTERVAL = Duration.ofSeconds(1);

    /**
     * How often a container nobody watches is sampled, in ms: the default of the daemon's
     * {@code stats.idle_interval_ms}. A compile-time constant, so that reading it does not load this
     * class (and start logging, which the daemon's token commands must not).
     */
    public static final int DEFAULT_IDLE_INTERVAL_MS = 10_000;

    /** {@link #DEFAULT_IDLE_INTERVAL_MS} as a duration. */
    public static final Duration DEFAULT_IDLE_INTERVAL = Duration.ofMillis(DEFAULT_IDLE_INTERVAL_MS);

    private final Executor blocking;
    private final Supplier<B> batchOpener;
    private final long watchedNanos;
    private final long idleNanos;
    private final Map<String, Target<B>> targets = new ConcurrentHashMap<>();
    /** Watched ids, kept apart from registrations: a console may open before its container runs. */
    private final Set<String> watched = ConcurrentHashMap.newKeySet();
    private final ScheduledFuture<?> ticker;
    private final LongAdder batches = new LongAdder();
    private final LongAdder samples = new LongAdder();

    /**
     * Starts the timer.
     *
     * @param tickLoop        the loop that runs the timer (a tick only picks who is due: microseconds)
     * @param blocking        the bounded executor the batches run on
     * @param watchedInterval sampling interval of a watched container (the tick), positive
     * @param idleInterval    sampling interval of a container nobody watches, at least {@code watchedInterval}
     * @param batchOpener     opens what one batch shares, on the blocking executor (may return null)
     */
    public StatsSampler(EventExecutor tickLoop, Executor blocking, Duration watchedInterval, Duration idleInterval,
                        Supplier<B> batchOpener) {
        this.blocking = Objects.requireNonNull(blocking, "blocking");
        this.batchOpener = Objects.requireNonNull(batchOpener, "batchOpener");
        this.watchedNanos = watchedInterval.toNanos();
        this.idleNanos = idleInterval.toNanos();
        if (watchedNanos <= 0 || idleNanos < watchedNanos) {
            throw new IllegalArgumentException("intervals: watched " + watchedInterval + ", idle " + idleInterval
                    + " (expected 0 < watched <= idle)");
        }
        // On the timer grid: the tick shares its loop's wake-up with the pings and disk checks due then.
        this.ticker = tickLoop.scheduleAtFixedRate(this::tick,
                TimerGrid.delayToStep(tickLoop.ticker().nanoTime(), watchedNanos), watchedNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Samples {@code source} from now on as container {@code id}, handing each sample to {@code sink}
     * on {@code loop}; replaces an earlier registration of the id. Its first sample comes with the
     * next tick, watched or not, so every running container has stats within a tick.
     *
     * @param id     the container's {@code internal_id}
     * @param source what to sample; called on the blocking executor, one batch at a time
     * @param loop   where {@code sink} is called (the container's event loop)
     * @param sink   receives each sample that is not null
     */
    public void register(String id, StatsSource<B> source, EventExecutor loop, Consumer<Stats> sink) {
        Target<B> target = new Target<>(id, source, loop, sink, System.nanoTime() - idleNanos);
        Target<B> previous = targets.put(id, target);
        if (previous != null) {
            previous.closed = true;
        }
    }

    /**
     * Stops sampling {@code source} (when it is still the one registered for {@code id}). Any thread.
     *
     * @param id     the container's {@code internal_id}
     * @param source the source given to {@link #register}; a later registration of the id is left alone
     */
    public void unregister(String id, StatsSource<B> source) {
        Target<B> target = targets.get(id);
        if (target != null && target.source == source && targets.remove(id, target)) {
            target.closed = true;
        }
    }

    /**
     * Whether someone watches container {@code id} (its console has subscribers). Becoming watched
     * samples it at once, unless its last sample is younger than the watched interval. Any thread; may
     * come before the container is registered.
     *
     * @param id        the container's {@code internal_id}
     * @param isWatched true when its console has at least one subscriber, false when none is left
     */
    public void setWatched(String id, boolean isWatched) {
        if (!isWatched) {
            watched.remove(id);
            return;
        }
        if (watched.add(id)) {
            Target<B> target = targets.get(id);
            // A sample younger than a tick is as fresh as a watched container's, and the console gets
            // it from its hub: no batch of its own, so that opening and closing a console over and
            // over cannot make the sampler read at will.
            if (target != null && System.nanoTime() - target.lastNanos >= watchedNanos
                    && target.inFlight.compareAndSet(false, true)) {
                runBatch(List.of(target));
            }
        }
    }

    /**
     * Containers registered now.
     *
     * @return the number of registrations
     */
    public int size() {
        return targets.size();
    }

    /**
     * Batches run since start (each is one task on the blocking executor).
     *
     * @return a counter that only grows
     */
    public long batches() {
        return batches.sum();
    }

    /**
     * Samples taken since start: calls of a source that returned (null included); a call that threw
     * is not counted.
     *
     * @return a counter that only grows
     */
    public long samples() {
        return samples.sum();
    }

    /** Stops the timer; batches already running finish, and deliver nothing more once unregistered. */
    @Override
    public void close() {
        ticker.cancel(false);
    }

    private void tick() {
        long now = System.nanoTime();
        // Half a tick of slack, so that an idle container is not pushed to the next tick by jitter.
        long slack = watchedNanos / 2;
        List<Target<B>> due = null;
        for (Target<B> target : targets.values()) {
            long interval = watched.contains(target.id) ? watchedNanos : idleNanos;
            if (now - target.lastNanos + slack >= interval && target.inFlight.compareAndSet(false, true)) {
                if (due == null) {
                    due = new ArrayList<>();
                }
                due.add(target);
            }
        }
        if (due != null) {
            runBatch(due);
        }
    }

    private void runBatch(List<Target<B>> due) {
        try {
            blocking.execute(() -> sampleAll(due));
        } catch (RejectedExecutionException e) {
            log.debug("stats batch of {} containers refused by the blocking executor", due.size());
            for (Target<B> target : due) {
                target.inFlight.set(false);
            }
        }
    }

    /** On the blocking executor. */
    private void sampleAll(List<Target<B>> due) {
        batches.increment();
        B batch = null;
        try {
            batch = batchOpener.get();
        } catch (RuntimeException e) {
            log.debug("stats batch cannot start: {}", e.toString());
        }
        long now = System.nanoTime();
        // Samples are handed over per loop, one task for all of a loop's containers: a tick wakes
        // each loop once, not once per container.
        Map<EventExecutor, List<Sampled<B>>> byLoop = new IdentityHashMap<>();
        for (Target<B> target : due) {
            Stats sample = null;
            try {
                if (!target.closed) {
                    sample = target.source.sample(batch, now);
                    samples.increment();
                }
            } catch (Exception e) {
                if (target.failureLogged) {
                    log.debug("container {}: stats sample failed: {}", target.id, e.toString());
                } else {
                    // Once per registration: a container whose stats cannot be read stays so, and a
                    // line per sample would flood the log.
                    target.failureLogged = true;
                    log.warn("{}: cannot read its stats ({}); it reports none until it restarts", target.id,
                            e.toString());
                }
            } finally {
                target.lastNanos = now;
                target.inFlight.set(false);
            }
            if (sample != null) {
                byLoop.computeIfAbsent(target.loop, loop -> new ArrayList<>()).add(new Sampled<>(target, sample));
            }
        }
        byLoop.forEach(StatsSampler::deliver);
    }

    private static <B> void deliver(EventExecutor loop, List<Sampled<B>> samples) {
        try {
            loop.execute(() -> {
                for (Sampled<B> sampled : samples) {
                    if (!sampled.target.closed) {
                        try {
                            sampled.target.sink.accept(sampled.stats);
                        } catch (RuntimeException e) {
                            // One container's failure must not keep the others of its loop from theirs.
                            log.warn("{}: its stats sample could not be taken in: {}", sampled.target.id, e.toString());
                        }
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            // The containers' loop is gone, and whoever wanted the samples with it.
        }
    }

    /** A sample on its way to its container's loop. */
    private record Sampled<B>(Target<B> target, Stats stats) {
    }

    /** One registered container. */
    private static final class Target<B> {
        final String id;
        final StatsSource<B> source;
        final EventExecutor loop;
        final Consumer<Stats> sink;
        final AtomicBoolean inFlight = new AtomicBoolean();
        volatile long lastNanos;
        volatile boolean closed;
        /** A failed sample was logged at WARN; later failures go to debug. Written by the batch's thread. */
        volatile boolean failureLogged;

        Target(String id, StatsSource<B> source, EventExecutor loop, Consumer<Stats> sink, long lastNanos) {
            this.id = id;
            this.source = source;
            this.loop = loop;
            this.sink = sink;
            this.lastNanos = lastNanos;
        }
    }
}
