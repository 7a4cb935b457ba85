package io.lightd.server.limit;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.local.LocalAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ConnectionAttemptLimiterTest {

    private final AtomicLong now = new AtomicLong(1_000);
    private final ConnectionAttemptLimiter limiter = new ConnectionAttemptLimiter(2, 3, 4, now::get);

    private static InetSocketAddress ip(String address) {
        return new InetSocketAddress(address, 40_000);
    }

    @Test
    void aBurstIsAdmittedThenRefusedWithTheWaitUntilTheNextToken() {
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.acquire(ip("10.0.0.1"))).isZero();
        }
        assertThat(limiter.acquire(ip("10.0.0.1"))).isEqualTo(1);
        assertThat(limiter.acquire(ip("10.0.0.2"))).as("another address has its own bucket").isZero();
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(500));
        assertThat(limiter.acquire(ip("10.0.0.1"))).as("refilled at 2 per second").isZero();
        assertThat(limiter.acquire(ip("10.0.0.1"))).isEqualTo(1);
    }

    @Test
    void idleAddressesAreForgottenAndTheTableStaysBounded() {
        for (int i = 1; i <= 6; i++) {
            assertThat(limiter.acquire(ip("10.0.1." + i))).isZero();
        }
        assertThat(limiter.trackedAddresses()).as("capacity 4; the rest go untracked").isEqualTo(4);
        for (int i = 0; i < 10; i++) {
            assertThat(limiter.acquire(ip("10.0.1.9"))).as("untracked while full").isZero();
        }
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        limiter.evictIdle();
        assertThat(limiter.trackedAddresses()).isZero();
        limiter.acquire(ip("10.0.1.9"));
        limiter.acquire(ip("10.0.1.9"));
        limiter.evictIdle();
        assertThat(limiter.trackedAddresses()).as("a bucket still refilling is kept").isEqualTo(1);
    }

    @Test
    void connectionsWithoutAnIpAreNotLimited() {
        for (int i = 0; i < 10; i++) {
            assertThat(limiter.acquire(new LocalAddress("panel"))).isZero();
        }
    }
}
