package io.lightd.server.ws;

import static io.lightd.server.ws.InboundRateLimiter.Verdict.ACCEPT;
import static io.lightd.server.ws.InboundRateLimiter.Verdict.DROP;
import static io.lightd.server.ws.InboundRateLimiter.Verdict.DROP_AND_NOTIFY;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class InboundRateLimiterTest {

    @Test
    void burstThenOneNoticePerEpisodeThenRefill() {
        AtomicLong now = new AtomicLong();
        InboundRateLimiter limiter = new InboundRateLimiter(2, 3, now::get);
        assertThat(limiter.onFrame()).isEqualTo(ACCEPT);
        assertThat(limiter.onFrame()).isEqualTo(ACCEPT);
        assertThat(limiter.onFrame()).isEqualTo(ACCEPT);
        assertThat(limiter.onFrame()).isEqualTo(DROP_AND_NOTIFY);
        assertThat(limiter.onFrame()).isEqualTo(DROP);
        assertThat(limiter.onFrame()).isEqualTo(DROP);
        now.addAndGet(500_000_000L);
        assertThat(limiter.onFrame()).isEqualTo(ACCEPT);
        assertThat(limiter.onFrame()).isEqualTo(DROP_AND_NOTIFY);
    }
}
