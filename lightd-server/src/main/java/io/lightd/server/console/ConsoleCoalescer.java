package io.lightd.server.console;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The frame budget of one console ({@code console.coalesce_ms}): at most one console event per budget
 * while output comes fast, and none held back while it comes slowly.
 *
 * <p>Console text that arrives when the previous event of this console went out at least one budget
 * ago, with nothing gathered, goes out at once: a quiet console is never delayed. Text that arrives
 * sooner is gathered and goes out as one event when the budget since the previous event has passed,
 * so a console printing hundreds of lines a second costs one send per subscriber per budget instead of
 * one per line. The kernel's cost of a loopback send is most of what a delivered frame costs, so
 * sending less often is what makes the console path cheap at equal work.
 *
 * <p>What it gathers is what the {@link ConsoleAssembler} hands on (whole lines, or a partial line
 * after its flush delay), joined in arrival order without a byte changed; an event never holds more
 * than {@link #MAX_EVENT_BYTES} of UTF-8 unless one piece alone is larger (then that piece goes alone).
 * {@link #flush} sends what is gathered at once: the hub calls it before every state event and daemon
 * message, so console output and those events keep their order.
 *
 * <p>A budget of zero turns gathering off: every piece goes out as it comes. Time comes from the
 * loop's {@link io.netty.util.concurrent.Ticker}, which tests move by hand. Confined to the
 * container's event loop.
 */
final class ConsoleCoalescer {

    /** The most UTF-8 bytes of console text gathered into one event. */
    static final int MAX_EVENT_BYTES = 64 * 1024;

    private final EventExecutor loop;
    private final long budgetNanos;
    private final Consumer<String> sink;
    private final StringBuilder pending = new StringBuilder();
    private long pendingBytes;
    /** When the previous event went out (the loop's ticker); one budget in the past at first. */
    private long lastSentNanos;
    private ScheduledFuture<?> timer;

    /**
     * @param loop         the container's event loop: its ticker is the clock, and it runs the timer
     * @param budgetMillis the frame budget in milliseconds; 0 sends every piece as it comes
     * @param sink         sends one console event (and its {@code console duplicate}) with this text
     */
    ConsoleCoalescer(EventExecutor loop, long budgetMillis, Consumer<String> sink) {
        if (budgetMillis < 0) {
            throw new IllegalArgumentException("budgetMillis must not be negative: " + budgetMillis);
        }
        this.loop = loop;
        this.budgetNanos = TimeUnit.MILLISECONDS.toNanos(budgetMillis);
        this.sink = sink;
        this.lastSentNanos = loop.ticker().nanoTime() - budgetNanos;
    }

    /**
     * Takes console text as the assembler hands it on.
     *
     * @param text      whole lines, or a partial line the assembler flushed
     * @param utf8Bytes the UTF-8 length of {@code text}
     */
    void offer(String text, long utf8Bytes) {
        if (budgetNanos == 0) {
            sink.accept(text);
            return;
        }
        long now = loop.ticker().nanoTime();
        if (pending.length() == 0 && now - lastSentNanos >= budgetNanos) {
            send(text, now);
            return;
        }
        if (pending.length() > 0 && pendingBytes + utf8Bytes > MAX_EVENT_BYTES) {
            sendPending(now);
        }
        if (utf8Bytes >= MAX_EVENT_BYTES) {
            send(text, now);
            return;
        }
        pending.append(text);
        pendingBytes += utf8Bytes;
        if (timer == null) {
            long wait = Math.max(0, lastSentNanos + budgetNanos - now);
            timer = loop.schedule(this::onBudget, wait, TimeUnit.NANOSECONDS);
        }
    }

    /** Sends what is gathered now (before an event that must follow it), or nothing when nothing is. */
    void flush() {
        if (pending.length() > 0) {
            sendPending(loop.ticker().nanoTime());
        }
    }

    /** Drops what is gathered and the timer (the container was deleted). */
    void discard() {
        pending.setLength(0);
        pendingBytes = 0;
        cancelTimer();
    }

    /** True while text waits for the budget; for tests. */
    boolean hasPending() {
        return pending.length() > 0;
    }

    private void onBudget() {
        timer = null;
        if (pending.length() > 0) {
            sendPending(loop.ticker().nanoTime());
        }
    }

    private void sendPending(long now) {
        cancelTimer();
        String text = pending.toString();
        pending.setLength(0);
        pendingBytes = 0;
        send(text, now);
    }

    private void send(String text, long now) {
        lastSentNanos = now;
        sink.accept(text);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
