package io.lightd.server.limit;

import java.net.SocketAddress;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * New connections per remote IP, as a {@link TokenBucket} each ({@code limits.connection_attempts_per_ip_*}):
 * a reconnect loop or a flood from one address is answered 429 before any request is handled.
 * Episodes are logged once each: the first refusal after an admission. An address whose bucket is
 * full again is forgotten by {@link #evictIdle}. Thread-safe: an address's bucket is touched only
 * inside its {@link AddressTable} entry's lock.
 */
public final class ConnectionAttemptLimiter {

    private static final Logger log = LoggerFactory.getLogger(ConnectionAttemptLimiter.class);

    /** One address's bucket and whether its last attempt was refused (an episode under way). */
    private static final class Attempts {
        final TokenBucket bucket;
        boolean refusing;

        Attempts(TokenBucket bucket) {
            this.bucket = bucket;
        }
    }

    private final double ratePerSecond;
    private final int burst;
    private final LongSupplier nanoClock;
    private final AddressTable<Attempts> buckets;

    /**
     * @param ratePerSecond new connections per second allowed from one address on average
     * @param burst         new connections allowed at once from one address after a quiet spell
     * @param maxAddresses  the most addresses tracked at once (see {@link AddressTable})
     * @param nanoClock     a monotonic clock in nanoseconds ({@code System::nanoTime})
     */
    public ConnectionAttemptLimiter(double ratePerSecond, int burst, int maxAddresses, LongSupplier nanoClock) {
        this.ratePerSecond = ratePerSecond;
        this.burst = burst;
        this.nanoClock = nanoClock;
        this.buckets = new AddressTable<>("connection attempt limit", maxAddresses);
    }

    /** Takes a token for a new connection from {@code remote}: 0 when admitted, else the seconds until the next token. */
    public long acquire(SocketAddress remote) {
        long now = nanoClock.getAsLong();
        boolean[] episodeStart = {false};
        long[] retryAfter = {0};
        buckets.update(AddressTable.addressOf(remote), (a, current) -> {
            Attempts attempts = current == null ? new Attempts(new TokenBucket(burst, ratePerSecond, now)) : current;
            if (attempts.bucket.tryTake(1, now)) {
                attempts.refusing = false;
                return attempts;
            }
            episodeStart[0] = !attempts.refusing;
            attempts.refusing = true;
            retryAfter[0] = Math.max(1, (long) Math.ceil(attempts.bucket.nanosUntil(1) / 1e9));
            return attempts;
        });
        if (retryAfter[0] > 0 && episodeStart[0]) {
            log.warn("connection attempts from {} over the limit: answering 429 until it slows down",
                    AddressTable.addressOf(remote).getHostAddress());
        }
        return retryAfter[0];
    }

    /** Forgets addresses whose bucket has filled up again: for them a fresh bucket is the same. */
    public void evictIdle() {
        long now = nanoClock.getAsLong();
        buckets.evict(attempts -> attempts.bucket.isFull(now));
    }

    int trackedAddresses() {
        return buckets.size();
    }
}
