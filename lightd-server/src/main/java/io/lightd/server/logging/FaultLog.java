package io.lightd.server.logging;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Warnings about lightd's own faults, bounded in volume: each distinct fault is written at most
 * once per interval (a minute by default), with its stack trace, and the next line written for it
 * says how many were suppressed since the previous one. A fault is known by its kind and, when it
 * is an exception, by the exception's class and the frame that threw it, so the same bug hit by
 * every request costs one stack trace a minute while a second bug still gets its own. At most
 * {@link #MAX_KINDS} faults are tracked; beyond, the rest share one entry.
 *
 * <p>Client-caused errors (bad input, resets) are not faults and do not belong here: they are one
 * line at DEBUG or INFO where they are met. Thread-safe; called from any event loop.
 */
public final class FaultLog {

    /** How long, in seconds, a written fault is only counted before it may be written again. */
    public static final long DEFAULT_INTERVAL_SECONDS = 60;
    static final int MAX_KINDS = 256;
    private static final String OTHER = "(other faults)";

    /** When the fault was last written, and how many times it was met since without being written. */
    private static final class Window {
        long writtenAt;
        long suppressed;
    }

    private final Logger logger;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    /**
     * One warning per fault per minute, on {@code logger}.
     *
     * @param logger where the lines are written
     */
    public FaultLog(Logger logger) {
        this(logger, DEFAULT_INTERVAL_SECONDS, TimeUnit.SECONDS, System::nanoTime);
    }

    /**
     * One warning per fault per {@code interval}, timed by {@code nanoTime} (tests pass their own clock).
     *
     * @param logger   where the lines are written
     * @param interval how long a written fault is only counted
     * @param unit     the unit of {@code interval}
     * @param nanoTime a monotonic clock in nanoseconds, as {@link System#nanoTime()}
     */
    public FaultLog(Logger logger, long interval, TimeUnit unit, LongSupplier nanoTime) {
        this.logger = logger;
        this.intervalNanos = unit.toNanos(interval);
        this.nanoTime = nanoTime;
    }

    /**
     * Warns about {@code fault} (with its stack trace) under {@code message}, unless the same fault
     * was written less than an interval ago, in which case it is only counted.
     *
     * @param message the text of the line (the count of suppressed ones is appended when there were any)
     * @param fault   the exception; its class and throwing frame identify the fault
     * @return true when a line was written
     */
    public boolean warn(String message, Throwable fault) {
        return write(keyOf(fault), message, fault);
    }

    /**
     * Warns with {@code message} about a fault that is not an exception (no stack trace), at most
     * once per interval for each {@code kind}; {@code message} is the text of the line, {@code kind}
     * a constant naming the fault.
     *
     * @param kind    a constant naming the fault
     * @param message the text of the line
     * @return true when a line was written
     */
    public boolean warn(String kind, String message) {
        return write(kind, message, null);
    }

    /**
     * Like {@link #warn(String, String)}, at ERROR: for a fault that loses what a user asked for
     * (a registry write that failed), at most once per interval for each {@code kind}.
     *
     * @param kind    a constant naming the fault
     * @param message the text of the line
     * @return true when a line was written
     */
    public boolean error(String kind, String message) {
        return write(kind, message, null, true);
    }

    private boolean write(String key, String message, Throwable fault) {
        return write(key, message, fault, false);
    }

    private boolean write(String key, String message, Throwable fault, boolean error) {
        long now = nanoTime.getAsLong();
        if (!windows.containsKey(key) && windows.size() >= MAX_KINDS) {
            windows.values().removeIf(w -> now - w.writtenAt >= intervalNanos && w.suppressed == 0);
            if (windows.size() >= MAX_KINDS) {
                key = OTHER;
            }
        }
        long[] suppressed = {-1};
        windows.compute(key, (k, w) -> {
            if (w == null) {
                w = new Window();
            } else if (now - w.writtenAt < intervalNanos) {
                w.suppressed++;
                return w;
            }
            suppressed[0] = w.suppressed;
            w.writtenAt = now;
            w.suppressed = 0;
            return w;
        });
        if (suppressed[0] < 0) {
            return false;
        }
        String line = suppressed[0] == 0 ? message
                : message + " (" + suppressed[0] + " more like it suppressed since the last report)";
        if (error) {
            logger.error(line);
        } else if (fault == null) {
            logger.warn(line);
        } else {
            logger.warn(line, fault);
        }
        return true;
    }

    /** The class of {@code fault} and the frame that threw it: the same bug met again has the same key. */
    static String keyOf(Throwable fault) {
        StackTraceElement[] trace = fault.getStackTrace();
        return fault.getClass().getName() + (trace.length == 0 ? "" : " at " + trace[0]);
    }
}
