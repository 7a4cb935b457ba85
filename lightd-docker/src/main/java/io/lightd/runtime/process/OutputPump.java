package io.lightd.runtime.process;

import io.lightd.runtime.OutputListener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the merged stdout and stderr of one process, as it comes, to the container's output log and
 * to a listener on an event loop, one buffer per read.
 *
 * <p>{@link #run} blocks reading the pipe, so it runs on a thread of its own: one per process, which
 * suits a development runtime of a few servers. At most {@link #MAX_CHUNKS_IN_FLIGHT} chunks wait on
 * the loop at once; when the loop falls behind, the pump stops reading and the process blocks on its
 * full pipe, as it would writing to a slow terminal, instead of the loop's queue growing without
 * bound.
 *
 * <p>Threads: {@link #run} on the pump's own thread; the listener on {@code loop}. Each chunk is a
 * new buffer that the listener owns and releases; a chunk the loop refuses (it shut down) is
 * released here.
 */
final class OutputPump {

    private static final Logger logger = LoggerFactory.getLogger(OutputPump.class);

    /** The most bytes read, logged and handed on at once. */
    static final int CHUNK_SIZE = 8192;

    /** Chunks handed to the loop and not yet taken by the listener. */
    static final int MAX_CHUNKS_IN_FLIGHT = 64;

    private final String containerId;
    private final InputStream output;
    private final OutputLog log;
    private final ByteBufAllocator allocator;
    private final EventExecutor loop;
    private final OutputListener listener;
    private final Semaphore inFlight = new Semaphore(MAX_CHUNKS_IN_FLIGHT);

    // Touched only by the pump's thread.
    private boolean logBroken;
    private boolean loopGone;

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
     * closed the stream. Chunks reach the loop in the order read, so a task the caller hands to the
     * loop afterwards runs after the last chunk.
     */
    void run() {
        byte[] buffer = new byte[CHUNK_SIZE];
        try {
            int read;
            while ((read = output.read(buffer)) >= 0) {
                if (read > 0) {
                    appendToLog(buffer, read);
                    deliver(buffer, read);
                }
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

    private void deliver(byte[] buffer, int length) {
        if (loopGone) {
            return;
        }
        inFlight.acquireUninterruptibly();
        ByteBuf chunk = allocator.buffer(length).writeBytes(buffer, 0, length);
        try {
            loop.execute(() -> {
                try {
                    listener.onOutput(chunk);
                } catch (Throwable t) {
                    logger.warn("container {}: output listener failed", containerId, t);
                } finally {
                    inFlight.release();
                }
            });
        } catch (RejectedExecutionException e) {
            chunk.release();
            inFlight.release();
            loopGone = true;
            logger.debug("container {}: event loop refused output, only logging it from now on", containerId);
        }
    }
}
