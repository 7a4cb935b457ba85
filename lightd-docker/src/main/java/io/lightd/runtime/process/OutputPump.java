package io.lightd.runtime.process;

import io.lightd.runtime.OutputListener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the merged stdout and stderr of one process, as it comes, to the container's output log and
 * to a listener on an event loop.
 *
 * <p>{@link #run} blocks reading the pipe, so it runs on a thread of its own: one per process, which
 * suits a development runtime of a few servers. What it reads is appended to one pending buffer, and
 * one task on the loop hands the whole of it to the listener: however many reads happened while the
 * loop was busy, the loop gets one task and the listener one chunk for them. A process that writes
 * one line per write therefore costs the loop one hand-off per loop turn, not one per line, and the
 * loop's queue never holds a backlog of small chunks for later output (an echoed command) to wait
 * behind. At most {@link #MAX_PENDING_BYTES} wait for the loop; beyond that the pump stops reading
 * and the process blocks on its full pipe, as it would writing to a slow terminal.
 *
 * <p>Threads: {@link #run} on the pump's own thread; the listener on {@code loop}. Each chunk is a
 * new buffer that the listener owns and releases; pending bytes the loop refuses (it shut down) are
 * released here.
 */
final class OutputPump {

    private static final Logger logger = LoggerFactory.getLogger(OutputPump.class);

    /** The most bytes read and logged at once. */
    static final int CHUNK_SIZE = 8192;

    /**
     * What a read asks for after a read that brought less than this (see {@link #run}): more than a
     * console line, far less than a chunk.
     */
    static final int SMALL_READ_BYTES = 1024;

    /** Bytes read and not yet taken by the loop, beyond which the pump waits before reading more. */
    static final int MAX_PENDING_BYTES = 256 * 1024;

    private final String containerId;
    private final InputStream output;
    private final OutputLog log;
    private final ByteBufAllocator allocator;
    private final EventExecutor loop;
    private final OutputListener listener;
    private final Runnable handOff = this::handOff;

    /** Output read and not yet handed to the listener; null when none. Guarded by {@code this}. */
    private ByteBuf pending;
    /** Whether a hand-off task is queued on the loop and has not yet taken {@link #pending}. Guarded by {@code this}. */
    private boolean handOffQueued;
    /** Set once the loop refused a task: output is only logged from then on. Guarded by {@code this}. */
    private boolean loopGone;

    // Touched only by the pump's thread.
    private boolean logBroken;

    OutputPump(String containerId, InputStream output, OutputLog log, ByteBufAllocator allocator,
               EventExecutor loop, OutputListener listener) {
        this.containerId = containerId;
        this.output = output;
        this.log = log;
        this.allocator = allocator;
        this.loop = loop;
        this.listener = listener;
    }

    /**
     * Pumps until the end of the output: every process holding the pipe has closed it, or the runtime
     * closed the stream. Output reaches the loop in the order read, and the hand-off of the last bytes
     * is queued before this returns, so a task the caller hands to the loop afterwards runs after the
     * listener has seen all of it.
     */
    void run() {
        byte[] buffer = new byte[CHUNK_SIZE];
        try {
            int request = SMALL_READ_BYTES;
            int read;
            while ((read = output.read(buffer, 0, request)) >= 0) {
                if (read > 0) {
                    appendToLog(buffer, read);
                    deliver(buffer, read);
                }
                // Output that comes fast (a read brought a small request's worth or more) is read in
                // whole chunks; output that trickles (a line per write) with small requests, because
                // pty4j's stream allocates a new array of the requested length for every read: at 500
                // lines a second, 8 KiB requests made 4 MB/s of garbage, a young collection every few
                // seconds.
                request = read >= SMALL_READ_BYTES ? CHUNK_SIZE : SMALL_READ_BYTES;
            }
        } catch (IOException e) {
            // The stream was closed under the pump (the JVM does so once the process is gone and
            // reaped): there is nothing more to read.
            logger.debug("output of container {} ended: {}", containerId, e.toString());
        }
    }

    private void appendToLog(byte[] buffer, int length) {
        if (logBroken) {
            return;
        }
        try {
            log.append(buffer, 0, length);
        } catch (IOException e) {
            // Keep the console going without the log rather than stall the process.
            logBroken = true;
            logger.warn("container {}: cannot write its output log, continuing without it: {}", containerId, e.toString());
        }
    }

    /** Appends to the pending output, queues a hand-off unless one is queued, and waits while too much is pending. */
    private void deliver(byte[] buffer, int length) {
        boolean queue;
        synchronized (this) {
            if (loopGone) {
                return;
            }
            while (pending != null && pending.readableBytes() >= MAX_PENDING_BYTES && !loopGone) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (loopGone) {
                return;
            }
            if (pending == null) {
                pending = allocator.buffer(Math.max(length, CHUNK_SIZE));
            }
            pending.writeBytes(buffer, 0, length);
            queue = !handOffQueued;
            handOffQueued = true;
        }
        if (queue) {
            try {
                loop.execute(handOff);
            } catch (RejectedExecutionException e) {
                synchronized (this) {
                    loopGone = true;
                    handOffQueued = false;
                    if (pending != null) {
                        pending.release();
                        pending = null;
                    }
                    notifyAll();
                }
                logger.debug("container {}: event loop refused output, only logging it from now on", containerId);
            }
        }
    }

    /** On the loop: takes everything pending and hands it to the listener as one chunk. */
    private void handOff() {
        ByteBuf chunk;
        synchronized (this) {
            chunk = pending;
            pending = null;
            handOffQueued = false;
            notifyAll();
        }
        if (chunk == null) {
            return;
        }
        try {
            listener.onOutput(chunk);
        } catch (Throwable t) {
            logger.warn("container {}: output listener failed", containerId, t);
        }
    }
}
