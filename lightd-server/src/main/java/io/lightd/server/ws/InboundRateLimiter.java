package io.lightd.server.ws;

import io.lightd.server.limit.TokenBucket;
import java.util.function.LongSupplier;

/**
 * One connection's inbound frames against a {@link TokenBucket} ({@code limits.inbound_rate_per_second},
 * {@code limits.inbound_burst}), with episodes: the first frame refused after an accepted one starts an
 * episode (the client is told once), the next accepted frame ends it. Confined to the connection's
 * event loop.
 */
public final class InboundRateLimiter {

    /** What to do with one frame. */
    public enum Verdict { ACCEPT, DROP_AND_NOTIFY, DROP }

    private final TokenBucket bucket;
    private final LongSupplier nanoClock;
    private boolean inEpisode;

    /**
     * @param ratePerSecond frames per second allowed on average
     * @param burst         frames allowed at once after a quiet spell
     * @param nanoClock     a monotonic clock in nanoseconds ({@code System::nanoTime})
     */
    public InboundRateLimiter(double ratePerSecond, int burst, LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.bucket = new TokenBucket(burst, ratePerSecond, nanoClock.getAsLong());
    }

    /** The verdict on one inbound frame, taking its token when it is accepted. */
    public Verdict onFrame() {
        if (bucket.tryTake(1, nanoClock.getAsLong())) {
            inEpisode = false;
            return Verdict.ACCEPT;
        }
        if (inEpisode) {
            return Verdict.DROP;
        }
        inEpisode = true;
        return Verdict.DROP_AND_NOTIFY;
    }
}
