package io.lightd.server.limit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AuthFailureLimiterTest {

    private final AtomicLong now = new AtomicLong(1_000);
    private final AuthFailureLimiter limiter = new AuthFailureLimiter(3, 4, now::get);
    private final InetSocketAddress guesser = new InetSocketAddress("10.0.0.1", 40_000);

    @Test
    void blockedFromTheLimitUntilTheWindowEnds() {
        limiter.recordFailure(guesser);
        limiter.recordFailure(guesser);
        assertThat(limiter.blockedSeconds(guesser)).isZero();
        now.addAndGet(TimeUnit.SECONDS.toNanos(20));
        limiter.recordFailure(guesser);
        assertThat(limiter.blockedSeconds(guesser)).as("window started at the first failure").isEqualTo(40);
        assertThat(limiter.blockedSeconds(new InetSocketAddress("10.0.0.2", 1))).isZero();
        now.addAndGet(TimeUnit.SECONDS.toNanos(40));
        assertThat(limiter.blockedSeconds(guesser)).isZero();
        limiter.recordFailure(guesser);
        assertThat(limiter.blockedSeconds(guesser)).as("a new window counts from one").isZero();
    }

    @Test
    void expiredWindowsAreForgottenAndTheTableStaysBounded() {
        for (int i = 1; i <= 6; i++) {
            limiter.recordFailure(new InetSocketAddress("10.0.1." + i, 1));
        }
        assertThat(limiter.trackedAddresses()).isEqualTo(4);
        limiter.evictExpired();
        assertThat(limiter.trackedAddresses()).isEqualTo(4);
        now.addAndGet(AuthFailureLimiter.WINDOW_NANOS);
        limiter.evictExpired();
        assertThat(limiter.trackedAddresses()).isZero();
    }
}
