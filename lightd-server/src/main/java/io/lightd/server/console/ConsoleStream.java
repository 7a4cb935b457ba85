package io.lightd.server.console;

import io.lightd.server.config.LightdConfig;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One container's console, from the process's output bytes to the text its watchers get: the
 * {@link ConsoleAssembler} makes text of the bytes, the {@link ConsoleHistory} keeps all of it for
 * {@code request_logs}, the {@link ConsoleThrottle} caps the live part ({@code limits.console_*}) and
 * reports what it skipped once the episode ends, and the {@link ConsoleCoalescer} gathers the live
 * part into events ({@code console.coalesce_ms}). What it hands on goes to a {@link Listener}, so the
 * stream knows nothing of subscribers or of the state machine. Confined to the container's event
 * loop, which also times the partial-line flush, the frame budget and the throttle's quiet period.
 */
public final class ConsoleStream {

    /** How long a partial line (a prompt) waits for its end before it goes out without one, in ms. */
    public static final long PARTIAL_LINE_FLUSH_MILLIS = 50;

    /** A throttle episode that sees no output for this long is over, and its skipped lines are reported, in ms. */
    public static final long THROTTLE_QUIET_MILLIS = 1000;

    /** Where the stream's text goes; called on the container's event loop. */
    public interface Listener {

        /** Console text for the watchers: throttled and coalesced, one console event. */
        void live(String text);

        /** Every piece of text as the assembler hands it on, throttled or not, in order (the start pattern reads it). */
        void assembled(String text);

        /** A daemon message for the watchers, such as the throttle's report of skipped lines. */
        void notice(String message);

        /** The throttle kept {@code lines} lines of console text out of the live stream (they are in the history). */
        void throttled(int lines);
    }

    private final EventExecutor loop;
    private final Listener listener;
    private final ConsoleAssembler assembler;
    private final ConsoleCoalescer coalescer;
    private final ConsoleHistory history;
    private final ConsoleThrottle throttle;
    /** Pending while live output is being throttled: reports the skipped lines once the episode ends. */
    private ScheduledFuture<?> throttleNotice;
    private long lastThrottledNanos;

    /**
     * @param loop           the container's event loop
     * @param limits         history size ({@code limits.history_*}) and throttle rates ({@code limits.console_*})
     * @param coalesceMillis the console frame budget in milliseconds ({@code console.coalesce_ms}); 0
     *                       sends console text as it comes
     * @param listener       gets the live text, every assembled piece, notices and throttled line counts
     */
    public ConsoleStream(EventExecutor loop, LightdConfig.Limits limits, int coalesceMillis, Listener listener) {
        this.loop = loop;
        this.listener = listener;
        this.assembler = new ConsoleAssembler(loop, PARTIAL_LINE_FLUSH_MILLIS, TimeUnit.MILLISECONDS, this::onText);
        this.coalescer = new ConsoleCoalescer(loop, coalesceMillis, listener::live);
        this.history = new ConsoleHistory(limits.historyLines(), limits.historyBytes());
        this.throttle = new ConsoleThrottle(limits.consoleLinesPerSecond(), limits.consoleBytesPerSecond(),
                loop.ticker());
    }

    /** Takes a chunk of the process's (or install's) output; does not release it. */
    public void accept(ByteBuf chunk) {
        assembler.accept(chunk);
    }

    /** Hands on a held partial line at once: the process ended, so no more of it will come. */
    public void endOfOutput() {
        assembler.flushAll();
    }

    /**
     * Sends the live text gathered so far at once, before an event that is never dropped (a state
     * event or daemon message), so console output and those events keep their order.
     */
    public void flushLive() {
        coalescer.flush();
    }

    /** Forgets everything: a held partial line, gathered live text and the history (the container was deleted). */
    public void clear() {
        assembler.discard();
        coalescer.discard();
        history.clear();
    }

    /** The last {@code lines} lines of the history, as {@code request_logs} answers them. */
    public String tail(int lines) {
        return history.tail(lines);
    }

    /**
     * Seeds the history with the tail of the runtime's log after a daemon restart.
     *
     * @param logTail        the log's last bytes, UTF-8
     * @param startsMidLine  true when the tail was cut, so its first line is partial and dropped
     */
    public void seed(byte[] logTail, boolean startsMidLine) {
        history.seed(logTail, startsMidLine);
    }

    private void onText(String text) {
        history.append(text);
        int lines = ConsoleThrottle.lineCount(text);
        long bytes = ConsoleHistory.utf8Length(text);
        if (throttle.admit(lines, bytes)) {
            reportThrottled();
            coalescer.offer(text, bytes);
        } else {
            listener.throttled(lines);
            lastThrottledNanos = loop.ticker().nanoTime();
            if (throttleNotice == null) {
                throttleNotice = loop.schedule(this::onThrottleQuiet, THROTTLE_QUIET_MILLIS, TimeUnit.MILLISECONDS);
            }
        }
        listener.assembled(text);
    }

    /** The throttle episode ends when output gets through again, or after a quiet while. */
    private void onThrottleQuiet() {
        throttleNotice = null;
        long quietMillis = TimeUnit.NANOSECONDS.toMillis(loop.ticker().nanoTime() - lastThrottledNanos);
        if (quietMillis < THROTTLE_QUIET_MILLIS) {
            throttleNotice = loop.schedule(this::onThrottleQuiet, THROTTLE_QUIET_MILLIS - quietMillis,
                    TimeUnit.MILLISECONDS);
            return;
        }
        reportThrottled();
    }

    private void reportThrottled() {
        if (throttleNotice != null) {
            throttleNotice.cancel(false);
            throttleNotice = null;
        }
        long skipped = throttle.takeSkipped();
        if (skipped > 0) {
            listener.notice("Error: console output throttled, skipped " + skipped + " lines");
        }
    }
}
