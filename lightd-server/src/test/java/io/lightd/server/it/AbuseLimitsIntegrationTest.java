package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.lightd.testing.Await;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The limits that keep one client from knocking the daemon over, on a real socket: connection
 * attempts and failed authentications per remote IP (127.0.0.2 stands in for a second machine),
 * the WebSocket connection caps and the origin allow-list, all refused before any upgrade.
 */
class AbuseLimitsIntegrationTest {

    @RegisterExtension
    static final LightdExtension lightd = LightdExtension.builder()
            .runtime(Daemon.Runtime.PROCESS)
            .limit("auth_failures_per_ip_per_minute", 3)
            .limit("max_connections", 2)
            .limit("max_connections_per_container", 1)
            .configure(AbuseLimitsIntegrationTest::configure)
            .build();

    private static final String PANEL = "https://panel.example";

    private static void configure(JsonObject config) {
        JsonArray origins = new JsonArray();
        origins.add(PANEL);
        config.add("allowed_origins", origins);
    }

    private static InetAddress otherMachine() throws Exception {
        return InetAddress.getByName("127.0.0.2");
    }

    private static String get(String path, String token) {
        return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "Connection: close\r\n\r\n";
    }

    private RawHttp.Answer once(int port, InetAddress from, String request) throws Exception {
        try (RawHttp c = RawHttp.open(port, from)) {
            c.send(request);
            return c.read();
        }
    }

    @Test
    void connectionAttemptsOverTheRateAre429PerAddress() throws Exception {
        JsonObject limits = new JsonObject();
        limits.addProperty("connection_attempts_per_ip_per_second", 0.1);
        limits.addProperty("connection_attempts_per_ip_burst", 3);
        try (Daemon strict = new Daemon(lightd.storage().resolve("strict"), limits)) {
            int port = strict.server().port();
            InetAddress local = InetAddress.getLoopbackAddress();
            for (int i = 0; i < 3; i++) {
                assertThat(once(port, local, get("/api/v1/public/ping", null)).status()).isEqualTo(200);
            }
            RawHttp.Answer refused = once(port, local, get("/containers", Daemon.TOKEN));
            assertThat(refused.status()).isEqualTo(429);
            assertThat(Integer.parseInt(refused.header("Retry-After"))).isBetween(1, 10);
            assertThat(refused.body()).isEqualTo("{\"error\":\"too many connection attempts\"}");
            assertThat(strict.refusedStatus("/ws/any-1?token=" + Daemon.TOKEN, Map.of())).isEqualTo(429);
            assertThat(once(port, otherMachine(), get("/api/v1/public/ping", null)).status())
                    .as("another address has its own bucket").isEqualTo(200);
        }
    }

    @Test
    void repeatedAuthFailuresBlockTheAddressEvenWithAGoodToken() throws Exception {
        int port = lightd.daemon().server().port();
        InetAddress local = InetAddress.getLoopbackAddress();
        assertThat(lightd.daemon().request("GET", "/containers", null, "lightd_guess-number-one-0000").status()).isEqualTo(401);
        assertThat(lightd.daemon().refusedStatus("/ws/any-1?token=lightd_guess-number-two-0000", Map.of())).isEqualTo(401);
        assertThat(lightd.daemon().request("GET", "/metrics", null, "lightd_guess-number-three-00").status())
                .as("the scrape takes the same tokens, so its guesses count too").isEqualTo(401);

        RawHttp.Answer blocked = once(port, local, get("/containers", Daemon.TOKEN));
        assertThat(blocked.status()).isEqualTo(429);
        assertThat(Integer.parseInt(blocked.header("Retry-After"))).isBetween(1, 60);
        assertThat(blocked.body()).isEqualTo("{\"error\":\"too many failed authentications\"}");
        assertThat(lightd.daemon().refusedStatus("/ws/any-1?token=" + Daemon.TOKEN, Map.of())).isEqualTo(429);
        assertThat(once(port, local, get("/metrics", Daemon.TOKEN)).status()).isEqualTo(429);
        assertThat(once(port, local, get("/api/v1/public/ping", null)).status()).as("ping needs no token").isEqualTo(200);
        assertThat(once(port, otherMachine(), get("/containers", Daemon.TOKEN)).status())
                .as("the panel on another address is not affected").isEqualTo(200);
    }

    @Test
    void connectionCapsAre429BeforeTheUpgradeAndFreeAgainOnClose() throws Exception {
        WsClient first = lightd.ws(lightd.id("a"));
        assertThat(lightd.daemon().refusedStatus("/ws/" + lightd.id("a") + "?token=" + Daemon.TOKEN, Map.of()))
                .as("per container").isEqualTo(429);
        lightd.ws(lightd.id("b"));
        assertThat(lightd.daemon().refusedStatus("/ws/" + lightd.id("c") + "?token=" + Daemon.TOKEN, Map.of()))
                .as("in total").isEqualTo(429);
        first.close();
        Await.until("a place is free again after a close", Duration.ofSeconds(10), () -> {
            try {
                lightd.ws(lightd.id("c"));
                return true;
            } catch (CompletionException refused) {
                return false;
            }
        });
    }

    @Test
    void onlyAllowedBrowserOriginsMayOpenAWebSocket() {
        String path = "/ws/" + lightd.id("o") + "?token=" + Daemon.TOKEN;
        assertThat(lightd.daemon().refusedStatus(path, Map.of("Origin", "https://evil.example"))).isEqualTo(403);
        WsClient allowed = lightd.daemon().ws(path, Map.of("Origin", PANEL));
        lightd.closeAfter(allowed);
        assertThat(allowed.isClosed()).isFalse();
    }
}
