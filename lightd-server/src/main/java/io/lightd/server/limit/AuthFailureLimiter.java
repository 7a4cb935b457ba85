package io.lightd.server.limit;

import java.net.InetAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failed authentications (REST 401, WebSocket handshake 401) per remote IP in one-minute windows
 * from the first failure: once an address reaches {@code limits.auth_failures_per_ip_per_minute},
 * every authenticated request from it is answered 429, even with a good token, until its window
 * ends, so tokens cannot be guessed at speed. One WARN line per episode names the address (never a
 * token). Thread-safe.
 */
public final class AuthFailureLimiter {

    private static final Logger log = LoggerFactory.getLogger(AuthFailureLimiter.class);
    static final long WINDOW_NANOS = TimeUnit.MINUTES.toNanos(1);

    private record Window(long start, int failures) {
    }

    private final int maxFailures;
    private final LongSupplier nanoClock;
    private final AddressTable<Window> windows;

    /**
     * @param maxFailuresPerMinute failures in one window that block an address
     *                             ({@code limits.auth_failures_per_ip_per_minute})
     * @param maxAddresses         the most addresses tracked at once; while that many are, a new
     *                             address is not tracked (so not blocked) until expired windows go
     * @param nanoClock            monotonic time in ns ({@code System::nanoTime}; tests pass their own)
     */
    public AuthFailureLimiter(int maxFailuresPerMinute, int maxAddresses, LongSupplier nanoClock) {
        this.maxFailures = maxFailuresPerMinute;
        this.nanoClock = nanoClock;
        this.windows = new AddressTable<>("authentication failure limit", maxAddresses);
    }

    /** 0 when {@code remote} may try to authenticate; else the seconds until its window ends. */
    public long blockedSeconds(SocketAddress remote) {
        Window w = windows.get(AddressTable.addressOf(remote));
        long now = nanoClock.getAsLong();
        if (w == null || w.failures() < maxFailures || expired(w, now)) {
            return 0;
        }
        return Math.max(1, TimeUnit.NANOSECONDS.toSeconds(w.start() + WINDOW_NANOS - now + 999_999_999));
    }

    /**
     * Counts one failed authentication from {@code remote}'s IP address (the port is ignored); the
     * failure that reaches the limit logs one WARN line naming the address.
     */
    public void recordFailure(SocketAddress remote) {
        long now = nanoClock.getAsLong();
        InetAddress address = AddressTable.addressOf(remote);
        Window w = windows.update(address, (a, current) -> current == null || expired(current, now)
                ? new Window(now, 1) : new Window(current.start(), current.failures() + 1));
        if (w != null && w.failures() == maxFailures) {
            log.warn("{} failed authentications from {} within a minute: refusing its requests with 429 "
                    + "until the minute is over", maxFailures, address.getHostAddress());
        }
    }

    /** Forgets addresses whose window has ended. */
    public void evictExpired() {
        long now = nanoClock.getAsLong();
        windows.evict(w -> expired(w, now));
    }

    int trackedAddresses() {
        return windows.size();
    }

    private static boolean expired(Window w, long now) {
        return now - w.start() >= WINDOW_NANOS;
    }
}
