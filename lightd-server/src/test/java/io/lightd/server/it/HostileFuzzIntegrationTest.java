package io.lightd.server.it;

import static io.lightd.server.it.RawWsClient.BINARY;
import static io.lightd.server.it.RawWsClient.CLOSE;
import static io.lightd.server.it.RawWsClient.CONTINUATION;
import static io.lightd.server.it.RawWsClient.PING;
import static io.lightd.server.it.RawWsClient.PONG;
import static io.lightd.server.it.RawWsClient.TEXT;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.lightd.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random and mutated frames against a live daemon: valid protocol frames with bytes flipped,
 * truncated, duplicated, opcodes, lengths, masks and reserved bits changed, garbage in between,
 * connections ended every way. The seed is printed and {@code -Dlightd.fuzz.seed=N} replays a run;
 * the run is bounded by {@code lightd.fuzz.frames} (2,000) and {@code lightd.fuzz.seconds} (20),
 * whichever comes first. Afterwards the daemon serves a fresh client, its heap is back near where it
 * was, no hub is left behind, and the leak detector (paranoid in tests) has nothing to report.
 */
class HostileFuzzIntegrationTest {

    private static final int MAX_FRAMES = Integer.getInteger("lightd.fuzz.frames", 2_000);
    private static final Duration MAX_TIME = Duration.ofSeconds(Integer.getInteger("lightd.fuzz.seconds", 20));
    private static final long HEAP_GROWTH_BOUND = 32L * 1024 * 1024;
    private static final String[] ACTIONS = {"start", "stop", "kill", "restart", "explode", ""};

    @TempDir
    Path storage;

    @Test
    void mutatedAndRandomFramesLeaveTheDaemonServingAndClean() throws Exception {
        long seed = Long.getLong("lightd.fuzz.seed", System.nanoTime());
        System.out.println("fuzz seed " + seed + " (replay with -Dlightd.fuzz.seed=" + seed + ")");
        Random random = new Random(seed);
        // Hundreds of connections from one address in a few seconds: framing is under test, not the
        // per-address connection-attempt limit.
        JsonObject limits = new JsonObject();
        limits.addProperty("connection_attempts_per_ip_per_second", 100_000);
        limits.addProperty("connection_attempts_per_ip_burst", 100_000);
        try (Daemon daemon = new Daemon(storage, limits)) {
            DaemonHealth.startEchoServer(daemon, "echo-1");
            // The fuzzed container: whatever the frames make it do (start, kill, commands) stays with it.
            Daemon.Reply created = daemon.request("POST", "/containers",
                    "{\"internal_id\":\"fuzz-1\",\"image\":\"local\",\"startup_command\":\"cat > /dev/null\"}");
            assertThat(created.status()).isEqualTo(202);
            int hubs = daemon.server().containers().hubCount();
            long heapBefore = DaemonHealth.heapAfterGc();

            long deadline = System.nanoTime() + MAX_TIME.toNanos();
            int frames = 0;
            int connections = 0;
            while (frames < MAX_FRAMES && System.nanoTime() < deadline) {
                String id = random.nextInt(8) == 0 ? "ghost-" + random.nextInt(4) : "fuzz-1";
                RawWsClient c = RawWsClient.open(daemon.server().port(), id);
                connections++;
                int burst = 1 + random.nextInt(12);
                try {
                    for (int i = 0; i < burst && frames < MAX_FRAMES; i++, frames++) {
                        c.write(mutate(random, validFrame(random)));
                        c.discardAvailable();
                    }
                } catch (IOException e) {
                    // the daemon ended the connection, as it may after a bad frame
                }
                switch (random.nextInt(3)) {
                    case 0 -> c.close();
                    case 1 -> c.abort();
                    default -> {
                        try {
                            c.awaitEndWithin(Duration.ofMillis(20));
                        } catch (IOException e) {
                            // already gone
                        }
                        c.abort();
                    }
                }
            }
            System.out.printf("fuzz: %d frames on %d connections%n", frames, connections);

            DaemonHealth.assertServesAFreshClient(daemon, "echo-1");
            Await.until("hubs after the fuzz", WsClient.WAIT, () -> daemon.server().containers().hubCount(),
                    n -> n == hubs);
            long heapAfter = DaemonHealth.heapAfterGc();
            System.out.printf("fuzz: heap after GC %s before, %s after%n", DaemonHealth.mib(heapBefore),
                    DaemonHealth.mib(heapAfter));
            assertThat(heapAfter - heapBefore).as("heap growth over the fuzz run").isLessThan(HEAP_GROWTH_BOUND);
        }
    }

