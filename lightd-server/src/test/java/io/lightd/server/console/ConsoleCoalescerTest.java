package io.lightd.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The frame budget on an embedded loop whose ticker the test moves by hand: what goes out, when (in
 * the loop's time) and with which bytes. No real time passes.
 */
class ConsoleCoalescerTest {

    private static final int BUDGET_MS = 16;

    private final EmbeddedChannel clock = frozen(new EmbeddedChannel());
    /** Each event sent, and the loop's time in nanoseconds when it was sent. */
    private final List<String> events = new ArrayList<>();
    private final List<Long> sentAt = new ArrayList<>();
    private final long origin = clock.eventLoop().ticker().nanoTime();
    private ConsoleCoalescer coalescer = coalescer(BUDGET_MS);

    /** The loop's clock moves only when the test advances it. */
    private static EmbeddedChannel frozen(EmbeddedChannel channel) {
        channel.freezeTime();
        return channel;
    }

    @AfterEach
    void close() {
        clock.finishAndReleaseAll();
    }

    private ConsoleCoalescer coalescer(int budgetMillis) {
        return new ConsoleCoalescer(clock.eventLoop(), budgetMillis, text -> {
            events.add(text);
            sentAt.add(clock.eventLoop().ticker().nanoTime() - origin);
        });
    }

    private void offer(String text) {
        coalescer.offer(text, text.getBytes(StandardCharsets.UTF_8).length);
    }

    /** Moves the loop's clock on and runs the timers that came due. */
    private void advance(long millis) {
        clock.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        clock.runScheduledPendingTasks();
    }

    @Test
    void aQuietConsoleGoesOutAtOnce() {
        offer("first\n");
        assertThat(events).containsExactly("first\n");
        advance(BUDGET_MS);
        offer("second\n");
        assertThat(events).containsExactly("first\n", "second\n");
        advance(1000);
        offer("third\n");
        assertThat(events).containsExactly("first\n", "second\n", "third\n");
        assertThat(coalescer.hasPending()).isFalse();
    }

    @Test
    void outputWithinTheBudgetIsGatheredIntoOneEventWhenTheBudgetHasPassed() {
        offer("a\n");
        advance(1);
        offer("b\n");
        advance(5);
        offer("c\r\n");
        offer("\n");
        advance(9);
        assertThat(events).containsExactly("a\n");
        advance(1);
        assertThat(events).containsExactly("a\n", "b\nc\r\n\n");
        assertThat(sentAt.get(1)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(BUDGET_MS));
    }

    @Test
    void theBudgetIsHonouredAndEveryByteArrivesInOrder() {
        StringBuilder offered = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            String line = "seq=" + i + " h\u00e9llo \u2603 \ud83d\ude00\n";
            offered.append(line);
            offer(line);
            advance(1);
        }
        advance(BUDGET_MS);
        assertThat(String.join("", events)).isEqualTo(offered.toString());
        assertThat(events).hasSizeLessThanOrEqualTo(500 / BUDGET_MS + 2);
        for (int i = 1; i < sentAt.size(); i++) {
            assertThat(sentAt.get(i) - sentAt.get(i - 1))
                    .as("time between events %d and %d", i - 1, i)
                    .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(BUDGET_MS));
        }
        for (String event : events) {
            assertThat(event).endsWith("\n");
        }
    }

    @Test
    void anEventIsBoundedInBytes() {
        offer("first\n");
        String line = "x".repeat(999) + "\n";
        StringBuilder offered = new StringBuilder("first\n");
        for (int i = 0; i < 200; i++) {
            offer(line);
            offered.append(line);
        }
        advance(BUDGET_MS);
        assertThat(String.join("", events)).isEqualTo(offered.toString());
        assertThat(events.size()).isGreaterThan(3);
        for (String event : events) {
            assertThat(event.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(ConsoleCoalescer.MAX_EVENT_BYTES);
        }
    }

    @Test
    void aPieceLargerThanTheBoundGoesAloneAfterWhatWasGathered() {
        offer("a\n");
        offer("b\n");
        String big = "y".repeat(ConsoleCoalescer.MAX_EVENT_BYTES) + "\n";
        offer(big);
        assertThat(events).containsExactly("a\n", "b\n", big);
    }

    @Test
    void flushSendsWhatIsGatheredAtOnceAndTheTimerThenSendsNothingMore() {
        offer("a\n");
        offer("b\n");
        coalescer.flush();
        assertThat(events).containsExactly("a\n", "b\n");
        coalescer.flush();
        advance(BUDGET_MS);
        assertThat(events).containsExactly("a\n", "b\n");
    }

    @Test
    void discardDropsWhatIsGathered() {
        offer("a\n");
        offer("b\n");
        coalescer.discard();
        advance(BUDGET_MS);
        assertThat(events).containsExactly("a\n");
    }

    @Test
    void aBudgetOfZeroSendsEveryPieceAsItComes() {
        coalescer = coalescer(0);
        offer("a\n");
        offer("b\n");
        offer("c\n");
        assertThat(events).containsExactly("a\n", "b\n", "c\n");
        assertThat(coalescer.hasPending()).isFalse();
    }
}
