package io.lightd.runtime.docker;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one long-lived docker-java stream (stats of a container, the engine's events) open:
 * opens it through the blocking executor, watches its channel, and when the channel closes, the
 * open fails, or (with a silence limit) no data came for that long, opens it again after a
 * doubling backoff (0.5 s up to a maximum, 30 s unless given, reset by data). docker-java itself
 * reports none of these. An optional {@link Watcher} hears each successful open and each failed
 * one, and every open after the first adds one to a counter shared by the runtime's streams.
 * {@link #close} ends it for good and closes the channel.
 *
 * <p>State is confined to {@code loop}; {@link #start}, {@link #close} and {@link #dataArrived}
 * may be called from any thread.
 */
final class ReopeningStream {

    private static final Logger log = LoggerFactory.getLogger(ReopeningStream.class);
    private static final long FIRST_BACKOFF_MILLIS = 500;
    private static final long MAX_BACKOFF_MILLIS = 30_000;

    /** Opens the stream on the calling (blocking) thread and returns its channel. */
    interface Opener {
        Channel open(EngineClient engine) throws Exception;
    }

    /** Hears how opening goes; called on the stream's loop. */
    interface Watcher {
        /** The stream is open (again). */
        void opened();

        /** The open stream ended by itself; another attempt follows after the backoff. */
        void lost();

        /** An open failed; another attempt follows after the backoff. */
        void openFailed(Throwable cause);
    }

    private final String name;
    private final EventLoop loop;
    private final Executor blocking;
    private final Supplier<CompletableFuture<EngineClient>> engine;
    private final Opener opener;
    private final long silenceNanos;
    private final long maxBackoffMillis;
    private final Watcher watcher;
    private final LongAdder reopens;
    private final CompletableFuture<Void> firstAttempt = new CompletableFuture<>();

    private volatile long lastDataNanos = System.nanoTime() - TimeUnit.DAYS.toNanos(1);
    private long openedNanos;
    private boolean everOpened;
    private Channel channel;
    private boolean started;
    private boolean closed;
    private boolean opening;
    private long backoffMillis = FIRST_BACKOFF_MILLIS;
    private ScheduledFuture<?> retry;
    private ScheduledFuture<?> watchdog;

    ReopeningStream(String name, EventLoop loop, Executor blocking, Supplier<CompletableFuture<EngineClient>> engine,
                    Opener opener, Duration silenceLimit, LongAdder reopens) {
        this(name, loop, blocking, engine, opener, silenceLimit, Duration.ofMillis(MAX_BACKOFF_MILLIS), null, reopens);
    }

    /**
     * @param maxBackoff the longest wait between two attempts
     * @param watcher    told about each open and each failed open, or null
     * @param reopens    counts each successful open after the first
     */
    ReopeningStream(String name, EventLoop loop, Executor blocking, Supplier<CompletableFuture<EngineClient>> engine,
                    Opener opener, Duration silenceLimit, Duration maxBackoff, Watcher watcher, LongAdder reopens) {
        this.name = name;
        this.loop = loop;
        this.blocking = blocking;
        this.engine = engine;
        this.opener = opener;
        this.silenceNanos = silenceLimit == null ? 0 : silenceLimit.toNanos();
        this.maxBackoffMillis = Math.max(FIRST_BACKOFF_MILLIS, maxBackoff.toMillis());
        this.watcher = watcher;
        this.reopens = reopens;
    }

    /** Opens the stream unless already started; the returned future completes after the first attempt. */
    CompletableFuture<Void> start() {
        onLoop(() -> {
            if (started || closed) {
                return;
            }
            started = true;
            if (silenceNanos > 0) {
                long period = Math.max(silenceNanos / 3, TimeUnit.MILLISECONDS.toNanos(100));
                watchdog = loop.scheduleAtFixedRate(this::checkSilence, period, period, TimeUnit.NANOSECONDS);
            }
            open();
        });
        return firstAttempt;
    }

    /** Data came: the stream is alive (resets the backoff and the silence clock). Any thread. */
    void dataArrived() {
        lastDataNanos = System.nanoTime();
    }

    /**
     * Opens the stream now when it is waiting for its next attempt (the engine is known to answer
     * again), with the backoff reset; does nothing when it is open or opening. Any thread.
     */
    void reopenNow() {
        onLoop(() -> {
            if (closed || !started || opening || channel != null) {
                return;
            }
            cancel(retry);
            backoffMillis = FIRST_BACKOFF_MILLIS;
            open();
        });
    }

    void close() {
        onLoop(() -> {
            closed = true;
            cancel(retry);
            cancel(watchdog);
            if (channel != null) {
                channel.close();
                channel = null;
            }
            firstAttempt.complete(null);
        });
    }

    private void open() {
        if (closed || opening || channel != null) {
            return;
        }
        opening = true;
        engine.get()
                .thenApplyAsync(client -> {
                    try {
                        return opener.open(client);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, blocking)
                .whenComplete((opened, error) -> loop.execute(() -> opened(opened, error)));
    }

    private void opened(Channel opened, Throwable error) {
        opening = false;
        firstAttempt.complete(null);
        if (error != null) {
            log.debug("{}: open failed: {}", name, error.toString());
            if (watcher != null && !closed) {
                watcher.openFailed(error);
            }
            scheduleRetry();
            return;
        }
        if (closed) {
            opened.close();
            return;
        }
        channel = opened;
        openedNanos = System.nanoTime();
        if (everOpened) {
            reopens.increment();
        }
        everOpened = true;
        opened.closeFuture().addListener(f -> onLoop(() -> lost(opened)));
        if (watcher != null) {
            watcher.opened();
        }
    }

    private void lost(Channel lostChannel) {
        if (channel != lostChannel) {
            return;
        }
        channel = null;
        if (!closed) {
            log.debug("{}: stream ended, reopening", name);
            if (watcher != null) {
                watcher.lost();
            }
            scheduleRetry();
        }
    }

    private void scheduleRetry() {
        if (closed) {
            return;
        }
        if (System.nanoTime() - lastDataNanos < TimeUnit.MILLISECONDS.toNanos(maxBackoffMillis)) {
            backoffMillis = FIRST_BACKOFF_MILLIS; // data came lately: the stream was healthy
        }
        long delay = backoffMillis;
        backoffMillis = Math.min(backoffMillis * 2, maxBackoffMillis);
        cancel(retry);
        retry = loop.schedule(this::open, delay, TimeUnit.MILLISECONDS);
    }

    private void checkSilence() {
        long now = System.nanoTime();
        if (channel != null && now - lastDataNanos > silenceNanos && now - openedNanos > silenceNanos) {
            log.info("{}: no data for {} ms, reopening", name, TimeUnit.NANOSECONDS.toMillis(silenceNanos));
            channel.close();
        }
    }

    private void onLoop(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            try {
                loop.execute(task);
            } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
                log.debug("{}: loop is shutting down", name);
            }
        }
    }

    private static void cancel(ScheduledFuture<?> future) {
        if (future != null) {
            future.cancel(false);
        }
    }
}
