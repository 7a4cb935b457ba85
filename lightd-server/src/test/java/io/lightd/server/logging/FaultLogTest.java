package io.lightd.server.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** One stack trace per distinct fault per interval, the suppressed ones counted on the next line. */
class FaultLogTest {

    private final Logger logger = (Logger) LoggerFactory.getLogger("fault-log-test-" + UUID.randomUUID());
    private final ListAppender<ILoggingEvent> written = new ListAppender<>();
    private final AtomicLong now = new AtomicLong(1_000);
    private final FaultLog faults = new FaultLog(logger, 60, TimeUnit.SECONDS, now::get);

    FaultLogTest() {
        written.start();
        logger.addAppender(written);
        logger.setAdditive(false);
    }

    @AfterEach
    void tearDown() {
        logger.detachAppender(written);
    }

    private static IllegalStateException thrownHere() {
        return new IllegalStateException("bug one");
    }

    private static IllegalStateException thrownThere() {
        return new IllegalStateException("bug two");
    }

    private void elapseSeconds(long seconds) {
        now.addAndGet(TimeUnit.SECONDS.toNanos(seconds));
    }

    @Test
    void theSameFaultIsWrittenOnceAMinuteWithTheCountOfTheRest() {
        assertThat(faults.warn("request failed", thrownHere())).isTrue();
        for (int i = 0; i < 1_000; i++) {
            assertThat(faults.warn("request failed", thrownHere())).isFalse();
        }
        elapseSeconds(59);
        assertThat(faults.warn("request failed", thrownHere())).isFalse();
        assertThat(written.list).hasSize(1);
        assertThat(written.list.get(0).getThrowableProxy().getMessage()).isEqualTo("bug one");
        elapseSeconds(1);
        assertThat(faults.warn("request failed", thrownHere())).isTrue();
        assertThat(written.list).hasSize(2);
        assertThat(written.list.get(1).getFormattedMessage())
                .isEqualTo("request failed (1001 more like it suppressed since the last report)");
        assertThat(written.list.get(1).getThrowableProxy()).isNotNull();
    }

    @Test
    void anotherFaultGetsItsOwnLine() {
        faults.warn("request failed", thrownHere());
        faults.warn("request failed", thrownThere());
        faults.warn("request failed", new IllegalArgumentException("bug three"));
        faults.warn("request failed", thrownThere());
        assertThat(written.list).extracting(e -> e.getThrowableProxy().getMessage())
                .containsExactly("bug one", "bug two", "bug three");
    }

    @Test
    void faultsWithoutAnExceptionAreBoundedByKindAndCarryNoStackTrace() {
        assertThat(faults.warn("slow", "a request was not answered")).isTrue();
        assertThat(faults.warn("slow", "a request was not answered")).isFalse();
        assertThat(faults.warn("other", "something else")).isTrue();
        assertThat(written.list).hasSize(2).allMatch(e -> e.getThrowableProxy() == null);
    }

    @Test
    void beyondTheTrackedKindsTheRestShareOneEntry() {
        for (int i = 0; i < FaultLog.MAX_KINDS; i++) {
            faults.warn("kind-" + i, "fault " + i);
        }
        assertThat(written.list).hasSize(FaultLog.MAX_KINDS);
        for (int i = 0; i < 100; i++) {
            faults.warn("extra-" + i, "fault extra " + i);
        }
        assertThat(written.list).as("the extra kinds share one entry").hasSize(FaultLog.MAX_KINDS + 1);
        elapseSeconds(60);
        faults.warn("late", "a late fault");
        assertThat(written.list.get(written.list.size() - 1).getFormattedMessage())
                .as("old entries give way to new faults").isEqualTo("a late fault");
    }
}
