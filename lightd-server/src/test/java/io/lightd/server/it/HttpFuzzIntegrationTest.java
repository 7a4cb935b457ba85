package io.lightd.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import com.google.gson.JsonObject;
import io.lightd.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded random HTTP requests against a live daemon on port 0: request lines (methods, versions,
 * targets of every route with percent-escapes broken and valid, UTF-8 and not, raw bytes outside
 * ASCII, dot segments, empty segments, very long ones), header sets (hosts, tokens, lengths right,
 * wrong and doubled, chunked, upgrades, continues, garbage lines, huge values) and bodies (JSON,
 * random bytes, chunked right and wrong), each on its own connection. For every input the daemon
 * answers with a 4xx or 5xx status and the JSON error and closes the connection, or closes it cleanly, within the
 * request and answer deadlines (2 s each here) plus a margin, whatever the machine's speed (a valid
 * request whose route is slow gets the answer deadline's 503); an input that happens to be a valid request may be
 * answered 1xx-3xx. Each connection's log lines (those that name its address) are at most two, no
 * line anywhere has a stack trace, the total is at most two per input, the daemon holds no
 * connection afterwards, its descriptors are back to where they were, it still answers, and the
 * leak detector (paranoid in tests) has nothing to report.
 *
 * <p>The seed is printed and {@code -Dlightd.httpfuzz.seed=N} replays a run; a run stops after
 * {@code lightd.httpfuzz.inputs} inputs (2,000) or {@code lightd.httpfuzz.seconds} (45), whichever
 * comes first, over three client threads.
 */
class HttpFuzzIntegrationTest {

    private static final int MAX_INPUTS = Integer.getInteger("lightd.httpfuzz.inputs", 2_000);
    private static final Duration MAX_TIME = Duration.ofSeconds(Integer.getInteger("lightd.httpfuzz.seconds", 45));
    private static final int DEADLINE_SECONDS = 2;
    /** The daemon's request and answer deadlines plus a margin for a busy machine: past it, an input is a failure. */
    private static final Duration ANSWER_WAIT = Duration.ofSeconds(2 * DEADLINE_SECONDS + 5);
    private static final int WORKERS = 3;
    private static final String BAD = "lightd_not-a-token-of-this-daemon-123";

    @TempDir
    Path storage;

    /** What one input drew from the daemon. */
    record Outcome(String input, List<Integer> statuses, boolean closed, int localPort, boolean jsonError) {
    }

