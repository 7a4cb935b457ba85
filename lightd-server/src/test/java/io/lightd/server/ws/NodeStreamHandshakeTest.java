package io.lightd.server.ws;

import static io.lightd.server.ws.UpgradeGuards.upgrade;
import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.server.auth.TokenStore;
import io.lightd.server.limit.AuthFailureLimiter;
import io.lightd.server.ws.UpgradeGuards.Answer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node stream's guard: only the master token opens it, every refusal before the upgrade with a JSON error. */
class NodeStreamHandshakeTest {

    private static final String MASTER = "lightd_node-stream-test-master";
    @TempDir
    Path dir;
    private UpgradeGuards guards;
    private TokenStore tokens;
    private ConnectionLimiter limiter;
    private AuthFailureLimiter failures;
    private NodeStreamHandshake handler;

    @BeforeEach
    void setUp() throws Exception {
        guards = new UpgradeGuards(MASTER, dir, json -> { });
        tokens = guards.tokens;
        limiter = guards.limiter;
        failures = guards.failures;
        handler = new NodeStreamHandshake(guards.authenticator,
                new HandshakeGate(limiter, failures, guards.config.allowedOrigins()), new UpgradeOnly());
    }

    @AfterEach
    void tearDown() {
        guards.close();
    }

    private Answer send(String request) {
        return UpgradeGuards.send(handler, request);
    }

    @Test
    void theMasterTokenOpensIt() {
        assertThat(send(upgrade("/node/stream?token=" + MASTER)).status()).isEqualTo(101);
        assertThat(send(upgrade("/node/stream", "Authorization: Bearer " + MASTER)).status()).isEqualTo(101);
    }

    @Test
    void noTokenOrAWrongOneIs401() {
        Answer none = send(upgrade("/node/stream"));
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.text()).contains("{\"error\":\"invalid or expired token\"}").doesNotContain("Upgrade: websocket");
        assertThat(send(upgrade("/node/stream?token=lightd_wrong")).status()).isEqualTo(401);
        assertThat(limiter.total()).as("no place kept by refused attempts").isZero();
    }

    @Test
    void aConsoleTokenIs403() {
        String issued = tokens.issue(Duration.ofMinutes(5), false).join().token();
        Answer a = send(upgrade("/node/stream?token=" + issued));
        assertThat(a.status()).isEqualTo(403);
        assertThat(a.text()).contains("{\"error\":\"the node stream needs the master token\"}");
        assertThat(limiter.total()).isZero();
    }

    @Test
    void aSingleUseConsoleTokenIs403AndIsNotUsedUp() {
        String once = tokens.issue(Duration.ofMinutes(5), true).join().token();
        assertThat(send(upgrade("/node/stream?token=" + once)).status()).isEqualTo(403);
        assertThat(tokens.authenticate(once, false)).as("still unused").isPresent();
    }

    @Test
    void aForeignOriginIs403() {
        assertThat(send(upgrade("/node/stream?token=" + MASTER, "Origin: https://evil.example")).status()).isEqualTo(403);
        assertThat(send(upgrade("/node/stream?token=" + MASTER, "Origin: https://panel.example")).status()).isEqualTo(101);
    }

    @Test
    void overTheCapIs429() {
        assertThat(limiter.tryAcquire(NodeStreamHandshake.CAP_KEY)).isTrue();
        assertThat(send(upgrade("/node/stream?token=" + MASTER)).status()).isEqualTo(429);
        limiter.release(NodeStreamHandshake.CAP_KEY);
    }

    @Test
    void postIs405() {
        Answer a = send("POST /node/stream HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n");
        assertThat(a.status()).isEqualTo(405);
    }

    @Test
    void ownsOnlyItsPath() {
        assertThat(NodeStreamHandshake.owns("/node/stream")).isTrue();
        assertThat(NodeStreamHandshake.owns("/node/streams")).isFalse();
        assertThat(NodeStreamHandshake.owns("/node/stream/x")).isFalse();
        assertThat(NodeStreamHandshake.owns("/ws/node")).isFalse();
    }

    @Test
    void theHandshakeHeadersAreCheckedFirstWithJsonRefusalsAndACloseAfter() {
        UpgradeGuards.assertHandshakeHeadersCheckedFirst(handler, "/node/stream?token=" + MASTER);
    }
}
