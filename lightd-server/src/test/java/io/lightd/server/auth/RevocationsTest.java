package io.lightd.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lightd.server.store.JsonFileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Revocations and used single-use ids are kept exactly as long as a matching token could still be
 * valid under the configuration of the day, however it was configured when they were made.
 */
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
        return store(LIFETIME, SKEW);
    }

    /** A store as a daemon started with this configuration has it. */
    private Revocations store(Duration lifetime, Duration skew) throws Exception {
        Revocations r = new Revocations(clock, lifetime, skew, new JsonFileStore.Factory(dir, Runnable::run));
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

        // The used id outlives its token's exp by the skew only: the token is accepted until then.
        now = T0.plusSeconds(300).plus(SKEW).minusSeconds(1);
        assertThat(r.purgeExpired()).isZero();
        now = now.plusSeconds(1);
        assertThat(r.purgeExpired()).isEqualTo(1);
        assertThat(r.isUsed("once-1")).isFalse();

        // A subject rule: tokens issued before issued_before live at most LIFETIME past their iat
        // and are accepted up to the skew after that.
        now = T0.minusSeconds(600).plus(LIFETIME).plus(SKEW).minusSeconds(1);
        assertThat(r.purgeExpired()).isZero();
        assertThat(r.isRevoked(null, "user-42", T0.minusSeconds(601))).isTrue();
        now = now.plusSeconds(1);
        assertThat(r.purgeExpired()).isEqualTo(1);

        // A jti: its token was issued (iat) by the revocation plus the skew at the latest, so it is
        // accepted until LIFETIME and two skews after the revocation at most.
        now = T0.plus(LIFETIME).plus(SKEW).plus(SKEW).minusSeconds(1);
        assertThat(store().isRevoked("j-1", null, null)).as("still there after a reload").isTrue();
        now = now.plusSeconds(1);
        assertThat(r.purgeExpired()).isEqualTo(1);
        assertThat(r.size()).isZero();
        assertThat(store().size()).as("and gone from the file").isZero();
    }

    @Test
    void aLongerMaxLifetimeOrSkewConfiguredLaterKeepsEarlierEntriesLongerAtLoadAndAtPurge() throws Exception {
        Revocations r = store();
        r.revokeJti("j-1").join();
        r.revokeSubject("user-42", T0).join();
        assertThat(r.use("once-1", T0.plusSeconds(300))).isTrue();

        // Past what the old configuration needed, the daemon restarts with a day's max lifetime: a
        // token revoked then, signed for longer than the old limit allowed, would be accepted now.
        Duration day = Duration.ofDays(1);
        now = T0.plus(LIFETIME).plus(SKEW).plus(SKEW).plusSeconds(60);
        Revocations longer = store(day, SKEW);
        assertThat(longer.isRevoked("j-1", null, null)).isTrue();
        assertThat(longer.isRevoked(null, "user-42", T0.minusSeconds(1))).isTrue();
        assertThat(longer.isUsed("once-1")).as("the used id went with its token's exp").isFalse();
        assertThat(longer.purgeExpired()).isZero();
        assertThat(longer.isRevoked("j-1", null, null)).isTrue();
        assertThat(longer.isRevoked(null, "user-42", T0.minusSeconds(1))).isTrue();

        // The same store, kept by a daemon still configured as before, forgets them at its purge.
        assertThat(r.purgeExpired()).isEqualTo(3);

        now = T0.plus(day).plus(SKEW).minusSeconds(1);
        assertThat(longer.purgeExpired()).isZero();
        now = now.plusSeconds(1);
        assertThat(longer.purgeExpired()).as("the subject rule").isEqualTo(1);
        now = T0.plus(day).plus(SKEW).plus(SKEW);
        assertThat(longer.purgeExpired()).as("the jti").isEqualTo(1);
    }

    @Test
    void aLargerSkewConfiguredLaterKeepsAUsedSingleUseIdUntilItsExpPlusThatSkew() throws Exception {
        Revocations r = store();
        assertThat(r.use("once-1", T0.plusSeconds(300))).isTrue();
        Duration wider = Duration.ofMinutes(10);
        now = T0.plusSeconds(300).plus(SKEW).plusSeconds(60);
        Revocations widerSkew = store(LIFETIME, wider);
        assertThat(widerSkew.isUsed("once-1")).as("its token is still accepted for 9 more minutes").isTrue();
        assertThat(widerSkew.purgeExpired()).isZero();
        now = T0.plusSeconds(300).plus(wider);
        assertThat(widerSkew.purgeExpired()).isEqualTo(1);
    }

    @Test
    void entriesStoredWithOnlyAKeepUntilAreReadAsIfMadeThen() throws Exception {
        Files.writeString(dir.resolve("revocations.json"), """
                {"jtis":[{"jti":"j-old","keep_until":"2026-11-29T13:01:00Z"}],
                 "subjects":[{"subject":"user-7","issued_before":"2026-11-29T11:00:00Z","keep_until":"2026-11-29T12:01:00Z"}],
                 "used":[{"jti":"once-old","keep_until":"2026-11-29T12:05:30Z"}]}
                """);
        now = T0.plus(Duration.ofHours(2));
        Revocations r = store(Duration.ofDays(1), SKEW);
        assertThat(r.isRevoked("j-old", null, null)).isTrue();
        assertThat(r.isRevoked(null, "user-7", T0.minusSeconds(7200))).isTrue();
        assertThat(r.isUsed("once-old")).as("its token expired long ago").isFalse();
        r.revokeJti("j-new").join();
        assertThat(store(Duration.ofDays(1), SKEW).size()).as("rewritten with the facts").isEqualTo(3);
        assertThat(Files.readString(dir.resolve("revocations.json"))).doesNotContain("keep_until")
                .contains("\"revoked_at\":\"2026-11-29T13:01:00Z\"");
    }

    @Test
    void aSubjectRevocationReachingPastNowPlusTheSkewIsRefused() throws Exception {
        Revocations r = store();
        assertThat(r.latestIssuedBefore()).isEqualTo(T0.plus(SKEW));
        assertThatThrownBy(() -> r.revokeSubject("user-42", T0.plus(SKEW).plusMillis(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(r.size()).isZero();
        r.revokeSubject("user-42", T0.plus(SKEW)).join();
        assertThat(r.isRevoked(null, "user-42", T0.plusSeconds(29))).isTrue();
    }
}
