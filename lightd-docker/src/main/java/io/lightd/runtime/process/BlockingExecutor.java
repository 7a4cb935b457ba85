package io.lightd.runtime.process;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small, bounded pool of daemon threads for blocking work, handing results back as futures.
 * Idle threads end after a while, so a pool that is rarely used holds no threads.
 *
 * <p>Never blocks a caller: when the queue is full or the pool is shut down, {@link #submit}
 * returns a future failed with {@link RejectedExecutionException} instead. Thread-safe.
 */
final class BlockingExecutor implements Executor {

    private static final long KEEP_ALIVE_SECONDS = 10;

    private final ThreadPoolExecutor pool;

    /**
     * @param threadNamePrefix threads are named this plus a counter
     * @param threads          at most this many threads
     * @param queueSize        at most this many tasks wait; more are rejected
     */
    BlockingExecutor(String threadNamePrefix, int threads, int queueSize) {
        AtomicInteger counter = new AtomicInteger();
        pool = new ThreadPoolExecutor(threads, threads, KEEP_ALIVE_SECONDS, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(queueSize), task -> {
                    Thread thread = new Thread(task, threadNamePrefix + counter.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        pool.allowCoreThreadTimeOut(true);
    }

    /** Runs {@code task} on the pool; the future completes with its result or its exception. */
    <T> CompletableFuture<T> submit(Callable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            pool.execute(() -> {
                try {
                    result.complete(task.call());
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(e);
        }
        return result;
    }

    /** Runs {@code task} on the pool, for callers that want no result. */
    CompletableFuture<Void> run(BlockingTask task) {
        return submit(() -> {
            task.run();
            return null;
        });
    }

    /** Throws {@link RejectedExecutionException} when the task cannot be queued. */
    @Override
    public void execute(Runnable task) {
        pool.execute(task);
    }

    /** Takes no new tasks; queued ones still run, so no future handed out is left hanging. */
    void shutdown() {
        pool.shutdown();
    }

    /** Blocking work that may throw. */
    @FunctionalInterface
    interface BlockingTask {
        void run() throws Exception;
    }
}
