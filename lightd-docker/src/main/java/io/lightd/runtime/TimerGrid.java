package io.lightd.runtime;

import java.util.concurrent.TimeUnit;

/**
 * Rounds the due time of a periodic timer up to the next whole second of the event loops' clock, so
 * that the timers of many connections and servers that fall due within the same second fire together,
 * in one wake-up of their loop, rather than each in a wake-up of its own.
 *
 * <p>Waking an idle loop costs far more than the work most housekeeping timers do (60–100 µs of CPU
 * measured on a virtual machine, against a few µs for a ping); with one console open on each of 50
 * servers, their pings, disk checks and the stats tick were some 400 wake-ups a minute. On the grid,
 * a loop wakes at most once a second for all of them. The price is that a timer fires up to a second
 * late, which is why only timers whose period is many seconds, or which are themselves on the grid,
 * use it.
 *
 * <p>The clock is the loops' {@code Ticker} ({@code EventExecutor.ticker().nanoTime()}): every
 * loop of a group shares the system ticker, so the grid is the same on all of them. Stateless and
 * thread-safe.
 */
public final class TimerGrid {

    /** The grid's step: one second, in nanoseconds. */
    public static final long STEP_NANOS = TimeUnit.SECONDS.toNanos(1);

    private TimerGrid() {
    }

    /**
     * The first step of the grid at or after {@code nanos}.
     *
     * @param nanos a time of the loops' ticker, in ns (any origin, may be negative)
     * @return that time rounded up to a whole {@link #STEP_NANOS}
     */
    public static long stepAtOrAfter(long nanos) {
        long rest = Math.floorMod(nanos, STEP_NANOS);
        return rest == 0 ? nanos : nanos + (STEP_NANOS - rest);
    }

    /**
     * When a periodic timer that was due at {@code dueNanos} (and has just fired) is next due: one
     * period after its own due time, not after the moment it ran. A loop runs a timer a little after
     * it is due, and a period counted from then would be rounded up to the step after, every time (a
     * period of the interval plus a second). When the loop ran it more than a period late, the next is
     * due at the first step from now.
     *
     * @param dueNanos    when the timer was due (a step of the grid, as this class gave it), in ns
     * @param periodNanos the timer's period, in ns, positive
     * @param nowNanos    the loop's ticker now, in ns
     * @return the next due time, on the grid, in ns of the same ticker; schedule with
     *         {@code next - nowNanos}
     */
    public static long nextDue(long dueNanos, long periodNanos, long nowNanos) {
        return stepAtOrAfter(Math.max(dueNanos + periodNanos, nowNanos));
    }

    /**
     * The delay that makes a timer due at the first step of the grid at or after
     * {@code nowNanos + delayNanos}. For a timer that sets itself again when it fires, use
     * {@link #nextDue} instead: counted from the moment it ran, its period would gain a second.
     *
     * @param nowNanos   the current time of the loop's ticker, in ns (any origin, may be negative)
     * @param delayNanos the delay the timer wants, in ns; 0 or less means as soon as possible
     * @return the delay to schedule with, in ns: at least {@code delayNanos}, less than
     *         {@code delayNanos + STEP_NANOS}; {@code delayNanos} itself when it is 0 or less
     */
    public static long delayToStep(long nowNanos, long delayNanos) {
        if (delayNanos <= 0) {
            return delayNanos;
        }
        return stepAtOrAfter(nowNanos + delayNanos) - nowNanos;
    }
}
