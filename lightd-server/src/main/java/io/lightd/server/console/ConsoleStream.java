package io.lightd.server.console;

import io.lightd.server.config.LightdConfig;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One container's console, from the process's output bytes to the text its watchers get: the
 * {@link ConsoleAssembler} makes text of the bytes, the {@link ConsoleHistory} keeps all of it for
 * {@code request_logs}, the {@link ConsoleThrottle} caps the live part ({@code limits.console_*}), and
 * the {@link ConsoleCoalescer} gathers the live part into events ({@code console.coalesce_ms}). What it
 * hands on goes to a {@link Listener}, so the stream knows nothing of subscribers or of the state
 * machine. Confined to the container's event loop, which also times the partial-line flush, the frame
 * budget and the throttle's episodes.
 *
 * <p>A throttle episode starts with the first chunk the throttle refuses and ends only once
 * {@link #THROTTLE_QUIET_MILLIS} pass without a refused chunk; chunks admitted in between go live as
 * usual and do not end it (under a flood the buckets refill a little and let a chunk through now and
 * then). The skipped lines are reported as one daemon message,
 * {@code Error: console output throttled, skipped N lines}: those skipped so far at most once per
 * {@link #THROTTLE_QUIET_MILLIS} while the episode goes on (its first report comes that long after
 * it started), and the rest when it ends, with no message when there is no rest. Every refused line
 * is counted in exactly one message, and messages (which flush the coalescer) come at most once per
 * {@link #THROTTLE_QUIET_MILLIS} however long the flood lasts. What an episode keeps is the same
 * however long it lasts: one scheduled task at most and two times.
 */
public final class ConsoleStream {

    /** How long a partial line (a prompt) waits for its end before it goes out without one, in ms. */
    public static final long PARTIAL_LINE_FLUSH_MILLIS = 50;

    /**
     * A throttle episode with no refused chunk for this long is over, and its unreported skipped lines
     * are reported; while it goes on, its skipped lines are reported at most this often. In ms.
     */
    public static final long THROTTLE_QUIET_MILLIS = 1000;

    private static final long THROTTLE_QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(THROTTLE_QUIET_MILLIS);

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
    /**
     * Pending while a throttle episode goes on (null between episodes): due at the episode's end or at
     * its next report, whichever is first, and scheduled again from there.
     */
    private ScheduledFuture<?> throttleNotice;
    /** When the throttle last refused a chunk, in the loop ticker's nanoseconds. */
    private long lastThrottledNanos;
    /** When the running episode started or last reported its skipped lines, in the loop ticker's nanoseconds. */
    private long lastReportNanos;

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
            coalescer.offer(text, bytes);
        } else {
            listener.throttled(lines);
            lastThrottledNanos = loop.ticker().nanoTime();
            if (throttleNotice == null) {
                lastReportNanos = lastThrottledNanos;
                throttleNotice = loop.schedule(this::onThrottleDue, THROTTLE_QUIET_NANOS, TimeUnit.NANOSECONDS);
            }
        }
        listener.assembled(text);
    }

    /**
     * The episode's task: ends the episode after a quiet {@link #THROTTLE_QUIET_MILLIS}, reporting
     * what is left; otherwise reports the lines skipped so far when the last report (or the start) is
     * that long ago, and comes back at the episode's earliest possible end or next report.
     */
    private void onThrottleDue() {
        throttleNotice = null;
        long now = loop.ticker().nanoTime();
        long quietEnds = lastThrottledNanos + THROTTLE_QUIET_NANOS;
        if (now - quietEnds < 0) {
            boolean reportDue = now - (lastReportNanos + THROTTLE_QUIET_NANOS) >= 0;
            if (reportDue) {
                lastReportNanos = now;
            }
            long nextReport = lastReportNanos + THROTTLE_QUIET_NANOS;
            long due = quietEnds - nextReport < 0 ? quietEnds : nextReport;
            throttleNotice = loop.schedule(this::onThrottleDue, due - now, TimeUnit.NANOSECONDS);
            if (!reportDue) {
                return;
            }
        }
        reportThrottled();
    }

    /** Sends the lines skipped since the last report as one daemon message; nothing when there are none. */
    private void reportThrottled() {
        long skipped = throttle.takeSkipped();
        if (skipped > 0) {
            listener.notice("Error: console output throttled, skipped " + skipped + " lines");
        }
    }
}
