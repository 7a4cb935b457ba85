package io.lightd.server.console;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Turns a process's raw output bytes into console text: UTF-8 decoded without ever splitting a
 * character (invalid bytes become U+FFFD), complete lines handed on at once, a trailing partial line
 * (a prompt) handed on after {@code flushDelay} without a newline. Blank lines and {@code \r} pass
 * unchanged. Confined to the container's event loop, which also times the partial flush.
 */
public final class ConsoleAssembler {

    /** A partial line longer than this goes out at once rather than waiting for the timer. */
    static final int MAX_PENDING_CHARS = 32 * 1024;

    /**
     * Pending text capacity kept between chunks; a burst that grew the buffer beyond this gives the
     * room back once its lines are handed on, so an idle server holds no burst-sized buffer (two
     * bytes a character once any text outside Latin-1 passed through it).
     */
    static final int KEPT_PENDING_CHARS = 1024;

    private final EventExecutor loop;
    private final long flushDelayNanos;
    private final Consumer<String> sink;
    private final StringBuilder pending = new StringBuilder();
    /** The first bytes of a character whose remaining bytes have not arrived yet (at most 3). */
    private final byte[] carry = new byte[3];
    private int carryLength;
    private ScheduledFuture<?> flushTimer;
    /** When output last came ({@code loop}'s ticker, ns): a partial line goes out once it has been quiet for the delay. */
    private long lastOutputNanos;

    /**
     * Creates an assembler for one container's output.
     *
     * @param loop       the container's event loop: every call comes on it, and it runs the flush timer
     * @param flushDelay how long a partial line waits for its newline before it is handed on anyway
     * @param unit       the unit of {@code flushDelay}
     * @param sink       receives the console text, on {@code loop}: complete lines with their newline,
     *                   or a partial line without one
     */
    public ConsoleAssembler(EventExecutor loop, long flushDelay, TimeUnit unit, Consumer<String> sink) {
        this.loop = loop;
        this.flushDelayNanos = unit.toNanos(flushDelay);
        this.sink = sink;
    }

    /**
     * Takes a chunk of output. On the loop.
     *
     * @param chunk raw output bytes (any split, even inside a UTF-8 character); read, not released:
     *              the caller keeps ownership
     */
    public void accept(ByteBuf chunk) {
        int readable = chunk.readableBytes();
        if (readable == 0) {
            return;
        }
        lastOutputNanos = loop.ticker().nanoTime();
        byte[] bytes = new byte[carryLength + readable];
        System.arraycopy(carry, 0, bytes, 0, carryLength);
        chunk.getBytes(chunk.readerIndex(), bytes, carryLength, readable);
        int complete = completeLength(bytes);
        carryLength = bytes.length - complete;
        System.arraycopy(bytes, complete, carry, 0, carryLength);
        if (complete > 0) {
            pending.append(new String(bytes, 0, complete, StandardCharsets.UTF_8));
        }
        int lastNewline = pending.lastIndexOf("\n");
        if (lastNewline >= 0) {
            sink.accept(pending.substring(0, lastNewline + 1));
            pending.delete(0, lastNewline + 1);
        }
        if (pending.length() >= MAX_PENDING_CHARS) {
            flush();
        } else {
            trimPending();
        }
        if (pending.length() > 0 && flushTimer == null) {
            flushTimer = loop.schedule(this::onFlushTimer, flushDelayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void trimPending() {
        if (pending.capacity() > KEPT_PENDING_CHARS && pending.length() <= KEPT_PENDING_CHARS / 2) {
            pending.trimToSize();
        }
    }

    /** Hands on whatever is pending now, including bytes of an unfinished character (as U+FFFD). */
    public void flushAll() {
        if (carryLength > 0) {
            pending.append(new String(carry, 0, carryLength, StandardCharsets.UTF_8));
            carryLength = 0;
        }
        flush();
    }

    /** Drops pending output and the timer (the container was deleted). */
    public void discard() {
        pending.setLength(0);
        carryLength = 0;
        cancelTimer();
    }

    private void onFlushTimer() {
        flushTimer = null;
        // A partial line goes out after flushDelay *without more output*: under a flood the pending
        // tail is a different partial line at every chunk, and flushing it because the first one
        // waited that long would split a line the process is still writing.
        long quiet = loop.ticker().nanoTime() - lastOutputNanos;
        if (quiet < flushDelayNanos && pending.length() > 0) {
            flushTimer = loop.schedule(this::onFlushTimer, flushDelayNanos - quiet, TimeUnit.NANOSECONDS);
            return;
        }
        flush();
    }

    private void flush() {
        cancelTimer();
        if (pending.length() > 0) {
            String text = pending.toString();
            pending.setLength(0);
            trimPending();
            sink.accept(text);
        }
    }

    private void cancelTimer() {
        if (flushTimer != null) {
            flushTimer.cancel(false);
            flushTimer = null;
        }
    }

    /**
     * The length of the prefix of {@code bytes} that ends on a character boundary: a trailing lead
     * byte whose continuation bytes are still missing is held back. Invalid sequences are not held
     * back; the decoder replaces them.
     */
    static int completeLength(byte[] bytes) {
        int n = bytes.length;
        for (int back = 1; back <= Math.min(3, n); back++) {
            int b = bytes[n - back] & 0xff;
            if ((b & 0xc0) == 0x80) {
                continue;
            }
            int needed = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 1;
            if (b >= 0xf5) {
                needed = 1;
            }
            return needed > back ? n - back : n;
        }
        return n;
    }

    /** The capacity, in chars, of the buffer that holds a partial line: what a burst may leave behind. */
    int pendingCapacity() {
        return pending.capacity();
    }
}
