package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.testing.Await;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Token abuse beyond what {@link ConsoleProtocolIntegrationTest} covers (a single-use token
 * replayed once, expiry during a session, one revoked session): a single-use token raced by many
 * clients at once, a token presented after its expiry, a revoked token with several live sessions
 * next to sessions on other tokens, and tokens or request lines too large to be tokens.
 */
class HostileTokenIntegrationTest {

    @RegisterExtension
    static final LightdExtension lightd = LightdExtension.builder()
            .runtime(Daemon.Runtime.PROCESS)
            .limit("auth_failures_per_ip_per_minute", 1000)
            .build();

    private static final int RACERS = 20;

    private String issue(String ttl, boolean removeOnUse) {
        Daemon.Reply r = lightd.daemon().request("POST", "/auth/tokens",
                "{\"ttl\":\"" + ttl + "\",\"remove_on_use\":" + removeOnUse + "}");
        assertThat(r.status()).isEqualTo(201);
        return r.body().get("token").getAsString();
    }

    @Test
    void aSingleUseTokenRacedByManyClientsOpensExactlyOneSession() throws Exception {
        String token = issue("5m", true);
        int port = lightd.daemon().server().port();
        ExecutorService racers = Executors.newFixedThreadPool(RACERS);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<Integer>> statuses = new ArrayList<>();
            for (int i = 0; i < RACERS; i++) {
                statuses.add(racers.submit(() -> {
                    start.await();
                    return RawWsClient.upgradeStatus(port, "/ws/race-1?token=" + token);
                }));
            }
            start.countDown();
            List<Integer> answers = new ArrayList<>();
            for (Future<Integer> f : statuses) {
                answers.add(f.get());
            }
            assertThat(answers).filteredOn(s -> s == 101).hasSize(1);
            assertThat(answers).filteredOn(s -> s == 401).hasSize(RACERS - 1);
        } finally {
            racers.shutdownNow();
        }
        assertThat(lightd.daemon().refusedStatus("/ws/race-1?token=" + token, Map.of())).isEqualTo(401);
    }

    @Test
    void aTokenPresentedAfterItsExpiryIsRefusedForWebSocketAndRest() throws Exception {
        String token = issue("1s", false);
        // The token's second passes: until then REST knows it (403, a console token on an admin route;
        // a token that never expired would end the wait at its deadline), and from then on nothing does.
        Await.until("the token expired", () -> lightd.daemon().request("GET", "/containers", null, token).status() == 401);
        assertThat(lightd.daemon().refusedStatus("/ws/late-1?token=" + token, Map.of())).isEqualTo(401);
        assertThat(lightd.daemon().refusedStatus("/ws/late-1", Map.of("Authorization", "Bearer " + token))).isEqualTo(401);
        assertThat(lightd.daemon().request("GET", "/containers", null, token).status()).isEqualTo(401);
    }

    @Test
    void revokingATokenClosesEachOfItsSessionsWith4003AndNoOtherSession() {
        String id = lightd.id("rev-many");
        DaemonHealth.startEchoServer(lightd.daemon(), id);
        String revoked = issue("10m", false);
        String kept = issue("10m", false);
        List<WsClient> onRevoked = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            WsClient c = lightd.daemon().ws(i == 2 ? "other-1" : id, revoked);
            lightd.closeAfter(c);
            onRevoked.add(c);
        }
        WsClient onKept = lightd.daemon().ws(id, kept);
        lightd.closeAfter(onKept);
        WsClient onMaster = lightd.ws(id);
        onKept.await(WsClient.state("running"));
        onMaster.await(WsClient.state("running"));

        assertThat(lightd.daemon().request("DELETE", "/auth/tokens/" + revoked, null).status()).isEqualTo(200);
        for (WsClient c : onRevoked) {
            assertThat(c.awaitClose()).isEqualTo(new WsClient.Close(4003, "token revoked"));
        }
        assertThat(lightd.daemon().refusedStatus("/ws/" + id + "?token=" + revoked, Map.of())).isEqualTo(401);
        for (WsClient c : List.of(onKept, onMaster)) {
            c.send("{\"event\":\"send_command\",\"command\":\"after the revocation\\n\"}");
            c.await(m -> DaemonHealth.eventOf(m).equals("console")
                    && m.get("data").getAsString().contains("echo: after the revocation\n"));
            assertThat(c.isClosed()).isFalse();
        }
    }

    @Test
    void oversizeTokensAndRequestLinesAreRefusedBeforeAnyUpgrade() throws Exception {
        int port = lightd.daemon().server().port();
        String longToken = "lightd_" + "a".repeat(600);
        assertThat(RawWsClient.upgradeStatus(port, "/ws/big-1?token=" + longToken)).isEqualTo(401);
        assertThat(lightd.daemon().refusedStatus("/ws/big-1", Map.of("Authorization", "Bearer " + longToken))).isEqualTo(401);
        assertThat(RawWsClient.upgradeStatus(port, "/ws/big-1?token=" + "x".repeat(10_000)))
                .as("a request line longer than the HTTP decoder takes").isBetween(400, 499);
        try (Socket socket = RawWsClient.connect(port)) {
            socket.getOutputStream().write(("GET /ws/big-1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + "y".repeat(20_000) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(RawWsClient.statusOf(socket)).as("a header longer than the HTTP decoder takes").isBetween(400, 499);
        }
        String id = lightd.id("big-ok");
        DaemonHealth.startEchoServer(lightd.daemon(), id);
        DaemonHealth.assertServesAFreshClient(lightd.daemon(), id);
    }
}
