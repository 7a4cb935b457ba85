package io.lightd.server.limit;

import java.net.SocketAddress;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * New connections per remote IP, as a token bucket each ({@code limits.connection_attempts_per_ip_*}):
 * a reconnect loop or a flood from one address is answered 429 before any request is handled.
 * Episodes are logged once each: the first refusal after an admission. An address whose bucket is
 * full again is forgotten by {@link #evictIdle}. Thread-safe.
 */
public final class ConnectionAttemptLimiter {

    private static final Logger log = LoggerFactory.getLogger(ConnectionAttemptLimiter.class);

    private record Bucket(double tokens, long at, boolean refusing) {
    }

    private final double ratePerNano;
    private final double burst;
    private final LongSupplier nanoClock;
    private final AddressTable<Bucket> buckets;

    public ConnectionAttemptLimiter(double ratePerSecond, int burst, int maxAddresses, LongSupplier nanoClock) {
        this.ratePerNano = ratePerSecond / 1e9;
        this.burst = burst;
        this.nanoClock = nanoClock;
        this.buckets = new AddressTable<>("connection attempt limit", maxAddresses);
    }

    /** Takes a token for a new connection from {@code remote}: 0 when admitted, else the seconds until the next token. */
    public long acquire(SocketAddress remote) {
        long now = nanoClock.getAsLong();
        boolean[] episodeStart = {false};
        Bucket b = buckets.update(AddressTable.addressOf(remote), (a, current) -> {
            double tokens = current == null ? burst : refilled(current, now);
            if (tokens >= 1) {
                return new Bucket(tokens - 1, now, false);
            }
            episodeStart[0] = !current.refusing();
            return new Bucket(tokens, now, true);
        });
        if (b == null || !b.refusing()) {
            return 0;
        }
        long retryAfter = Math.max(1, (long) Math.ceil((1 - b.tokens()) / ratePerNano / 1e9));
        if (episodeStart[0]) {
            log.warn("connection attempts from {} over the limit: answering 429 until it slows down",
                    AddressTable.addressOf(remote).getHostAddress());
        }
        return retryAfter;
    }

    /** Forgets addresses whose bucket has filled up again: for them a fresh bucket is the same. */
    public void evictIdle() {
        long now = nanoClock.getAsLong();
        buckets.evict(b -> refilled(b, now) >= burst);
    }

    int trackedAddresses() {
        return buckets.size();
    }

    private double refilled(Bucket b, long now) {
        return Math.min(burst, b.tokens() + (now - b.at()) * ratePerNano);
    }
}
