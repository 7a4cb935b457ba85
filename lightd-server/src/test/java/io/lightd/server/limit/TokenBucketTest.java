package io.lightd.server.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.openjdk.jol.info.GraphLayout;

class TokenBucketTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void startsFullTakesItsBurstThenRefillsAtItsRate() {
        TokenBucket bucket = new TokenBucket(3, 2, 0);
        assertThat(bucket.tryTake(1, 0)).isTrue();
        assertThat(bucket.tryTake(1, 0)).isTrue();
        assertThat(bucket.tryTake(1, 0)).isTrue();
        assertThat(bucket.tryTake(1, 0)).as("burst spent").isFalse();
        assertThat(bucket.tryTake(1, SECOND / 2 - 1)).as("just short of one token at 2/s").isFalse();
        assertThat(bucket.tryTake(1, SECOND / 2)).isTrue();
        assertThat(bucket.tryTake(1, SECOND / 2)).isFalse();
        assertThat(bucket.isFull(SECOND / 2 + 3 * SECOND / 2 - 1)).isFalse();
        assertThat(bucket.isFull(SECOND / 2 + 3 * SECOND / 2)).as("capped at its capacity, full again").isTrue();
        assertThat(bucket.tryTake(1, 100 * SECOND)).isTrue();
        assertThat(bucket.tokens()).as("never more than the capacity").isEqualTo(2);
    }

    @Test
    void aRateBelowOnePerSecondNeedsNoRounding() {
        TokenBucket bucket = new TokenBucket(1, 0.1, 0);
        assertThat(bucket.tryTake(1, 0)).isTrue();
        assertThat(bucket.tryTake(1, 9 * SECOND)).isFalse();
        assertThat(bucket.nanosUntil(1)).isEqualTo(SECOND);
        assertThat(bucket.tryTake(1, 10 * SECOND)).isTrue();
    }

    @Test
    void aTakeLargerThanTheCapacityGoesWhenFullAndLeavesDebt() {
        TokenBucket bucket = new TokenBucket(100, 100, 0);
        assertThat(bucket.tryTake(1, 0)).isTrue();
        assertThat(bucket.tryTake(250, 0)).as("not full: waits").isFalse();
        assertThat(bucket.tokens()).as("a refused take takes nothing").isEqualTo(99);
        assertThat(bucket.tryTake(250, SECOND)).as("full: goes, whatever its size").isTrue();
        assertThat(bucket.tokens()).isEqualTo(-150);
        assertThat(bucket.tryTake(1, 2 * SECOND)).as("the debt is paid off first").isFalse();
        assertThat(bucket.tryTake(1, 2 * SECOND + SECOND / 2)).as("debt paid, not yet a token").isFalse();
        assertThat(bucket.tryTake(1, 2 * SECOND + SECOND / 2 + SECOND / 100)).isTrue();
    }

    @Test
    void coversAndTakeLetTwoBucketsBeChargedTogetherOrNotAtAll() {
        TokenBucket lines = new TokenBucket(10, 10, 0);
        TokenBucket bytes = new TokenBucket(1024, 1024, 0);
        lines.refill(0);
        bytes.refill(0);
        assertThat(lines.covers(2)).isTrue();
        assertThat(bytes.covers(2000)).as("more than the capacity while full").isTrue();
        bytes.take(2000);
        lines.take(2);
        assertThat(lines.tokens()).isEqualTo(8);
        assertThat(bytes.covers(1)).isFalse();
        assertThat(bytes.nanosUntil(1)).as("977 tokens at 1024 per second").isBetween(954_101_562L, 954_101_563L);
    }

    @Test
    void refusesANonsensicalShape() {
        assertThatThrownBy(() -> new TokenBucket(0, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucket(1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TokenBucket(1, Double.NaN, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * It sits on the console path once per chunk: taking, refusing, and the throttle's two-step
     * covers-then-take allocate nothing.
     */
    @Test
    void takingAllocatesNothing() {
        TokenBucket bucket = new TokenBucket(1000, 1000, 0);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        long sink = run(bucket, 0);
        long before = threads.getThreadAllocatedBytes(id);
        sink += run(bucket, 1);
        long allocated = threads.getThreadAllocatedBytes(id) - before;
        assertThat(sink).isPositive();
        assertThat(allocated).as("bytes allocated by 1,000,000 takes and refusals").isLessThan(1024);
    }

    /** One per WebSocket connection and per tracked address: it must stay one small object. */
    @Test
    void oneBucketIsOneSmallObject() {
        TokenBucket bucket = new TokenBucket(10, 1, 0);
        bucket.tryTake(1, 5);
        GraphLayout layout = GraphLayout.parseInstance(bucket);
        assertThat(layout.totalCount()).isEqualTo(1);
        assertThat(layout.totalSize()).isLessThanOrEqualTo(48);
    }

    private static long run(TokenBucket bucket, long round) {
        long taken = 0;
        for (int i = 0; i < 1_000_000; i++) {
            long now = (round * 1_000_000 + i) * 500_000L;
            if (bucket.tryTake(1, now)) {
                taken++;
            }
            bucket.refill(now);
            if (bucket.covers(2000)) {
                bucket.take(2000);
                taken++;
            }
        }
        return taken;
    }
}
