package io.lightd.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.server.store.JsonFileStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Revocations and used single-use ids are kept exactly as long as a matching token could still be valid. */
class RevocationsTest {

    private static final Duration LIFETIME = Duration.ofHours(1);
    private static final Duration SKEW = Duration.ofSeconds(30);
    private static final Instant T0 = Instant.parse("2026-11-29T12:00:00Z");

    @TempDir
    Path dir;
    private Instant now = T0;
    private final Clock clock = new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    private Revocations store() throws Exception {
        Revocations r = new Revocations(clock, LIFETIME, SKEW, new JsonFileStore.Factory(dir, Runnable::run));
        r.load();
        return r;
    }

    @Test
    void eachEntryIsForgottenOnceNoTokenItMatchesCanBeValidAndNotBefore() throws Exception {
        Revocations r = store();
        r.revokeJti("j-1").join();
        r.revokeSubject("user-42", T0.minusSeconds(600)).join();
        assertThat(r.use("once-1", T0.plusSeconds(300))).isTrue();
        assertThat(r.use("once-1", T0.plusSeconds(300))).as("a second use").isFalse();
        assertThat(r.size()).isEqualTo(3);

        // The used id outlives its token's exp by the skew only.
        now = T0.plusSeconds(300).plus(SKEW);
        assertThat(r.purgeExpired()).isEqualTo(1);
        assertThat(r.isUsed("once-1")).isFalse();

        // A subject rule: tokens issued before issued_before live at most LIFETIME (plus skews) past it.
        now = T0.minusSeconds(600).plus(LIFETIME).plus(SKEW).plus(SKEW).minusSeconds(1);
        assertThat(r.purgeExpired()).isZero();
        assertThat(r.isRevoked(null, "user-42", T0.minusSeconds(601))).isTrue();
        now = now.plusSeconds(1);
        assertThat(r.purgeExpired()).isEqualTo(1);

        // A jti: its token was issued by now at the latest, so it is valid LIFETIME (plus skews) from now at most.
        now = T0.plus(LIFETIME).plus(SKEW).plus(SKEW).minusSeconds(1);
        assertThat(store().isRevoked("j-1", null, null)).as("still there after a reload").isTrue();
        now = now.plusSeconds(1);
        assertThat(r.purgeExpired()).isEqualTo(1);
        assertThat(r.size()).isZero();
        assertThat(store().size()).as("and gone from the file").isZero();
    }
}
