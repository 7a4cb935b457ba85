package io.lightd.server.ws;

import static io.lightd.server.ws.UpgradeGuards.upgrade;
import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.server.auth.ConsoleScope;
import io.lightd.server.auth.TokenStore;
import io.lightd.server.ws.UpgradeGuards.Answer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every refusal happens before the upgrade, with the right status and a JSON error. */
class TokenHandshakeHandlerTest {

    private static final String MASTER = "lightd_handshake-test-master";
    @TempDir
    Path dir;
    private UpgradeGuards guards;
    private TokenStore tokens;
    private ConnectionLimiter limiter;
    private TokenHandshakeHandler handler;

    @BeforeEach
    void setUp() throws Exception {
        guards = new UpgradeGuards(MASTER, dir,
                json -> json.getAsJsonObject("limits").addProperty("max_connections_per_container", 1));
        tokens = guards.tokens;
        limiter = guards.limiter;
        handler = new TokenHandshakeHandler(guards.authenticator, guards.manager,
                new HandshakeGate(limiter, guards.failures, guards.config.allowedOrigins()), new UpgradeOnly());
    }

    @AfterEach
    void tearDown() {
        guards.close();
    }

    private Answer send(String request) {
        return UpgradeGuards.send(handler, request);
    }

    @Test
    void badIdIs400() {
        Answer a = send(upgrade("/ws/..%2Fetc?token=" + MASTER));
        assertThat(a.status()).isEqualTo(400);
        assertThat(a.text()).contains("{\"error\":").doesNotContain("Upgrade: websocket");
    }

    @Test
    void missingOrWrongTokenIs401() {
        assertThat(send(upgrade("/ws/c-1")).status()).isEqualTo(401);
        assertThat(send(upgrade("/ws/c-1?token=lightd_wrong")).status()).isEqualTo(401);
    }

    @Test
    void foreignOriginIs403AndListedOriginPasses() {
        assertThat(send(upgrade("/ws/c-1?token=" + MASTER, "Origin: https://evil.example")).status()).isEqualTo(403);
        assertThat(send(upgrade("/ws/c-1?token=" + MASTER, "Origin: https://panel.example")).status()).isEqualTo(101);
    }

    @Test
    void overTheCapIs429() {
        assertThat(limiter.tryAcquire("c-1")).isTrue();
        assertThat(send(upgrade("/ws/c-1?token=" + MASTER)).status()).isEqualTo(429);
        limiter.release("c-1");
    }

    @Test
    void bearerHeaderIsAcceptedAndBuildsTheWebSocketPipeline() {
        assertThat(send(upgrade("/ws/c-1", "Authorization: Bearer " + MASTER)).status()).isEqualTo(101);
    }

    @Test
    void singleUseTokenIsConsumedByTheFirstUpgrade() {
        String token = tokens.issue(Duration.ofMinutes(5), true).join().token();
        assertThat(send(upgrade("/ws/c-1?token=" + token)).status()).isEqualTo(101);
        assertThat(send(upgrade("/ws/c-1?token=" + token)).status()).isEqualTo(401);
    }

    @Test
    void aTokenThatDoesNotCoverTheContainerIs403AndKeepsItsSingleUse() {
        ConsoleScope onlyC2 = ConsoleScope.fromJson(com.google.gson.JsonParser.parseString("[\"c-2\"]"), null);
        String token = tokens.issue(Duration.ofMinutes(5), true, onlyC2).join().token();
        Answer refused = send(upgrade("/ws/c-1?token=" + token));
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.text()).contains("{\"error\":\"token does not cover container c-1\"}")
                .doesNotContain("Upgrade: websocket");
        assertThat(send(upgrade("/ws/c-2?token=" + token)).status()).isEqualTo(101);
        assertThat(send(upgrade("/ws/c-2?token=" + token)).status()).isEqualTo(401);
    }

    @Test
    void theHandshakeHeadersAreCheckedFirstWithJsonRefusalsAndACloseAfter() {
        UpgradeGuards.assertHandshakeHeadersCheckedFirst(handler, "/ws/box-1?token=" + MASTER);
    }
}
