package io.lightd.runtime.process;

import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;

/**
 * Writes to one process's stdin in call order without blocking callers. The writes run on a single
 * thread of this writer's own ({@code lightd-process-in-<id>-N}, started on the first write and
 * ended when idle), so a process that stops reading its stdin stalls only its own commands, never the
 * runtime's shared executor.
 *
 * <p>Thread-safe: {@link #write} from any thread. Once the process has exited its stdin is closed
 * and pending writes fail.
 */
final class StdinWriter {

    /** Commands queued behind a process that does not read them; more are refused. */
    static final int MAX_PENDING_WRITES = 1024;

    private final OutputStream stdin;
    private final BlockingExecutor writer;

    StdinWriter(String containerId, OutputStream stdin) {
        this.stdin = stdin;
        this.writer = new BlockingExecutor("lightd-process-in-" + containerId, 1, MAX_PENDING_WRITES);
    }

    /** Queues {@code data}; the future completes once it was written and flushed to the pipe. */
    CompletableFuture<Void> write(byte[] data) {
        return writer.run(() -> {
            stdin.write(data);
            stdin.flush();
        });
    }

    /** Takes no more writes; queued ones still run (and fail once the process is gone). */
    void close() {
        writer.shutdown();
    }
}
