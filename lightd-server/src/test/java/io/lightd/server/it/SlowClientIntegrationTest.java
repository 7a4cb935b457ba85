package io.lightd.server.it;

import static io.lightd.server.it.WsClient.daemon;
import static io.lightd.server.it.WsClient.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.lightd.testing.Await;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that stops reading never holds the container or the other clients back: its console
 * frames are skipped past the high-water mark and it is told how many when it drains; if it stays
 * stalled it is closed with 1008.
 */
class SlowClientIntegrationTest {

    /** About 24 MB of console output: far more than the socket buffers between daemon and client hold. */
    private static final String FLOOD = "head -c 24000000 /dev/zero | tr '\\\\0' x | fold -w 200; echo flood-done";

    @TempDir
    Path storage;

    private static void createFlood(Daemon daemon, String id) {
        Daemon.Reply r = daemon.request("POST", "/containers", "{\"internal_id\":\"" + id
                + "\",\"image\":\"local\",\"startup_command\":\"" + FLOOD + "\"}");
        assertThat(r.status()).as(r.body().toString()).isEqualTo(202);
    }

    /** The flood must reach the clients whole: the per-container console throttle is out of the way. */
    private static JsonObject unthrottled() {
        JsonObject limits = new JsonObject();
        limits.addProperty("console_lines_per_second", 100_000_000);
        limits.addProperty("console_bytes_per_second", 1_000_000_000);
        return limits;
    }

    private static long consoleChars(List<JsonObject> messages) {
        return messages.stream().filter(m -> m.get("event").getAsString().equals("console"))
                .mapToLong(m -> m.get("data").getAsString().length()).sum();
    }

    @Test
    void aStalledClientIsSkippedAndToldWhileAReadingClientGetsMore() throws Exception {
        JsonObject limits = unthrottled();
        limits.addProperty("slow_client_close_seconds", 600);
        try (Daemon daemon = new Daemon(storage, limits)) {
            WsClient fast = daemon.ws("flood-1");
            WsClient stalled = daemon.pausedWs("flood-1");
            createFlood(daemon, "flood-1");
            fast.await(state("installed"));
            fast.send("{\"event\":\"power\",\"action\":\"start\"}");
            long fastText = consoleChars(fast.until(daemon("Container stopped")));

            stalled.resume();
            // The notice goes out when the client has drained, so it may come before or after the
            // final messages of the run; read until both have been seen.
            List<JsonObject> late = new java.util.ArrayList<>();
            boolean stopped = false;
            JsonObject notice = null;
            while (!stopped || notice == null) {
                JsonObject m = stalled.next();
                late.add(m);
                stopped |= daemon("Container stopped").test(m);
                if (m.get("event").getAsString().equals("daemon_message")
                        && m.get("data").getAsString().startsWith("Error: skipped ")) {
                    notice = m;
                }
            }
            assertThat(notice.get("data").getAsString())
                    .matches("Error: skipped [1-9][0-9]* console messages \\(slow connection\\)");
            long skipped = Long.parseLong(notice.get("data").getAsString().split(" ")[2]);
            assertThat(daemon.server().containers().metrics().framesDropped())
                    .as("dropped frames in the metrics: both console frames of each skipped message, and stats")
                    .isGreaterThanOrEqualTo(2 * skipped);
            long stalledText = consoleChars(late);
            assertThat(fastText).as("the reading client got more than the stalled one").isGreaterThan(stalledText);
            fast.close();
            stalled.close();
        }
    }

    @Test
    void aClientStalledTooLongIsClosedWith1008() throws Exception {
        JsonObject limits = unthrottled();
        limits.addProperty("slow_client_close_seconds", 1);
        try (Daemon daemon = new Daemon(storage, limits)) {
            WsClient stalled = daemon.pausedWs("flood-2");
            try (WsClient watcher = daemon.ws("flood-2")) {
                createFlood(daemon, "flood-2");
                watcher.await(state("installed"));
            }
            // Only the stalled client watches the flood: a reading one could itself fall a second
            // behind on a busy machine and be closed too.
            assertThat(daemon.request("POST", "/containers/flood-2/start", null).status()).isEqualTo(202);
            // The daemon gives up on the stalled client: its session leaves the hub, and the close
            // frame queues behind what it has not read.
            Await.until("the stalled session left its hub", () -> subscribers(daemon, "flood-2") == 0);
            stalled.resume();
            assertThat(stalled.awaitClose().code()).isEqualTo(1008);
        }
    }

