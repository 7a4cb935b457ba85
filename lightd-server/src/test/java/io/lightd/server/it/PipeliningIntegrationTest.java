package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.testing.Await;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Clients that pipeline many requests over a real socket: one that never reads its answers is
 * closed at the answer deadline (2 s here) with a DEBUG line only, however much output is waiting
 * for it; one that reads late gets exactly one answer per request.
 */
class PipeliningIntegrationTest {

    @RegisterExtension
    static final LightdExtension lightd = LightdExtension.builder()
            .runtime(Daemon.Runtime.PROCESS)
            .limit("response_timeout_seconds", 2)
            .limit("handshake_timeout_seconds", 2)
            .build();

    private static final String ASSET = "GET /node/assets/node.js HTTP/1.1\r\nHost: x\r\n\r\n";

    @Test
    void aClientThatPipelinesAndNeverReadsIsClosed() throws Exception {
        int port = lightd.daemon().server().port();
        try (CapturedLog log = CapturedLog.start(); Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            s.getOutputStream().write(ASSET.repeat(200).getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            Await.until("the daemon has let go of the connection", Duration.ofSeconds(30),
                    () -> Sockets.heldByDaemon(port) == 0);
            assertThat(log.lines()).as("the client's doing: nothing above DEBUG\n" + log.describe()).isZero();
        }
    }

    @Test
    void aClientThatReadsLateGetsOneAnswerPerRequest() throws Exception {
        int requests = 50;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", lightd.daemon().server().port()), 5_000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET /api/v1/public/ping HTTP/1.1\r\nHost: x\r\n\r\n").repeat(requests)
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            // Every answer is written at once; the daemon closes the connection at its request deadline.
            InputStream in = s.getInputStream();
            String all = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(all.split("HTTP/1.1 ", -1).length - 1).as("answers").isEqualTo(requests);
            assertThat(all).doesNotContain("503");
        }
    }
}
