package io.lightd.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lightd.server.credential.Tokens;
import io.lightd.server.store.JsonFileStore;
import io.lightd.server.store.StorageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenStoreTest {

    private static final String MASTER = "lightd_master-token-for-tests";
    @TempDir
    Path dir;

    /** A clock the test moves. */
    private static final class MovableClock extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

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
    }

    private TokenStore store(Clock clock) {
        return new TokenStore(MASTER, clock, new JsonFileStore.Factory(dir, Runnable::run));
    }

    @Test
    void masterAndIssuedTokensAuthenticateOthersDoNot() {
        TokenStore s = store(Clock.systemUTC());
        assertThat(s.authenticate(MASTER)).get().extracting(TokenStore.Grant::isMaster).isEqualTo(true);
        String issued = s.issue(Duration.ofMinutes(5), false).join().token();
        assertThat(s.authenticate(issued)).isPresent();
        assertThat(s.authenticate(issued)).isPresent();
        assertThat(s.authenticate("lightd_unknown")).isEmpty();
        assertThat(s.authenticate(null)).isEmpty();
        assertThat(s.authenticate("")).isEmpty();
    }

    @Test
    void onlyHashesReachTheDiskAndTokensSurviveARestart() throws Exception {
        TokenStore s = store(Clock.systemUTC());
        String issued = s.issue(Duration.ofHours(1), false).join().token();
        String onDisk = Files.readString(dir.resolve("tokens.json"));
        assertThat(onDisk).doesNotContain(issued).contains(Tokens.hash(issued));
        TokenStore reloaded = store(Clock.systemUTC());
        reloaded.load();
        assertThat(reloaded.authenticate(issued)).isPresent();
    }

    @Test
    void expiryAndPurge() throws Exception {
        MovableClock clock = new MovableClock();
        TokenStore s = store(clock);
        String token = s.issue(Duration.ofSeconds(30), false).join().token();
        clock.now = clock.now.plusSeconds(29);
        assertThat(s.authenticate(token)).isPresent();
        clock.now = clock.now.plusSeconds(1);
        assertThat(s.authenticate(token)).isEmpty();
        assertThat(s.purgeExpired()).isEqualTo(1);
        assertThat(s.issuedCount()).isZero();
        assertThat(Files.readString(dir.resolve("tokens.json"))).isEqualTo("[]");
    }

    @Test
    void singleUseIsConsumedAndRevocationIsAnnounced() {
        TokenStore s = store(Clock.systemUTC());
        List<String> revoked = new ArrayList<>();
        s.onRevoked(revoked::add);
        String once = s.issue(Duration.ofMinutes(1), true).join().token();
        assertThat(s.authenticate(once)).isPresent();
        assertThat(s.authenticate(once)).isEmpty();
        String other = s.issue(Duration.ofMinutes(1), false).join().token();
        assertThat(s.revoke(other).join()).isTrue();
        assertThat(revoked).containsExactly(Tokens.hash(other));
        assertThat(s.authenticate(other)).isEmpty();
        assertThat(s.revoke(other).join()).isFalse();
    }

    @Test
    void ttlSyntax() {
        assertThat(Tokens.parseTtl("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Tokens.parseTtl("15m")).isEqualTo(Duration.ofMinutes(15));
        assertThat(Tokens.parseTtl("12h")).isEqualTo(Duration.ofHours(12));
        assertThat(Tokens.parseTtl("7d")).isEqualTo(Duration.ofDays(7));
        for (String bad : new String[] {"", "0s", "5", "5w", "-5m", "1.5h", "400d", "m"}) {
            assertThatThrownBy(() -> Tokens.parseTtl(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
    @Test
    void replacingTheMasterTokenRefusesTheOldOneAndReportsItsHash() {
        TokenStore s = store(Clock.systemUTC());
        List<String> revoked = new ArrayList<>();
        s.onRevoked(revoked::add);
        assertThat(s.replaceMaster(MASTER)).isFalse();
        assertThat(s.replaceMaster("lightd_the-next-master-token")).isTrue();
        assertThat(s.authenticate(MASTER)).isEmpty();
        assertThat(s.authenticate("lightd_the-next-master-token")).get()
                .extracting(TokenStore.Grant::isMaster).isEqualTo(true);
        assertThat(revoked).containsExactly(Tokens.hash(MASTER));
    }

    @Test
    void aTokenThatCannotBeStoredIsTakenBack() throws Exception {
        Path notAFolder = Files.writeString(dir.resolve("blocked"), "a file where the registry folder should be");
        TokenStore unwritable = new TokenStore(MASTER, Clock.systemUTC(), new JsonFileStore.Factory(notAFolder,
                Runnable::run));
        assertThatThrownBy(() -> unwritable.issue(Duration.ofMinutes(5), false).join())
                .hasCauseInstanceOf(StorageException.class);
        assertThat(unwritable.issuedCount()).isZero();

        TokenStore shutDown = new TokenStore(MASTER, Clock.systemUTC(), new JsonFileStore.Factory(dir, task -> {
            throw new RejectedExecutionException("shut down");
        }));
        assertThatThrownBy(() -> shutDown.issue(Duration.ofMinutes(5), false).join())
                .hasCauseInstanceOf(StorageException.class);
        assertThat(shutDown.issuedCount()).isZero();
    }
}
