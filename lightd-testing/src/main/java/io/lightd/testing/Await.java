package io.lightd.testing;

import java.time.Duration;
import java.util.function.Predicate;

/**
 * Waits for a state a daemon, a hub or a runtime reaches (a counter, a subscriber count, a refusal,
 * a descriptor count), checked again every {@value #POLL_MILLIS} ms, where the code under test
 * offers no event to wait on. The deadline is only where a test gives up and fails: how fast the
 * machine is decides when the wait ends, never whether the test passes. Stateless; any thread; the
 * checks run on the calling thread.
 */
public final class Await {

    /** Where a wait gives up unless it names its own deadline: long enough for a loaded machine. */
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(15);

    /** Between checks, only to spare a busy machine. */
    public static final long POLL_MILLIS = 20;

    /** A check that may do I/O (a scrape, a request, a connection). */
    @FunctionalInterface
    public interface Condition {
        /** Whether the awaited state holds now; an exception ends the wait and fails it. */
        boolean holds() throws Exception;
    }

    /** A reading that may do I/O (a count of descriptors, a scrape). */
    @FunctionalInterface
    public interface Probe<T> {
        /** The value now; an exception ends the wait and fails it. */
        T read() throws Exception;
    }

    private Await() {
    }

    /** Returns once {@code condition} holds; throws {@link AssertionError} naming {@code what} after {@link #DEFAULT_DEADLINE}. */
    public static void until(String what, Condition condition) throws Exception {
        until(what, DEFAULT_DEADLINE, condition);
    }

    /** Returns once {@code condition} holds; throws {@link AssertionError} naming {@code what} after {@code deadline}. */
    public static void until(String what, Duration deadline, Condition condition) throws Exception {
        long end = System.nanoTime() + deadline.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError(what + " (not within " + deadline + ")");
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /**
     * Reads {@code probe} until {@code accepted} takes its value, and returns that value; throws
     * {@link AssertionError} naming {@code what} and the last value read after {@code deadline}.
     */
    public static <T> T until(String what, Duration deadline, Probe<T> probe, Predicate<? super T> accepted)
            throws Exception {
        long end = System.nanoTime() + deadline.toNanos();
        T value = probe.read();
        while (!accepted.test(value)) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError(what + ": " + value + " after " + deadline);
            }
            Thread.sleep(POLL_MILLIS);
            value = probe.read();
        }
        return value;
    }

    /** {@link #until(String, Duration, Probe, Predicate)} with {@link #DEFAULT_DEADLINE}. */
    public static <T> T until(String what, Probe<T> probe, Predicate<? super T> accepted) throws Exception {
        return until(what, DEFAULT_DEADLINE, probe, accepted);
    }
}