    /**
     * A stalled client that, once it reads again, keeps sending while it drains (a browser answering
     * pings, someone typing) still gets its close code: the daemon ends the connection when the
     * client answers its close frame, not as soon as that frame is written. Were the socket closed
     * at that point, with the frame still queued in the kernel behind what the client had not read,
     * the client's next frame would make the daemon's kernel reset the connection and discard the
     * rest, the close frame among it.
     */
    @Test
    void aStalledClientThatSendsWhileDrainingStillGetsItsCloseCode() throws Exception {
        JsonObject limits = unthrottled();
        limits.addProperty("slow_client_close_seconds", 1);
        try (Daemon daemon = new Daemon(storage, limits)) {
            try (WsClient watcher = daemon.ws("flood-4")) {
                createFlood(daemon, "flood-4");
                watcher.await(state("installed"));
            }
            try (RawWsClient stalled = RawWsClient.open(daemon.server().port(), "flood-4")) {
                assertThat(daemon.request("POST", "/containers/flood-4/start", null).status()).isEqualTo(202);
                Await.until("the stalled session left its hub", () -> subscribers(daemon, "flood-4") == 0);
                int frames = 0;
                while (true) {
                    RawWsClient.Frame f = stalled.read();
                    assertThat(f).as("the connection ended after %d frames without a close frame", frames)
                            .isNotNull();
                    if (f.opcode() == RawWsClient.CLOSE) {
                        assertThat(f.closeCode()).isEqualTo(1008);
                        stalled.replyToClose(f);
                        stalled.awaitEnd();
                        break;
                    }
                    frames++;
                    stalled.write(RawWsClient.frame(RawWsClient.PONG, new byte[0]));
                }
                assertThat(frames).as("frames read before the close frame").isPositive();
            }
        }
    }

    private static int subscribers(Daemon daemon, String id) {
        int[] n = {-1};
        daemon.server().containers().forEachSubscriberCount((hub, count) -> {
            if (hub.equals(id)) {
                n[0] = count;
            }
        });
        return n[0];
    }

    /**
     * The daemon's heap stays bounded while a client that never reads is subscribed to a container
     * flooding output as fast as it can (no throttle, small watermarks): its frames are skipped, not
     * buffered. Measured after full collections, with the stalled client still connected and
     * stalled, against the heap before the flood; the reading client's messages are counted, not
     * kept. Another container's client is served meanwhile, and the stalled client is told what it
     * missed (or closed with 1008) once it reads.
     */
    @Test
    void aStalledClientCostsBoundedHeapUnderARealFlood() throws Exception {
        JsonObject limits = unthrottled();
        limits.addProperty("write_buffer_low_bytes", 8 * 1024);
        limits.addProperty("write_buffer_high_bytes", 32 * 1024);
        limits.addProperty("slow_client_close_seconds", 600);
        try (Daemon daemon = new Daemon(storage, limits)) {
            DaemonHealth.startEchoServer(daemon, "echo-1");
            long heapBefore = DaemonHealth.heapAfterGc();
            // Shared frames live in pooled direct memory, off the heap: measured too.
            long directBefore = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
            WsClient stalled = daemon.pausedWs("flood-3");
            WsClient reader = daemon.ws("flood-3");
            createFlood(daemon, "flood-3");
            reader.await(state("installed"));
            reader.send("{\"event\":\"power\",\"action\":\"start\"}");
            long readerChars = 0;
            while (true) {
                JsonObject m = reader.next();
                if (m.get("event").getAsString().equals("console")) {
                    readerChars += m.get("data").getAsString().length();
                } else if (daemon("Container stopped").test(m)) {
                    break;
                }
            }
            long heapAfter = DaemonHealth.heapAfterGc();
            long directAfter = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
            System.out.printf("stalled client under a 24 MB flood: heap after GC %s before, %s after; "
                    + "the reading client got %d console chars%n", DaemonHealth.mib(heapBefore),
                    DaemonHealth.mib(heapAfter), readerChars);
            assertThat(heapAfter - heapBefore).as("heap growth with a stalled client through the flood")
                    .isLessThan(16L * 1024 * 1024);
            System.out.printf("pooled direct memory %s before, %s after%n", DaemonHealth.mib(directBefore),
                    DaemonHealth.mib(directAfter));
            assertThat(directAfter - directBefore)
                    .as("pooled direct memory growth (the flood's frames, twice 24 MB, if they were queued)")
                    .isLessThan(16L * 1024 * 1024);
            assertThat(readerChars).as("the reading client kept getting output").isGreaterThan(1_000_000);
            DaemonHealth.assertServesAFreshClient(daemon, "echo-1");

            stalled.resume();
            JsonObject told = stalled.await(m -> m.get("event").getAsString().equals("daemon_message")
                    && m.get("data").getAsString().startsWith("Error: skipped "));
            assertThat(told.get("data").getAsString())
                    .matches("Error: skipped [1-9][0-9]* console messages \\(slow connection\\)");
            reader.close();
            stalled.close();
        }
    }
}
