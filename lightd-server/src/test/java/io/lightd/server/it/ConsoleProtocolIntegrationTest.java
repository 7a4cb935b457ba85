package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.protocol.ActionOutcome;
import io.lightd.protocol.PowerAction;
import io.lightd.server.metrics.Metrics;
import io.lightd.testing.Await;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The protocol end to end with the process runtime: the shared scenarios of
 * {@link ConsoleScenarios}, plus what does not depend on the runtime at all (tokens, frame limits,
 * unknown containers).
 */
class ConsoleProtocolIntegrationTest extends ConsoleScenarios {

    ConsoleProtocolIntegrationTest() {
        super(LightdExtension.builder()
                .runtime(Daemon.Runtime.PROCESS));
    }

    @Test
    void unknownContainerIsSilentUntilCreated() throws Exception {
        WsClient c = lightd.ws("ghost-1");
        Metrics metrics = lightd.daemon().server().containers().metrics();
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
        lightd.create("ghost-1", "true", null, null);
        assertThat(WsClient.describe(c.next())).isEqualTo("event:installing");
    }

    @Test
    void watchersOfUnknownIdsLeaveNothingBehind() throws Exception {
        int before = lightd.daemon().server().containers().hubCount();
        for (int i = 0; i < 20; i++) {
            WsClient c = lightd.daemon().ws("nobody-" + i);
            c.close();
        }
        Await.until("hubs of ids nobody created or watches", Duration.ofSeconds(10),
                () -> lightd.daemon().server().containers().hubCount(), n -> n == before);
    }

    @Test
    void oversizeFrameClosesWith1009() {
        WsClient c = lightd.ws("big-1");
        c.send("{\"event\":\"send_command\",\"command\":\"" + "x".repeat(20_000) + "\"}");
        assertThat(c.awaitClose().code()).isEqualTo(1009);
    }

    @Test
    void tokensAreCheckedBeforeTheUpgrade() {
        assertThat(lightd.daemon().refusedStatus("/ws/any-1?token=lightd_wrong-token-123456", Map.of())).isEqualTo(401);
        assertThat(lightd.daemon().refusedStatus("/ws/any-1", Map.of())).isEqualTo(401);
        assertThat(lightd.daemon().refusedStatus("/ws/bad%2Fid?token=" + Daemon.TOKEN, Map.of())).isEqualTo(400);
        WsClient bearer = lightd.daemon().ws("/ws/any-1", Map.of("Authorization", "Bearer " + Daemon.TOKEN));
        lightd.closeAfter(bearer);
        assertThat(bearer.isClosed()).isFalse();
    }

    @Test
    void singleUseTokenWorksOnce() {
        Daemon.Reply issued = lightd.daemon().request("POST", "/auth/tokens", "{\"ttl\":\"5m\",\"remove_on_use\":true}");
        assertThat(issued.status()).isEqualTo(201);
        String token = issued.body().get("token").getAsString();
        assertThat(token).startsWith("lightd_");
        lightd.closeAfter(lightd.daemon().ws("once-1", token));
        assertThat(lightd.daemon().refusedStatus("/ws/once-1?token=" + token, Map.of())).isEqualTo(401);
    }

    @Test
    void sessionClosesWith4001AtTokenExpiry() {
        String token = lightd.daemon().request("POST", "/auth/tokens", "{\"ttl\":\"2s\"}").body().get("token").getAsString();
        WsClient c = lightd.ws("ttl-1");
        WsClient expiring = lightd.daemon().ws("ttl-1", token);
        lightd.closeAfter(expiring);
        WsClient.Close close = expiring.awaitClose();
        assertThat(close).isEqualTo(new WsClient.Close(4001, "token expired"));
        assertThat(c.isClosed()).isFalse();
    }

    @Test
    void revokingATokenCloses4003() {
        String token = lightd.daemon().request("POST", "/auth/tokens", "{\"ttl\":\"10m\"}").body().get("token").getAsString();
        WsClient c = lightd.daemon().ws("rev-1", token);
        lightd.closeAfter(c);
        assertThat(lightd.daemon().request("DELETE", "/auth/tokens/" + token, null).status()).isEqualTo(200);
        assertThat(c.awaitClose()).isEqualTo(new WsClient.Close(4003, "token revoked"));
        assertThat(lightd.daemon().request("DELETE", "/auth/tokens/" + token, null).status()).isEqualTo(404);
        assertThat(lightd.daemon().refusedStatus("/ws/rev-1?token=" + token, Map.of())).isEqualTo(401);
    }
}
