package io.lightd.runtime;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one way lightd makes a pool for blocking work (docker-java calls that wait for an answer, file
 * system walks, registry writes, process I/O), since nothing blocking may run on an event loop. Every
 * pool is small and bounded twice: at most {@code threads} threads, at most {@code queueSize} waiting
 * tasks. A task beyond that is refused at once with {@link RejectedExecutionException}, so a caller
 * (often an event loop) is never blocked by a full pool. Threads are daemon threads from Netty's
 * {@link DefaultThreadFactory}, named {@code <name>-<pool>-<n>} in thread dumps, and end after
 * {@code idleTimeout} without work, so a pool rarely used holds no thread.
 */
public final class BoundedExecutors {

    private BoundedExecutors() {
    }

    /**
     * A new bounded pool; shut it down (or let its idle threads end) when its owner closes.
     *
     * @param name        the thread name prefix, e.g. {@code lightd-blocking}
     * @param threads     the most threads, at least 1
     * @param queueSize   the most tasks waiting for a thread, at least 1; more are refused
     * @param idleTimeout how long a thread without work lives on, more than 0
     * @throws IllegalArgumentException when a bound is out of range
     */
    public static ThreadPoolExecutor newBoundedExecutor(String name, int threads, int queueSize, Duration idleTimeout) {
        if (threads < 1 || queueSize < 1 || idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("bounded executor " + name + " needs threads >= 1, queue >= 1 and a "
                    + "positive idle timeout, got " + threads + ", " + queueSize + ", " + idleTimeout);
        }
        ThreadPoolExecutor executor = new ThreadPoolExecutor(threads, threads, idleTimeout.toNanos(),
                TimeUnit.NANOSECONDS, new ArrayBlockingQueue<>(queueSize), new DefaultThreadFactory(name, true));
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }
}
