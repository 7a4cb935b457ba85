package io.lightd.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Await returns once the state holds and fails, naming it, once the deadline has passed. */
class AwaitTest {

    @Test
    void returnsOnceTheConditionHolds() throws Exception {
        AtomicInteger checks = new AtomicInteger();
        Await.until("the third check", () -> checks.incrementAndGet() == 3);
        assertThat(checks).hasValue(3);
    }

    @Test
    void returnsTheFirstAcceptedValue() throws Exception {
        AtomicInteger reads = new AtomicInteger();
        assertThat(Await.until("a value of 4 or more", reads::incrementAndGet, n -> n >= 4)).isEqualTo(4);
    }

    @Test
    void failsNamingTheStateAndTheLastValueAfterTheDeadline() {
        assertThatThrownBy(() -> Await.until("never", Duration.ZERO, () -> false))
                .isInstanceOf(AssertionError.class).hasMessageContaining("never");
        assertThatThrownBy(() -> Await.until("held connections at 0", Duration.ZERO, () -> 7, n -> n == 0))
                .isInstanceOf(AssertionError.class).hasMessageContaining("held connections at 0: 7");
    }

    @Test
    void anExceptionOfTheCheckEndsTheWait() {
        assertThatThrownBy(() -> Await.until("a broken check", () -> {
            throw new IllegalStateException("broken");
        })).isInstanceOf(IllegalStateException.class).hasMessage("broken");
    }
}
