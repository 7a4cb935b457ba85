package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.gson.JsonObject;
import io.lightd.testing.Await;
import io.netty.channel.DefaultChannelPipeline;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * 5,000 connections ({@code -Dlightd.churn.connections=N}) opened and dropped with a TCP reset at
 * every stage: right after connecting, inside the HTTP request, before and after the 101, inside a
 * frame, after a request. Afterwards the daemon's open files and heap are back near where they
 * were, every connection place is free again (exactly the configured number of WebSockets can be
 * opened, one more is refused with 429), no hub of an unknown id is left, no error went unhandled
 * to the end of a pipeline, and it serves a fresh client. The daemon runs in this JVM, so files are counted in /proc/self/fd after the test's own
 * sockets are closed.
 */
class HostileChurnIntegrationTest {

    private static final int CONNECTIONS = Integer.getInteger("lightd.churn.connections", 5_000);
    private static final int CAP = 200;
    private static final int CLIENT_THREADS = 2;
    private static final long FD_TOLERANCE = 16;
    private static final long HEAP_GROWTH_BOUND = 32L * 1024 * 1024;

    @TempDir
    Path storage;

    /**
     * The limits this class runs with: connection caps low enough that the last check can fill them,
     * high enough that the churn (at most {@link #CLIENT_THREADS} connections at a time, plus those
     * the daemon has not yet seen reset) never reaches them; the per-address connection-attempt
     * limit far above the churn's rate (all of it comes from one address).
     */
    private static JsonObject limits() {
        JsonObject limits = new JsonObject();
        limits.addProperty("max_connections", CAP);
        limits.addProperty("max_connections_per_container", CAP);
        limits.addProperty("inbound_rate_per_second", 1000);
        limits.addProperty("inbound_burst", 1000);
        limits.addProperty("connection_attempts_per_ip_per_second", 100_000);
        limits.addProperty("connection_attempts_per_ip_burst", 100_000);
        return limits;
    }

