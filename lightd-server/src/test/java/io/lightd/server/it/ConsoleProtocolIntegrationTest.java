package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.protocol.ActionOutcome;
import io.lightd.protocol.PowerAction;
import io.lightd.server.metrics.Metrics;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The protocol end to end with the process runtime: the shared scenarios of
 * {@link ConsoleScenarios}, plus what does not depend on the runtime at all (tokens, frame limits,
 * unknown containers).
 */
class ConsoleProtocolIntegrationTest extends ConsoleScenarios {

    @Override
    Daemon.Runtime runtime() {
        return Daemon.Runtime.PROCESS;
    }

    @Test
    void unknownContainerIsSilentUntilCreated() throws Exception {
        WsClient c = ws("ghost-1");
        Metrics metrics = daemon.server().containers().metrics();
        long refusedBefore = metrics.powerActions(PowerAction.START, ActionOutcome.NOT_FOUND);
        // The history request goes first: the hub's loop answers in order, so once the power action
        // is counted, both have been answered (or not) and any reply is queued for this session.
        c.send("{\"event\":\"request_logs\"}");
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        Await.until("the power action answered",
                () -> metrics.powerActions(PowerAction.START, ActionOutcome.NOT_FOUND) > refusedBefore);
        c.send("not json");
        assertThat(WsClient.describe(c.next())).as("the first thing the client hears")
                .isEqualTo("daemon_message:Error: invalid JSON");
        create("ghost-1", "true", null, null);
        assertThat(WsClient.describe(c.next())).isEqualTo("event:installing");
    }

    @Test
    void watchersOfUnknownIdsLeaveNothingBehind() throws Exception {
        int before = daemon.server().containers().hubCount();
        for (int i = 0; i < 20; i++) {
            WsClient c = daemon.ws("nobody-" + i);
            c.close();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (daemon.server().containers().hubCount() != before && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(daemon.server().containers().hubCount()).as("hubs of ids nobody created or watches").isEqualTo(before);
    }

    @Test
    void oversizeFrameClosesWith1009() {
        WsClient c = ws("big-1");
        c.send("{\"event\":\"send_command\",\"command\":\"" + "x".repeat(20_000) + "\"}");
        assertThat(c.awaitClose().code()).isEqualTo(1009);
    }

    @Test
    void tokensAreCheckedBeforeTheUpgrade() {
        assertThat(daemon.refusedStatus("/ws/any-1?token=lightd_wrong-token-123456", Map.of())).isEqualTo(401);
        assertThat(daemon.refusedStatus("/ws/any-1", Map.of())).isEqualTo(401);
        assertThat(daemon.refusedStatus("/ws/bad%2Fid?token=" + Daemon.TOKEN, Map.of())).isEqualTo(400);
        WsClient bearer = daemon.ws("/ws/any-1", Map.of("Authorization", "Bearer " + Daemon.TOKEN));
        clients.add(bearer);
        assertThat(bearer.isClosed()).isFalse();
    }

    @Test
    void singleUseTokenWorksOnce() {
        Daemon.Reply issued = daemon.request("POST", "/auth/tokens", "{\"ttl\":\"5m\",\"remove_on_use\":true}");
        assertThat(issued.status()).isEqualTo(201);
        String token = issued.body().get("token").getAsString();
        assertThat(token).startsWith("lightd_");
        clients.add(daemon.ws("once-1", token));
        assertThat(daemon.refusedStatus("/ws/once-1?token=" + token, Map.of())).isEqualTo(401);
    }

    @Test
    void sessionClosesWith4001AtTokenExpiry() {
        String token = daemon.request("POST", "/auth/tokens", "{\"ttl\":\"2s\"}").body().get("token").getAsString();
        WsClient c = ws("ttl-1");
        WsClient expiring = daemon.ws("ttl-1", token);
        clients.add(expiring);
        WsClient.Close close = expiring.awaitClose();
        assertThat(close).isEqualTo(new WsClient.Close(4001, "token expired"));
        assertThat(c.isClosed()).isFalse();
    }

    @Test
    void revokingATokenCloses4003() {
        String token = daemon.request("POST", "/auth/tokens", "{\"ttl\":\"10m\"}").body().get("token").getAsString();
        WsClient c = daemon.ws("rev-1", token);
        clients.add(c);
        assertThat(daemon.request("DELETE", "/auth/tokens/" + token, null).status()).isEqualTo(200);
        assertThat(c.awaitClose()).isEqualTo(new WsClient.Close(4003, "token revoked"));
        assertThat(daemon.request("DELETE", "/auth/tokens/" + token, null).status()).isEqualTo(404);
        assertThat(daemon.refusedStatus("/ws/rev-1?token=" + token, Map.of())).isEqualTo(401);
    }
}
