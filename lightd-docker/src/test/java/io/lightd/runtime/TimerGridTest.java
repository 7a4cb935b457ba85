package io.lightd.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TimerGridTest {

    private static final long STEP = TimerGrid.STEP_NANOS;

    @Test
    void aTimerIsDueAtTheFirstWholeStepAtOrAfterItsDueTime() {
        long twentySeconds = TimeUnit.SECONDS.toNanos(20);
        // Set 0.3 s past step 7: due at 27.3, fires at 28.
        assertThat(TimerGrid.delayToStep(7 * STEP + 300_000_000L, twentySeconds)).isEqualTo(twentySeconds + 700_000_000L);
        // Already on the grid: unchanged.
        assertThat(TimerGrid.delayToStep(7 * STEP, twentySeconds)).isEqualTo(twentySeconds);
        // One nanosecond past a step: almost a whole step more.
        assertThat(TimerGrid.delayToStep(1, STEP)).isEqualTo(2 * STEP - 1);
        // A clock before its origin (a ticker may be negative): the same grid.
        assertThat(TimerGrid.delayToStep(-300_000_000L, STEP)).isEqualTo(STEP + 300_000_000L);
    }

    @Test
    void timersSetAtDifferentMomentsOfOneSecondFallOnTheSameInstant() {
        long tenSeconds = TimeUnit.SECONDS.toNanos(10);
        long base = 123 * STEP;
        for (long past : new long[] {1, 250_000_000L, 999_999_999L}) {
            long now = base + past;
            assertThat(now + TimerGrid.delayToStep(now, tenSeconds)).as("set %d ns past the step", past)
                    .isEqualTo(base + 11 * STEP);
        }
    }

    @Test
    void aPeriodicTimerThatRanLateIsNextDueOnePeriodAfterItsOwnDueTime() {
        long due = 40 * STEP;
        long period = TimeUnit.SECONDS.toNanos(20);
        // Ran 7 ms late: next due at 60 s, not at 61 s (20 s after it ran, rounded up).
        assertThat(TimerGrid.nextDue(due, period, due + 7_000_000L)).isEqualTo(60 * STEP);
        assertThat(TimerGrid.nextDue(due, period, due)).isEqualTo(60 * STEP);
        // Ran more than a period late (a stalled loop): the first step from now.
        assertThat(TimerGrid.nextDue(due, period, due + period + 300_000_000L)).isEqualTo(61 * STEP);
    }

    @Test
    void noDelayStaysNoDelay() {
        assertThat(TimerGrid.delayToStep(STEP / 3, 0)).isZero();
        assertThat(TimerGrid.delayToStep(STEP / 3, -5)).isEqualTo(-5);
    }
}
