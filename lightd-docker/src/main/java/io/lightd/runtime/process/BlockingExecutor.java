package io.lightd.runtime.process;

import io.lightd.runtime.BoundedExecutors;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;

/**
 * A small, bounded pool of daemon threads for blocking work ({@link BoundedExecutors}), handing
 * results back as futures. Idle threads end after a while, so a pool that is rarely used holds no
 * threads.
 *
 * <p>Never blocks a caller: when the queue is full or the pool is shut down, {@link #submit}
 * returns a future failed with {@link RejectedExecutionException} instead. Thread-safe.
 */
final class BlockingExecutor implements Executor {

    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(10);

    private final ThreadPoolExecutor pool;

    /**
     * @param name      the threads' name prefix (see {@link BoundedExecutors})
     * @param threads   at most this many threads
     * @param queueSize at most this many tasks wait; more are rejected
     */
    BlockingExecutor(String name, int threads, int queueSize) {
        pool = BoundedExecutors.newBoundedExecutor(name, threads, queueSize, IDLE_TIMEOUT);
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
