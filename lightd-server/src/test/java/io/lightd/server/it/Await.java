package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

/**
 * Waits for a state the daemon reaches (a counter, a subscriber count, a refusal), checked again
 * every {@value #POLL_MILLIS} ms, for tests whose daemon offers no event to wait on. The deadline is
 * only where a test gives up and fails: how fast the machine is decides when the wait ends, never
 * whether the test passes. Stateless; any thread.
 */
final class Await {

    /** Between checks, only to spare a busy machine. */
    static final long POLL_MILLIS = 20;

    /** A check that may do I/O (a scrape, a request). */
    @FunctionalInterface
    interface Condition {
        boolean holds() throws Exception;
    }

    private Await() {
    }

    /** Returns once {@code condition} holds; fails with {@code what} after {@link WsClient#WAIT}. */
    static void until(String what, Condition condition) throws Exception {
        until(what, WsClient.WAIT, condition);
    }

    /** Returns once {@code condition} holds; fails with {@code what} after {@code deadline}. */
    static void until(String what, Duration deadline, Condition condition) throws Exception {
        long end = System.nanoTime() + deadline.toNanos();
        while (!condition.holds()) {
            assertThat(System.nanoTime()).as("%s (within %s)", what, deadline).isLessThan(end);
            Thread.sleep(POLL_MILLIS);
        }
    }
}
