package io.lightd.server.it;

import static io.lightd.server.it.WsClient.daemon;
import static io.lightd.server.it.WsClient.state;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * What the hostile tests check after each abuse: the in-process daemon still serves a well-behaved
 * client end to end, and its heap and open files are back where they were. The daemon runs in the
 * test's JVM, so heap and file descriptors are measured on this process.
 */
final class DaemonHealth {

    private static final AtomicInteger MARKERS = new AtomicInteger();

    private DaemonHealth() {
    }

    /** Creates {@code id} running {@link ConsoleScenarios#ECHO_SERVER} and waits until it is running. */
    static void startEchoServer(Daemon daemon, String id) {
        JsonObject body = new JsonObject();
        body.addProperty("internal_id", id);
        body.addProperty("image", "local");
        body.addProperty("startup_command", ConsoleScenarios.ECHO_SERVER);
        body.addProperty("start_pattern", "Done \\(");
        Daemon.Reply r = daemon.request("POST", "/containers", body.toString());
        assertThat(r.status()).as(r.body().toString()).isEqualTo(202);
        try (WsClient c = daemon.ws(id)) {
            c.await(state("installed"));
            c.send("{\"event\":\"power\",\"action\":\"start\"}");
            c.await(daemon("Server started"));
        }
    }

    /**
     * A fresh client of the echo server {@code id} gets the current state first, and a command it
     * sends comes back on its console.
     */
    static void assertServesAFreshClient(Daemon daemon, String id) {
        try (WsClient c = daemon.ws(id)) {
            assertThat(WsClient.describe(c.next())).as("the first message of a fresh client").isEqualTo("event:running");
            String marker = "still-serving-" + MARKERS.incrementAndGet();
            c.send("{\"event\":\"send_command\",\"command\":\"" + marker + "\\n\"}");
            c.await(m -> m.get("event").getAsString().equals("console")
                    && m.get("data").getAsString().contains("echo: " + marker + "\n"));
        }
    }

    /** Heap in use after a few full collections, in bytes. */
    static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** The file descriptors this process has open: the daemon's sockets and files, and the test's own. */
    static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    /** The {@code event} of a message, for assertions that read well. */
    static String eventOf(JsonObject m) {
        return m.get("event").getAsString();
    }
}
