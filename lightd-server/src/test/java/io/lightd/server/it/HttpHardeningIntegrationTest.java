package io.lightd.server.it;

import static io.lightd.server.it.WsClient.daemon;
import static io.lightd.server.it.WsClient.state;
import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.testing.Await;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A daemon on a real socket against clients that take too long or send too much: the request
 * deadline (1 s here) cuts off trickled and idle connections but not WebSocket sessions, oversize
 * requests get their status and a JSON error, and over-long commands are refused without harm.
 *
 * <p>No verdict here depends on how fast the machine answers: REST answers have the default answer
 * deadline (60 s), not the 1 s request deadline, and a REST request made after the test has been
 * busy for a while goes on a connection of its own, never on a kept-alive one that the 1 s idle
 * close may be shutting at that very moment.
 */
class HttpHardeningIntegrationTest {

    @RegisterExtension
    static final LightdExtension lightd = LightdExtension.builder()
            .runtime(Daemon.Runtime.PROCESS)
            .limit("handshake_timeout_seconds", 1)
            .limit("http_max_body_bytes", 2048)
            .limit("max_command_bytes", 16)
            .build();

    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private RawHttp raw() throws Exception {
        return RawHttp.open(lightd.daemon().server().port());
    }

    @Test
    void aClientTricklingItsHeadersIsCutOff() throws Exception {
        String request = "GET /containers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + Daemon.TOKEN
                + "\r\nX-Padding: " + "p".repeat(400) + "\r\n\r\n";
        try (RawHttp c = raw()) {
            int sent = c.trickle(request, Duration.ofMillis(100));
            assertThat(sent).as("bytes sent before the server hung up").isLessThan(request.length());
            assertThat(c.closedWithin(CLOSE_WAIT)).isTrue();
        }
    }

    @Test
    void headersCutOffAtTheDeadlineCostOneLineAtDebug() throws Exception {
        try (CapturedLog log = CapturedLog.start()) {
            String client;
            try (RawHttp c = raw()) {
                client = ":" + c.localPort();
                c.send("GET /containers HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ");
                assertThat(c.closedWithin(CLOSE_WAIT)).isTrue();
            }
            Await.until("the daemon has let go of the connection", CLOSE_WAIT,
                    () -> Sockets.heldByDaemon(lightd.daemon().server().port()) == 0);
            assertThat(log.withStackTraces()).as(log.describe()).isEmpty();
            assertThat(log.debugLinesNaming(client)).as("lines at DEBUG about the client").isEqualTo(1);
        }
    }

    @Test
    void aClientStalledInItsBodyGets408() throws Exception {
        try (RawHttp c = raw()) {
            c.send("POST /containers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + Daemon.TOKEN
                    + "\r\nContent-Length: 100\r\n\r\n{\"internal_id\":");
            RawHttp.Answer a = c.read();
            assertThat(a.status()).isEqualTo(408);
            assertThat(a.body()).isEqualTo("{\"error\":\"request not received in time\"}");
            assertThat(c.closedWithin(CLOSE_WAIT)).isTrue();
        }
    }

    @Test
    void aSilentConnectionAndAnIdleKeptAliveOneAreClosed() throws Exception {
        try (RawHttp silent = raw(); RawHttp kept = raw()) {
            kept.send("GET /api/v1/public/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            assertThat(kept.read().status()).isEqualTo(200);
            assertThat(silent.closedWithin(CLOSE_WAIT)).isTrue();
            assertThat(kept.closedWithin(CLOSE_WAIT)).isTrue();
        }
    }

    @Test
    void aWebSocketSessionOutlivesTheDeadline() throws Exception {
        String id = lightd.id("long-1");
        lightd.create(id, "cat", null, null);
        WsClient c = lightd.ws(id);
        c.await(state("installed"));
        // A silent connection opened after the upgrade is closed at its deadline: the WebSocket's
        // would have passed by then, had it kept one.
        try (RawHttp silent = raw()) {
            assertThat(silent.closedWithin(CLOSE_WAIT)).isTrue();
        }
        assertThat(c.isClosed()).isFalse();
        c.send("{\"event\":\"request_logs\"}");
        assertThat(c.await(m -> m.get("event").getAsString().equals("logs"))).isNotNull();
    }

    @Test
    void oversizeRequestsGetTheirStatusAndAJsonError() throws Exception {
        try (RawHttp c = raw()) {
            c.send("GET /containers/" + "x".repeat(5000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            RawHttp.Answer a = c.read();
            assertThat(a.status()).isEqualTo(414);
            assertThat(a.body()).isEqualTo("{\"error\":\"request line longer than 4096 bytes\"}");
            assertThat(c.closedWithin(CLOSE_WAIT)).isTrue();
        }
        try (RawHttp c = raw()) {
            c.send("GET /containers HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + "c".repeat(9000) + "\r\n\r\n");
            RawHttp.Answer a = c.read();
            assertThat(a.status()).isEqualTo(431);
            assertThat(a.body()).isEqualTo("{\"error\":\"request headers larger than 8192 bytes\"}");
            assertThat(c.closedWithin(CLOSE_WAIT)).isTrue();
        }
        try (RawHttp c = raw()) {
            c.send("POST /containers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + Daemon.TOKEN
                    + "\r\nContent-Type: application/json\r\nContent-Length: 3000\r\n\r\n");
            RawHttp.Answer a = c.read();
            assertThat(a.status()).isEqualTo(413);
            assertThat(a.header("Connection")).isEqualTo("close");
            assertThat(a.body()).isEqualTo("{\"error\":\"request body larger than 2048 bytes\"}");
            assertThat(c.closedWithin(CLOSE_WAIT)).isTrue();
        }
        assertThat(lightd.daemon().request("GET", "/api/v1/public/ping", null).status()).isEqualTo(200);
    }

    @Test
    void aTooLongCommandIsRefusedAndNotWritten() throws Exception {
        String id = lightd.id("cmd-1");
        lightd.create(id, "cat", null, null);
        WsClient c = lightd.ws(id);
        c.await(state("installed"));
        c.send("{\"event\":\"power\",\"action\":\"start\"}");
        c.await(daemon("Container started"));
        c.send("{\"event\":\"send_command\",\"command\":\"" + "y".repeat(16) + "\\n\"}");
        assertThat(c.await(m -> m.get("event").getAsString().equals("daemon_message")).get("data").getAsString())
                .isEqualTo("Error: command too long (17 bytes; the limit is 16)");
        try (RawHttp rest = raw()) {
            String body = "{\"command\":\"" + "z".repeat(20) + "\"}";
            rest.send("POST /containers/" + id + "/command HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    + Daemon.TOKEN + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                    + "\r\n\r\n" + body);
            RawHttp.Answer a = rest.read();
            assertThat(a.status()).isEqualTo(400);
            assertThat(a.body()).isEqualTo("{\"error\":\"command too long (20 bytes; the limit is 16)\"}");
        }
        c.send("{\"event\":\"send_command\",\"command\":\"short\\n\"}");
        assertThat(c.await(m -> m.get("event").getAsString().equals("console")).get("data").getAsString())
                .as("the first thing cat echoes").isEqualTo("short\n");
    }
}