    @Test
    void randomRequestsAreAnsweredOrClosedWithinTheDeadlineAndCostAtMostTwoLogLines() throws Exception {
        long seed = Long.getLong("lightd.httpfuzz.seed", System.nanoTime());
        System.out.println("http fuzz seed " + seed + " (replay with -Dlightd.httpfuzz.seed=" + seed + ")");
        JsonObject limits = new JsonObject();
        limits.addProperty("handshake_timeout_seconds", DEADLINE_SECONDS);
        limits.addProperty("response_timeout_seconds", DEADLINE_SECONDS);
        limits.addProperty("connection_attempts_per_ip_per_second", 100_000);
        limits.addProperty("connection_attempts_per_ip_burst", 100_000);
        limits.addProperty("auth_failures_per_ip_per_minute", 100_000);
        try (Daemon daemon = new Daemon(storage, limits)) {
            int port = daemon.server().port();
            assertThat(daemon.request("POST", "/containers",
                    "{\"internal_id\":\"fuzz-1\",\"image\":\"local\",\"startup_command\":\"cat > /dev/null\"}").status())
                    .isEqualTo(202);
            long descriptorsBefore = Sockets.descriptorsOutsideClients(port);
            long started = System.nanoTime();
            long deadline = started + MAX_TIME.toNanos();
            AtomicInteger next = new AtomicInteger();
            List<Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            int[] logLines = new int[1];
            List<ILoggingEvent> traces;
            Map<Integer, Integer> linesByPort = new ConcurrentHashMap<>();
            try (CapturedLog log = CapturedLog.start()) {
                ExecutorService workers = Executors.newFixedThreadPool(WORKERS);
                List<Future<?>> running = new ArrayList<>();
                for (int w = 0; w < WORKERS; w++) {
                    running.add(workers.submit(() -> {
                        int i;
                        while ((i = next.getAndIncrement()) < MAX_INPUTS && System.nanoTime() < deadline) {
                            // One generator per input, so an input can be replayed from the seed and its number.
                            byte[] input = new Generator(new Random(seed * 31 + i)).request();
                            try {
                                Outcome o = exchange(port, input);
                                outcomes.add(o);
                                String problem = judge(o);
                                if (problem != null) {
                                    failures.add("input " + i + ": " + problem + ": " + o);
                                }
                            } catch (IOException e) {
                                failures.add("input " + i + ": " + e + ": " + printable(input));
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : running) {
                    f.get();
                }
                workers.shutdown();
                assertThat(failures).as("inputs not answered or not closed in time").isEmpty();
                awaitNoConnectionHeld(port);
                logLines[0] = log.lines();
                traces = log.withStackTraces();
                for (Outcome o : outcomes) {
                    linesByPort.put(o.localPort(), log.linesNaming(":" + o.localPort()));
                }
                assertThat(traces).as(log.describe()).isEmpty();
            }
            long elapsed = Duration.ofNanos(System.nanoTime() - started).toMillis();
            int inputs = outcomes.size();
            System.out.printf(Locale.ROOT, "http fuzz: %d inputs in %d ms, %d log lines; statuses %s%n", inputs, elapsed,
                    logLines[0], histogram(outcomes));
            assertThat(inputs).as("inputs tried").isGreaterThan(100);
            assertThat(linesByPort.values()).as("log lines per connection").allMatch(n -> n <= 2);
            assertThat(logLines[0]).as("log lines in all").isLessThanOrEqualTo(2 * inputs);
            Await.until("the daemon's descriptors after the fuzz, at most " + descriptorsBefore, Duration.ofSeconds(10),
                    () -> Sockets.descriptorsOutsideClients(port), n -> n <= descriptorsBefore);
            assertThat(daemon.request("GET", "/api/v1/public/ping", null).status()).isEqualTo(200);
            assertThat(daemon.request("GET", "/containers/fuzz-1", null).status()).isEqualTo(200);
        }
    }

    /** Sends one input and reads what comes back until the daemon closes, or until a success ends the exchange. */
    private static Outcome exchange(int port, byte[] input) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            s.setSoTimeout((int) ANSWER_WAIT.toMillis());
            int localPort = s.getLocalPort();
            try {
                OutputStream out = s.getOutputStream();
                out.write(input);
                out.flush();
            } catch (IOException e) {
                // The daemon may answer and close before it has read all of a long input.
            }
            InputStream in = s.getInputStream();
            List<Integer> statuses = new ArrayList<>();
            long until = System.nanoTime() + ANSWER_WAIT.toNanos();
            try {
                while (true) {
                    s.setSoTimeout((int) Math.max(1, (until - System.nanoTime()) / 1_000_000));
                    String headers = readHead(in);
                    if (headers == null) {
                        return new Outcome(printable(input), statuses, true, localPort, true);
                    }
                    int status = Integer.parseInt(headers.substring(9, 12));
                    statuses.add(status);
                    if (status == 100) {
                        continue;
                    }
                    if (status < 400) {
                        // A valid request, served: not what the fuzz is about; the client ends it.
                        return new Outcome(printable(input), statuses, false, localPort, true);
                    }
                    boolean json = headers.toLowerCase(Locale.ROOT).contains("\r\ncontent-type: application/json\r\n");
                    // After an error the daemon must close: whatever body follows (HEAD or not), then the end.
                    byte[] skip = new byte[8192];
                    int n;
                    do {
                        n = in.read(skip);
                    } while (n >= 0);
                    int b = n;
                    return new Outcome(printable(input), statuses, b < 0, localPort, json);
                }
            } catch (SocketTimeoutException e) {
                return new Outcome(printable(input), statuses, false, localPort, true);
            } catch (IOException e) {
                // A reset after the daemon closed with unread input: closed all the same.
                return new Outcome(printable(input), statuses, true, localPort, true);
            }
        }
    }

    /** Null when the outcome is one the daemon may give, else what is wrong with it. */
    private static String judge(Outcome o) {
        if (o.statuses().isEmpty()) {
            return o.closed() ? null : "neither answered nor closed";
        }
        int last = o.statuses().get(o.statuses().size() - 1);
        if (last < 400) {
            return last == 100 ? "only a 100 Continue" : null;
        }
        if (last > 599) {
            return "status " + last;
        }
        if (!o.jsonError()) {
            return "answered " + last + " without the JSON error";
        }
        return o.closed() ? null : "answered " + last + " but not closed";
    }

    /** The head of the next response, or null when the connection ended before one began. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (head.size() < 4 || !head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                if (head.size() == 0) {
                    return null;
                }
                throw new IOException("the connection ended inside a response head: " + head);
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static void awaitNoConnectionHeld(int port) throws Exception {
        Await.until("connections the daemon still holds after the fuzz", ANSWER_WAIT.multipliedBy(2),
                () -> Sockets.heldByDaemon(port), held -> held == 0);
    }

    private static String histogram(List<Outcome> outcomes) {
        java.util.TreeMap<String, Integer> counts = new java.util.TreeMap<>();
        for (Outcome o : outcomes) {
            String key = o.statuses().isEmpty() ? "closed" : String.valueOf(o.statuses().get(o.statuses().size() - 1));
            counts.merge(key, 1, Integer::sum);
        }
        return counts.toString();
    }

    /** The input for a failure message: at most 300 characters, bytes outside ASCII as escapes. */
    private static String printable(byte[] input) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(input.length, 300); i++) {
            int c = input[i] & 0xFF;
            b.append(c >= 0x20 && c < 0x7F ? String.valueOf((char) c) : String.format(Locale.ROOT, "\\x%02x", c));
        }
        return b.append(input.length > 300 ? "... (" + input.length + " bytes)" : "").toString();
    }

    /** Builds one random request from its own {@link Random}. */
    private static final class Generator {

        private static final String[] METHODS = {"GET", "GET", "GET", "POST", "POST", "DELETE", "PUT", "HEAD",
            "OPTIONS", "PATCH", "CONNECT", "TRACE", "get", "G@T", "", "BREW"};
        private static final String[] VERSIONS = {"HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0",
            "HTTP/2.0", "HTTP/9.9", "http/1.1", "HTTP/1.", ""};
        private static final String[] ROUTES = {"/ws/%s", "/console/%s", "/console/assets/console.js",
            "/containers", "/containers/%s", "/containers/%s/%s", "/auth/tokens", "/auth/tokens/%s", "/metrics",
            "/api/v1/public/ping", "/", "/%s"};
        private static final String[] SEGMENTS = {"fuzz-1", "box", "ghost-1", "start", "stop", "kill", "command",
            "reinstall", "assets", "console.css", "..", ".", "", "%", "%Z", "%ZZ", "%4", "%G1", "abc%", "%41%42",
            "%2F", "%2e%2e", "%2E", "%C3%A9t%C3%A9", "%C3%28", "%FF", "%ED%A0%80", "%C0%AF", "%F0%9F%98%80",
            "%00", "%0d%0a", "a%2Fb", "\u00e9", "\u00ff\u00fe", "caf\u00c3\u00a9", "x+y", "~user", "a;b=c", "%%"};
        private static final String[] QUERIES = {"", "", "", "?token=" + Daemon.TOKEN, "?token=" + BAD, "?token=%",
            "?token=%ZZ", "?purge=true", "?purge=%C3%28", "?v=1&v=2", "?=", "?&&&", "?a=%2", "?a=\u00e9",
            "?token=" + Daemon.TOKEN + "&x=%FF%FE", "?" + "q=1&".repeat(300)};

        private final Random random;

        Generator(Random random) {
            this.random = random;
        }

        byte[] request() {
            String eol = random.nextInt(20) == 0 ? "\n" : "\r\n";
            String method = pick(METHODS);
            StringBuilder b = new StringBuilder();
            b.append(method).append(' ').append(target());
            if (random.nextInt(30) != 0) {
                b.append(' ').append(pick(VERSIONS));
            }
            b.append(eol);
            List<String> headers = new ArrayList<>();
            if (random.nextInt(6) != 0) {
                headers.add("Host: " + (random.nextInt(10) == 0 ? "" : "127.0.0.1"));
            }
            switch (random.nextInt(4)) {
                case 0 -> headers.add("Authorization: Bearer " + Daemon.TOKEN);
                case 1 -> headers.add("Authorization: " + pick(new String[] {"Bearer " + BAD, "Bearer", "Basic eDp5",
                    "Bearer " + Daemon.TOKEN + " extra", "bearer " + Daemon.TOKEN}));
                default -> { }
            }
            if (random.nextInt(4) == 0) {
                headers.add("Upgrade: websocket");
                headers.add("Connection: Upgrade");
                headers.add("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==");
                headers.add("Sec-WebSocket-Version: " + pick(new String[] {"13", "13", "8", "x"}));
            }
            if (random.nextInt(8) == 0) {
                headers.add("Origin: " + pick(new String[] {"https://evil.example", "null", "\u00ff"}));
            }
            if (random.nextInt(10) == 0) {
                headers.add("Connection: " + pick(new String[] {"close", "keep-alive", "Upgrade, close"}));
            }
            if (random.nextInt(12) == 0) {
                headers.add(pick(new String[] {"no colon here", " leading: space", "Bad Name: x", "X-Long: "
                    + "v".repeat(9_000), ": empty name", "X-Bin: \u0001\u0002", "X-Latin: \u00e9\u00ff"}));
            }
            String body = body(headers);
            Collections.shuffle(headers, random);
            for (String h : headers) {
                b.append(h).append(eol);
            }
            b.append(eol).append(body);
            return b.toString().getBytes(StandardCharsets.ISO_8859_1);
        }

        private String target() {
            switch (random.nextInt(20)) {
                case 0:
                    return "*";
                case 1:
                    return "http://127.0.0.1:8070" + path() + pick(QUERIES);
                case 2:
                    return "/" + "a".repeat(random.nextInt(6_000));
                case 3:
                    return "127.0.0.1:8070";
                case 4:
                    return path() + "#frag";
                default:
                    return path() + pick(QUERIES);
            }
        }

        private String path() {
            String route = pick(ROUTES);
            String path = String.format(Locale.ROOT, route, segment(), segment());
            if (random.nextInt(10) == 0) {
                path = path.replace("/", "//");
            }
            if (random.nextInt(10) == 0) {
                path = path + "/" + segment();
            }
            return path;
        }

        private String segment() {
            String s = pick(SEGMENTS);
            return random.nextInt(5) == 0 ? s + pick(SEGMENTS) : s;
        }

        /** A body fitting (or not) the request, adding the headers that frame it. */
        private String body(List<String> headers) {
            switch (random.nextInt(8)) {
                case 0, 1, 2:
                    return "";
                case 3: {
                    String json = pick(new String[] {"{\"internal_id\":\"fuzz-2\",\"image\":\"local\","
                        + "\"startup_command\":\"true\"}", "{\"command\":\"hi\\n\"}", "{\"ttl\":\"1m\"}", "{", "[]",
                        "{\"a\":" + "[".repeat(2_000) + "}", "null"});
                    headers.add("Content-Type: application/json");
                    headers.add("Content-Length: " + lengthFor(json.length()));
                    return json;
                }
                case 4: {
                    byte[] raw = new byte[random.nextInt(3_000)];
                    random.nextBytes(raw);
                    headers.add("Content-Length: " + lengthFor(raw.length));
                    return new String(raw, StandardCharsets.ISO_8859_1);
                }
                case 5: {
                    headers.add("Content-Length: " + pick(new String[] {"-1", "x", "99999999999999999999", "1, 2",
                        " 0", "0x10"}));
                    return "";
                }
                case 6: {
                    headers.add("Expect: " + pick(new String[] {"100-continue", "100-continue", "200-ok", ""}));
                    headers.add("Content-Length: " + pick(new String[] {"10", "100000000"}));
                    return random.nextBoolean() ? "0123456789" : "";
                }
                default: {
                    headers.add("Transfer-Encoding: " + pick(new String[] {"chunked", "chunked", "chunked",
                        "gzip, chunked", "identity", "chunked, chunked"}));
                    if (random.nextInt(5) == 0) {
                        headers.add("Content-Length: 5");
                    }
                    return pick(new String[] {"5\r\nhello\r\n0\r\n\r\n", "Z\r\n", "5\r\nhel\r\n0\r\n\r\n",
                        "-1\r\n", "ffffffffffffffff\r\n", "5;ext=1\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n",
                        "0\r\n\r\n", "5\r\nhello", "\r\n\r\n", "1\r\n\u00ff\r\n0\r\n\r\n"});
                }
            }
        }

        /** Mostly the true length; sometimes a wrong one, a bigger one leaving the daemon waiting for the rest. */
        private String lengthFor(int actual) {
            return switch (random.nextInt(12)) {
                case 0 -> String.valueOf(actual + 1 + random.nextInt(100));
                case 1 -> String.valueOf(Math.max(0, actual - 1));
                case 2 -> actual + ", " + actual;
                default -> String.valueOf(actual);
            };
        }

        private String pick(String[] options) {
            return options[random.nextInt(options.length)];
        }
    }
}
