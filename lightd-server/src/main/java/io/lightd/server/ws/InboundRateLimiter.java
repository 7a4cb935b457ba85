package io.lightd.server.ws;

import java.util.function.LongSupplier;

/**
 * A token bucket for one connection's inbound frames, with episodes: the first frame refused after
 * an accepted one starts an episode (the client is told once), the next accepted frame ends it.
 * Confined to the connection's event loop.
 */
public final class InboundRateLimiter {

    /** What to do with one frame. */
    public enum Verdict { ACCEPT, DROP_AND_NOTIFY, DROP }

    private final double ratePerNano;
    private final double burst;
    private final LongSupplier nanoClock;
    private double tokens;
    private long last;
    private boolean inEpisode;

    public InboundRateLimiter(double ratePerSecond, int burst, LongSupplier nanoClock) {
        this.ratePerNano = ratePerSecond / 1e9;
        this.burst = burst;
        this.nanoClock = nanoClock;
        this.tokens = burst;
        this.last = nanoClock.getAsLong();
    }

    public Verdict onFrame() {
        long now = nanoClock.getAsLong();
        tokens = Math.min(burst, tokens + (now - last) * ratePerNano);
        last = now;
        if (tokens >= 1) {
            tokens -= 1;
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
