package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import io.lightd.testing.Await;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Malformed requests over raw TCP against a daemon with default limits, as a hostile client sends
 * them: each gets its 4xx with the JSON error within a second and the connection is closed by the
 * daemon, none keeps a descriptor, and none costs more than a log line (no stack trace at any level).
 */
class MalformedRequestIntegrationTest {

    @RegisterExtension
    static final LightdExtension lightd = LightdExtension.builder()
            .runtime(Daemon.Runtime.PROCESS)
            .build();

    /** The bound on answer and close. */
    private static final Duration ANSWER_WAIT = Duration.ofSeconds(1);

    @BeforeEach
    void warmUp() throws Exception {
        // The first request of a fresh daemon loads classes; the bound is about the answer, not that.
        try (RawHttp c = raw()) {
            c.send("GET /api/v1/public/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(200);
        }
    }

    private RawHttp raw() throws IOException {
        return RawHttp.open(lightd.daemon().server().port());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET /ws/% HTTP/1.1\r\n\r\n",
        "GET /ws/%ZZ HTTP/1.1\r\n\r\n",
        "GET /ws/abc% HTTP/1.1\r\n\r\n",
        "GET /ws/% HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "GET /ws/%?token=TOKEN HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "GET /ws/%ZZ?token=TOKEN HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "GET /ws/abc%?token=TOKEN HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "GET /ws/% HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer TOKEN\r\n\r\n",
        "GET /ws/%ZZ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer TOKEN\r\n\r\n",
        "GET /ws/abc% HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer TOKEN\r\n\r\n",
        "GET /ws/box?token=%G0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "GET /ws/%C3%28?token=TOKEN HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "GET /console/% HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "GET /console/%ZZ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "GET /console/assets/../console.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "GET /containers/% HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer TOKEN\r\n\r\n",
        "GET /containers/abc%2 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer TOKEN\r\n\r\n",
        "DELETE /containers/x?purge=%ZZ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer TOKEN\r\n\r\n",
        "GET /containers/../auth/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer TOKEN\r\n\r\n",
        "GET /containers/%2e%2E HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer TOKEN\r\n\r\n",
        "GET /metrics/%ff HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "GET * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "GET /ws/box?token=TOKEN HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "GET /console/abc%2Fsession HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer TOKEN\r\n\r\n",
        "POST /containers/% HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer TOKEN\r\nExpect: 100-continue\r\n"
            + "Content-Length: 10\r\n\r\n",
        "POST /containers/%ZZ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer TOKEN\r\n"
            + "Content-Length: 10\r\n\r\n{\"a\"",
    })
    void aMalformedTargetIs400WithAJsonErrorAndTheConnectionIsClosed(String request) throws Exception {
        try (CapturedLog log = CapturedLog.start(); RawHttp c = raw()) {
            c.readTimeout(ANSWER_WAIT);
            c.send(request.replace("TOKEN", Daemon.TOKEN));
            RawHttp.Answer a = c.read();
            assertThat(a.status()).as(a.headers() + a.body()).isEqualTo(400);
            assertThat(a.header("content-type")).isEqualTo("application/json");
            assertThat(JsonParser.parseString(a.body()).getAsJsonObject().get("error").getAsString()).isNotBlank();
            assertThat(a.header("connection")).isEqualToIgnoringCase("close");
            assertThat(c.closedWithin(ANSWER_WAIT)).as("closed by the daemon").isTrue();
            assertThat(log.withStackTraces()).as(log.describe()).isEmpty();
            assertThat(log.lines()).as(log.describe()).isLessThanOrEqualTo(1);
        }
    }

    @Test
    void aBadChunkSizeIs400AndAtMostOneLogLine() throws Exception {
        String client;
        try (CapturedLog log = CapturedLog.start()) {
            try (RawHttp c = raw()) {
                client = ":" + c.localPort();
                c.readTimeout(ANSWER_WAIT);
                c.send("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nZ\r\n");
                RawHttp.Answer a = c.read();
                assertThat(a.status()).isEqualTo(400);
                assertThat(JsonParser.parseString(a.body()).getAsJsonObject().get("error").getAsString()).isNotBlank();
                assertThat(c.closedWithin(ANSWER_WAIT)).isTrue();
            }
            // The close is where the stack trace came from: wait until the daemon has let go of it.
            awaitDaemonSockets(0, Duration.ofSeconds(10));
            assertThat(log.withStackTraces()).as(log.describe()).isEmpty();
            assertThat(log.lines()).as(log.describe()).isLessThanOrEqualTo(1);
            assertThat(log.debugLinesNaming(client)).as("lines at DEBUG about the client").isLessThanOrEqualTo(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/2.0", "HTTP/9.9", "HTTP/1.2"})
    void anotherHttpVersionIs505WithAJsonErrorAndTheConnectionIsClosed(String version) throws Exception {
        try (RawHttp c = raw()) {
            c.readTimeout(ANSWER_WAIT);
            c.send("GET /api/v1/public/ping " + version + "\r\nHost: 127.0.0.1\r\n\r\n");
            RawHttp.Answer a = c.read();
            assertThat(a.status()).as(a.headers() + a.body()).isEqualTo(505);
            assertThat(a.header("content-type")).isEqualTo("application/json");
            assertThat(JsonParser.parseString(a.body()).getAsJsonObject().get("error").getAsString())
                    .isEqualTo("HTTP version not supported; use HTTP/1.1");
            assertThat(c.closedWithin(ANSWER_WAIT)).as("closed by the daemon").isTrue();
        }
    }

    @Test
    void anAbsoluteFormTargetIsServedAsItsPath() throws Exception {
        try (RawHttp c = raw()) {
            c.send("GET http://127.0.0.1/api/v1/public/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            RawHttp.Answer a = c.read();
            assertThat(a.status()).isEqualTo(200);
            assertThat(a.body()).contains("\"status\":\"ok\"");
        }
    }

    @Test
    void fortyMalformedConnectionsLetGoOfTheirDescriptorsWithoutTheClientClosing() throws Exception {
        long baseline = daemonDescriptors();
        List<RawHttp> clients = new ArrayList<>();
        try (CapturedLog log = CapturedLog.start()) {
            for (int i = 0; i < 40; i++) {
                RawHttp c = raw();
                clients.add(c);
                c.send((i % 2 == 0 ? "GET /ws/% HTTP/1.1\r\n\r\n" : "GET /ws/abc%?token=" + Daemon.TOKEN
                        + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
            }
            // Within the request deadline (10 s by default), with every client still holding its end.
            awaitDaemonSockets(0, Duration.ofSeconds(10));
            Await.until("the daemon's descriptors, at most " + baseline, Duration.ofSeconds(10),
                    this::daemonDescriptors, n -> n <= baseline);
            assertThat(log.withStackTraces()).as(log.describe()).isEmpty();
            assertThat(log.lines()).as(log.describe()).isLessThanOrEqualTo(40);
        } finally {
            for (RawHttp c : clients) {
                c.close();
            }
        }
    }

    /** Waits until the daemon holds at most {@code most} accepted connections; fails after {@code wait}. */
    private void awaitDaemonSockets(int most, Duration wait) throws Exception {
        Await.until("connections the daemon still holds, at most " + most, wait,
                () -> Sockets.heldByDaemon(lightd.daemon().server().port()), held -> held <= most);
    }

    /** The descriptors this process holds, less the test's own client sockets to the daemon. */
    private long daemonDescriptors() throws IOException {
        return Sockets.descriptorsOutsideClients(lightd.daemon().server().port());
    }
}