    /** A frame a correct client could send: an event (good or bad JSON), binary, control, or a fragmented message. */
    private static byte[] validFrame(Random random) {
        return switch (random.nextInt(9)) {
            case 0 -> RawWsClient.text("{\"event\":\"send_command\",\"command\":\"" + word(random) + "\\n\"}");
            case 1 -> RawWsClient.text("{\"event\":\"power\",\"action\":\"" + ACTIONS[random.nextInt(ACTIONS.length)] + "\"}");
            case 2 -> RawWsClient.text("{\"event\":\"request_logs\",\"lines\":" + (random.nextInt(2000) - 10) + "}");
            case 3 -> RawWsClient.text(random.nextBoolean() ? "{\"event\":" : "[" + "[".repeat(random.nextInt(600)));
            case 4 -> RawWsClient.frame(BINARY, bytes(random, random.nextInt(300)));
            case 5 -> RawWsClient.frame(PING, bytes(random, random.nextInt(126)));
            case 6 -> RawWsClient.frame(PONG, bytes(random, random.nextInt(126)));
            case 7 -> RawWsClient.frame(CLOSE, new byte[] {0x03, (byte) (0xE8 + random.nextInt(4))});
            default -> fragmented(random);
        };
    }

    private static byte[] fragmented(Random random) {
        byte[] text = ("{\"event\":\"send_command\",\"command\":\"" + word(random) + "\\n\"}").getBytes(StandardCharsets.UTF_8);
        int cut = 1 + random.nextInt(text.length - 1);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(RawWsClient.frame(false, 0, TEXT, true, Arrays.copyOfRange(text, 0, cut)));
        if (random.nextBoolean()) {
            b.writeBytes(RawWsClient.frame(PING, bytes(random, 4)));
        }
        b.writeBytes(RawWsClient.frame(true, 0, CONTINUATION, true, Arrays.copyOfRange(text, cut, text.length)));
        return b.toByteArray();
    }

    /** Leaves a third of the frames as they are and breaks the rest in one or two ways. */
    private static byte[] mutate(Random r, byte[] frame) {
        byte[] out = frame;
        int mutations = r.nextInt(3);
        for (int m = 0; m < mutations; m++) {
            out = switch (r.nextInt(9)) {
                case 0 -> flipBytes(r, out);
                case 1 -> Arrays.copyOf(out, r.nextInt(out.length + 1));
                case 2 -> concat(out, out);
                case 3 -> withHeaderBits(out, 0, 0x0F, r.nextInt(16));
                case 4 -> withHeaderBits(out, 1, 0x7F, r.nextInt(128));
                case 5 -> withHeaderBits(out, 1, 0x80, r.nextBoolean() ? 0x80 : 0);
                case 6 -> withHeaderBits(out, 0, 0x70, r.nextInt(8) << 4);
                case 7 -> concat(bytes(r, r.nextInt(64)), out);
                default -> concat(out, bytes(r, r.nextInt(64)));
            };
        }
        return out;
    }

    private static byte[] flipBytes(Random r, byte[] frame) {
        byte[] out = frame.clone();
        for (int i = 0, n = 1 + r.nextInt(4); i < n && out.length > 0; i++) {
            out[r.nextInt(out.length)] ^= (byte) (1 << r.nextInt(8));
        }
        return out;
    }

    /** Replaces the bits under {@code mask} in header byte {@code index}, if the frame has it. */
    private static byte[] withHeaderBits(byte[] frame, int index, int mask, int bits) {
        if (frame.length <= index) {
            return frame;
        }
        byte[] out = frame.clone();
        out[index] = (byte) ((out[index] & ~mask) | (bits & mask));
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static String word(Random r) {
        StringBuilder s = new StringBuilder();
        for (int i = 0, n = 1 + r.nextInt(20); i < n; i++) {
            s.append((char) ('a' + r.nextInt(26)));
        }
        return s.toString();
    }
}
