package io.lightd.server.limit;

/**
 * The one token bucket of lightd: {@code capacity} tokens, refilled continuously at
 * {@code refillPerSecond}, starting full. Every rate limit is built on it: a WebSocket connection's
 * inbound messages ({@code limits.inbound_*}), a console's live lines and bytes
 * ({@code limits.console_*_per_second}), and new connections per address
 * ({@code limits.connection_attempts_per_ip_*}).
 *
 * <p>Time is passed in, in nanoseconds of one monotonic clock ({@link System#nanoTime()} or a
 * {@code Ticker}), so the bucket keeps no clock and tests drive it exactly. Tokens are a
 * {@code double}: rates below one per second and byte rates need no rounding. A take of more than
 * the capacity succeeds once the bucket is full and leaves it in debt (negative), so nothing is
 * refused for its size alone; the debt is paid off by the refill.
 *
 * <p>Hand-written rather than Bucket4j's: that library's local bucket also allocates nothing per take
 * when made with {@code SynchronizationStrategy.NONE}, but one bucket holds 336 bytes in 13
 * objects against this one's 48 in one, and lightd keeps one per WebSocket connection (whose idle
 * cost is budgeted in bytes), two per container and one per tracked address (up to 65,536); see
 * {@code TokenBucketBenchmark} and {@code benchmarks/RESULTS.md}. It allocates nothing per take and
 * takes no lock, so it is not thread-safe: confined to one event loop, or changed only under the
 * lock of the map entry that holds it.
 */
public final class TokenBucket {

    private final double capacity;
    private final double refillPerNano;
    private double tokens;
    private long last;

    /**
     * A full bucket.
     *
     * @param capacity        the most tokens it holds (the burst), at least 1
     * @param refillPerSecond tokens added per second, more than 0
     * @param nowNanos        the current time of the clock every later call passes
     */
    public TokenBucket(double capacity, double refillPerSecond, long nowNanos) {
        if (!(capacity >= 1) || !(refillPerSecond > 0)) {
            throw new IllegalArgumentException("token bucket needs capacity >= 1 and refill > 0, got "
                    + capacity + " and " + refillPerSecond);
        }
        this.capacity = capacity;
        this.refillPerNano = refillPerSecond / 1e9;
        this.tokens = capacity;
        this.last = nowNanos;
    }

    /** Adds the tokens earned since the last call, up to the capacity. */
    public void refill(long nowNanos) {
        tokens = Math.min(capacity, tokens + (nowNanos - last) * refillPerNano);
        last = nowNanos;
    }

    /**
     * Whether a take of {@code n} may go now (after {@link #refill}): at least {@code n} tokens are
     * there, or the bucket is full and {@code n} is more than it can ever hold.
     */
    public boolean covers(double n) {
        return tokens >= Math.min(n, capacity);
    }

    /** Takes {@code n} tokens, going into debt if there are fewer; check {@link #covers} first. */
    public void take(double n) {
        tokens -= n;
    }

    /** Refills, then takes {@code n} tokens when {@link #covers} them; false (nothing taken) when not. */
    public boolean tryTake(double n, long nowNanos) {
        refill(nowNanos);
        if (covers(n)) {
            take(n);
            return true;
        }
        return false;
    }

    /** Whether the bucket is full again at {@code nowNanos} (then it is the same as a fresh one); takes nothing. */
    public boolean isFull(long nowNanos) {
        return tokens + (nowNanos - last) * refillPerNano >= capacity;
    }

    /** Nanoseconds, as of the last refill, until {@code n} tokens (at most the capacity) are there; 0 when they are. */
    public long nanosUntil(double n) {
        double missing = Math.min(n, capacity) - tokens;
        return missing <= 0 ? 0 : (long) Math.ceil(missing / refillPerNano);
    }

    /** Tokens held at the last refill or take (negative while in debt). */
    public double tokens() {
        return tokens;
    }
}
