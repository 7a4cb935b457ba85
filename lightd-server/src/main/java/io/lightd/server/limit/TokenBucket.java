package io.lightd.server.limit;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.LocalBucket;
import io.github.bucket4j.local.SynchronizationStrategy;
import java.time.Duration;

/**
 * The one token bucket of lightd, on Bucket4j's local bucket: {@code capacity} tokens, refilled
 * continuously ("greedy") at {@code refillPerSecond}, starting full. Every rate limit is built on it:
 * a WebSocket connection's inbound messages ({@code limits.inbound_*}), a console's live lines and
 * bytes ({@code limits.console_*_per_second}), and new connections per address
 * ({@code limits.connection_attempts_per_ip_*}).
 *
 * <p>Time is passed in, in nanoseconds of one monotonic clock ({@link System#nanoTime()} or a Netty
 * {@code Ticker}), and handed to Bucket4j as its {@link TimeMeter}, so tests drive it exactly. A rate
 * with a fraction (such as 0.1 per second) is kept exactly to a thousandth of a token per second. A
 * take of more than the capacity succeeds once the bucket is full and leaves it in debt, so nothing
 * is refused for its size alone; the refill pays the debt off first.
 *
 * <p>The bucket uses Bucket4j's {@link SynchronizationStrategy#NONE}: on the console path, once per
 * console chunk, it takes no lock and allocates nothing (Bucket4j's default lock-free strategy
 * allocates a state copy per take; see {@code TokenBucketBenchmark}). So it is not thread-safe:
 * confined to one event loop, or changed only under the lock of the map entry that holds it.
 */
public final class TokenBucket {

    private final long capacity;
    private final LocalBucket bucket;
    /** The time of the current call, read back by Bucket4j through {@link PassedTime}. */
    private long now;

    /**
     * A full bucket.
     *
     * @param capacity        the most tokens it holds (the burst), at least 1
     * @param refillPerSecond tokens added per second, at least 0.001
     * @param nowNanos        the current time of the clock every later call passes
     */
    public TokenBucket(long capacity, double refillPerSecond, long nowNanos) {
        if (capacity < 1 || !(refillPerSecond >= 0.001)) {
            throw new IllegalArgumentException("token bucket needs capacity >= 1 and refill >= 0.001 per second, got "
                    + capacity + " and " + refillPerSecond);
        }
        this.capacity = capacity;
        this.now = nowNanos;
        boolean whole = refillPerSecond == Math.rint(refillPerSecond);
        long refillTokens = whole ? (long) refillPerSecond : Math.round(refillPerSecond * 1000);
        Duration refillPeriod = whole ? Duration.ofSeconds(1) : Duration.ofSeconds(1000);
        this.bucket = Bucket.builder()
                .addLimit(limit -> limit.capacity(capacity).refillGreedy(refillTokens, refillPeriod))
                .withCustomTimePrecision(new PassedTime(this))
                .withSynchronizationStrategy(SynchronizationStrategy.NONE)
                .build();
    }

    /** Moves the bucket's time to {@code nowNanos}: the tokens earned until then count from now on. */
    public void refill(long nowNanos) {
        now = nowNanos;
    }

    /**
     * Whether a take of {@code n} may go now (after {@link #refill}): at least {@code n} tokens are
     * there, or the bucket is full and {@code n} is more than it can ever hold.
     */
    public boolean covers(long n) {
        return bucket.getAvailableTokens() >= Math.min(n, capacity);
    }

    /** Takes {@code n} tokens (at least 1), going into debt if there are fewer; check {@link #covers} first. */
    public void take(long n) {
        bucket.consumeIgnoringRateLimits(n);
    }

    /** Refills, then takes {@code n} tokens when {@link #covers} them; false (nothing taken) when not. */
    public boolean tryTake(long n, long nowNanos) {
        refill(nowNanos);
        if (covers(n)) {
            take(n);
            return true;
        }
        return false;
    }

    /** Whether the bucket is full again at {@code nowNanos} (then it is the same as a fresh one); takes nothing. */
    public boolean isFull(long nowNanos) {
        refill(nowNanos);
        return bucket.getAvailableTokens() >= capacity;
    }

    /** Nanoseconds, as of the last refill, until {@code n} tokens (at most the capacity) are there; 0 when they are. */
    public long nanosUntil(long n) {
        return bucket.estimateAbilityToConsume(Math.min(n, capacity)).getNanosToWaitForRefill();
    }

    /** Whole tokens held now, as of the last refill (negative while in debt). */
    public long tokens() {
        return bucket.getAvailableTokens();
    }

    /** Bucket4j's clock: the time the current call passed in. */
    private static final class PassedTime implements TimeMeter {
        private final TokenBucket owner;

        PassedTime(TokenBucket owner) {
            this.owner = owner;
        }

        @Override
        public long currentTimeNanos() {
            return owner.now;
        }

        @Override
        public boolean isWallClockBased() {
            return false;
        }
    }
}