    @Test
    void connectionsDroppedAtEveryStageLeaveNothingBehind() throws Exception {
        try (Daemon daemon = new Daemon(storage, limits())) {
            int port = daemon.server().port();
            DaemonHealth.startEchoServer(daemon, "echo-1");
            DaemonHealth.assertServesAFreshClient(daemon, "echo-1");
            int hubs = daemon.server().containers().hubCount();
            long fdsBefore = DaemonHealth.openFds();
            long heapBefore = DaemonHealth.heapAfterGc();

            ListAppender<ILoggingEvent> pipelineTail = new ListAppender<>();
            pipelineTail.start();
            Logger tailLog = (Logger) LoggerFactory.getLogger(DefaultChannelPipeline.class);
            tailLog.addAppender(pipelineTail);
            AtomicInteger next = new AtomicInteger();
            AtomicInteger upgraded = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            ExecutorService clients = Executors.newFixedThreadPool(CLIENT_THREADS);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < CLIENT_THREADS; t++) {
                    done.add(clients.submit(() -> {
                        for (int i = next.getAndIncrement(); i < CONNECTIONS; i = next.getAndIncrement()) {
                            dropOne(port, i, upgraded, refused);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                clients.shutdownNow();
                tailLog.detachAppender(pipelineTail);
            }
            System.out.printf("churn: %d connections, %d upgraded, %d refused with 429%n", CONNECTIONS,
                    upgraded.get(), refused.get());
            assertThat(upgraded.get()).as("connections that got as far as the upgrade")
                    .isEqualTo(IntStream.range(0, CONNECTIONS).filter(i -> i % 7 >= 4).count());
            assertThat(pipelineTail.list).as("errors no handler took care of (each logged with a stack trace)")
                    .extracting(ILoggingEvent::getFormattedMessage).isEmpty();

            long fdsAfter = awaitFdsAtMost(fdsBefore + FD_TOLERANCE);
            long heapAfter = DaemonHealth.heapAfterGc();
            System.out.printf("churn: open files %d before, %d after; heap after GC %s before, %s after%n", fdsBefore,
                    fdsAfter, DaemonHealth.mib(heapBefore), DaemonHealth.mib(heapAfter));
            assertThat(fdsAfter).as("open files after the churn").isLessThanOrEqualTo(fdsBefore + FD_TOLERANCE);
            assertThat(heapAfter - heapBefore).as("heap growth over the churn").isLessThan(HEAP_GROWTH_BOUND);
            awaitHubs(daemon, hubs);
            DaemonHealth.assertServesAFreshClient(daemon, "echo-1");
            assertEveryPlaceIsFree(port);
        }
    }

    /** Opens connection {@code i} and resets it at the stage {@code i} picks. */
    private static void dropOne(int port, int i, AtomicInteger upgraded, AtomicInteger refused) throws Exception {
        String id = i % 7 == 5 ? "ghost-" + (i % 50) : "echo-1";
        String request = RawWsClient.upgradeRequest("/ws/" + id + "?token=" + Daemon.TOKEN,
                Base64.getEncoder().encodeToString(RawWsClient.randomBytes(16)));
        Socket socket = RawWsClient.connect(port);
        try {
            OutputStream out = socket.getOutputStream();
            switch (i % 7) {
                case 0 -> { }
                case 1 -> out.write(request.substring(0, 1 + i % (request.length() - 1)).getBytes(StandardCharsets.US_ASCII));
                case 2 -> out.write(request.getBytes(StandardCharsets.US_ASCII));
                case 3 -> out.write(("POST /containers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + Daemon.TOKEN
                        + "\r\nContent-Length: 1000\r\n\r\n{\"internal_id\":").getBytes(StandardCharsets.US_ASCII));
                default -> {
                    socket = upgrade(socket, port, request, refused);
                    out = socket.getOutputStream();
                    upgraded.incrementAndGet();
                    if (i % 7 == 4) {
                        // the first two bytes of a 100-byte frame
                        out.write(new byte[] {(byte) 0x81, (byte) 0xE4});
                    } else if (i % 7 == 5) {
                        out.write(RawWsClient.text("{\"event\":\"request_logs\"}"));
                    }
                }
            }
            out.flush();
        } finally {
            RawWsClient.abort(socket);
        }
    }

    /**
     * Sends {@code request} on {@code first} and returns the upgraded connection. Every place may be
     * held by connections the daemon has not yet seen reset (how many depends on how fast it
     * notices): a 429 is counted in {@code refused}, that connection reset and a new one tried, until
     * a place frees.
     */
    private static Socket upgrade(Socket first, int port, String request, AtomicInteger refused) throws Exception {
        Socket[] current = {first};
        try {
            Await.until("a connection place freed", WsClient.WAIT, () -> {
                if (current[0] == null) {
                    current[0] = RawWsClient.connect(port);
                }
                current[0].getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                int status = RawWsClient.statusOf(current[0]);
                if (status == 429) {
                    refused.incrementAndGet();
                    RawWsClient.abort(current[0]);
                    current[0] = null;
                    return false;
                }
                assertThat(status).isEqualTo(101);
                return true;
            });
        } catch (Exception | AssertionError e) {
            if (current[0] != null) {
                RawWsClient.abort(current[0]);
            }
            throw e;
        }
        return current[0];
    }

    /** Polls until the open files are at most {@code bound}: the daemon closes reset connections as it notices them. */
    private static long awaitFdsAtMost(long bound) throws Exception {
        return Await.until("open files after the churn, at most " + bound, WsClient.WAIT, DaemonHealth::openFds,
                fds -> fds <= bound);
    }

    private static void awaitHubs(Daemon daemon, int hubs) throws Exception {
        Await.until("hubs after the churn", WsClient.WAIT, () -> daemon.server().containers().hubCount(),
                n -> n == hubs);
    }

    /**
     * Every connection the churn held has given its place back: {@link #CAP} WebSockets open, and
     * the next is refused with 429. Places are given back as the daemon notices resets, so a refusal
     * before the cap is retried for a while.
     */
    private static void assertEveryPlaceIsFree(int port) throws Exception {
        List<RawWsClient> open = new ArrayList<>();
        try {
            Await.until("all " + CAP + " places free", WsClient.WAIT, () -> {
                try {
                    open.add(RawWsClient.open(port, "echo-1"));
                } catch (AssertionError refused) {
                    // not yet given back
                }
                return open.size() == CAP;
            });
            assertThat(RawWsClient.upgradeStatus(port, "/ws/echo-1?token=" + Daemon.TOKEN))
                    .as("one more than the cap").isEqualTo(429);
        } finally {
            open.forEach(RawWsClient::abort);
        }
    }
}
