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
     * The delay that makes a timer due at the first step of the grid at or after
     * {@code nowNanos + delayNanos}.
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
        long rest = Math.floorMod(nowNanos + delayNanos, STEP_NANOS);
        return rest == 0 ? delayNanos : delayNanos + (STEP_NANOS - rest);
    }
}
