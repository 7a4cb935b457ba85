package io.lightd.server.it;

import static io.lightd.server.it.RawWsClient.BINARY;
import static io.lightd.server.it.RawWsClient.CLOSE;
import static io.lightd.server.it.RawWsClient.CONTINUATION;
import static io.lightd.server.it.RawWsClient.PING;
import static io.lightd.server.it.RawWsClient.PONG;
import static io.lightd.server.it.RawWsClient.TEXT;
import static io.lightd.server.it.RawWsClient.frame;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.lightd.testing.Await;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of malformed frame, written byte by byte on a plain socket, against one daemon that
 * must keep serving a well-behaved client after each. What the client gets back is what the
 * protocol prescribes: bad JSON, wrong types and binary frames get one {@code Error: ...} and the
 * connection stays usable (protocol-decisions.md, Inbound); a message over the frame limit closes
 * with 1009; invalid UTF-8 in text closes with 1007 and every other framing violation with 1002
 * (RFC 6455 sections 5 and 8.1, where the protocol pages are silent).
 */
class HostileFramesIntegrationTest {

    private static final String ECHO = "echo-1";

    /** One daemon for the class: each test must leave it serving others (checked after each). */
    @RegisterExtension
    static final LightdExtension lightd = LightdExtension.builder()
            .perClass()
            // Framing is under test here, not the inbound rate limit.
            .limit("inbound_rate_per_second", 1000)
            .limit("inbound_burst", 1000)
            .limit("connection_attempts_per_ip_per_second", 100_000)
            .limit("connection_attempts_per_ip_burst", 100_000)
            // A console flood must reach the clients whole: the live console throttle is out of the way.
            .limit("console_lines_per_second", 100_000_000)
            .limit("console_bytes_per_second", 1_000_000_000)
            // A client that stops reading on purpose is not closed for it, however long the flood takes.
            .limit("slow_client_close_seconds", 3600)
            .build();

    @BeforeAll
    static void startEchoServer() {
        DaemonHealth.startEchoServer(lightd.daemon(), ECHO);
    }

    @AfterEach
    void daemonStillServesOthers() {
        DaemonHealth.assertServesAFreshClient(lightd.daemon(), ECHO);
    }

    private static RawWsClient open() throws IOException {
        RawWsClient c = RawWsClient.open(lightd.daemon().server().port(), ECHO);
        assertThat(DaemonHealth.eventOf(c.next())).as("the current state comes first").isEqualTo("event");
        return c;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    private static String errorFor(RawWsClient c, byte[] frameBytes) throws IOException {
        c.write(frameBytes);
        return c.await("daemon_message").get("data").getAsString();
    }

    /** After bad input the same connection still works: a command comes back as console output. */
    private static void assertUsable(RawWsClient c) throws IOException {
        c.sendText("{\"event\":\"send_command\",\"command\":\"usable\\n\"}");
        while (true) {
            JsonObject m = c.await("console");
            if (m.get("data").getAsString().contains("echo: usable\n")) {
                return;
            }
        }
    }

    /**
     * The codes of every close frame the daemon sends on {@code c} until it ends the connection,
     * without answering any (the daemon ends it itself after a refusal or after answering a close the
     * client started). RFC 6455 5.5.1 allows one close frame per side.
     */
    private static List<Integer> closeFramesUntilTheEnd(RawWsClient c) throws IOException {
        List<Integer> codes = new ArrayList<>();
        try {
            for (RawWsClient.Frame f; (f = c.read()) != null; ) {
                if (f.opcode() == CLOSE) {
                    codes.add(f.closeCode());
                }
            }
        } catch (IOException ended) {
            // a reset or an end inside a frame: the connection has ended
        }
        return codes;
    }

    private static boolean isConsole(RawWsClient.Frame f, String text) {
        if (f.opcode() != TEXT) {
            return false;
        }
        JsonObject m = JsonParser.parseString(f.text()).getAsJsonObject();
        return DaemonHealth.eventOf(m).equals("console") && m.get("data").getAsString().contains(text);
    }

    @Test
    void invalidUtf8InTextClosesWith1007() throws IOException {
        byte[] prefix = utf8("{\"event\":\"send_command\",\"command\":\"");
        byte[] suffix = utf8("\"}");
        List<byte[]> cases = List.of(
                frame(TEXT, concat(prefix, new byte[] {(byte) 0xC3, 0x28}, suffix)),
                frame(TEXT, concat(prefix, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, suffix)),
                frame(TEXT, concat(prefix, new byte[] {(byte) 0xFF}, suffix)),
                frame(TEXT, concat(prefix, new byte[] {(byte) 0xC0, (byte) 0xAF}, suffix)),
                // ends inside a character
                frame(TEXT, concat(prefix, new byte[] {(byte) 0xE2, (byte) 0x82})),
                // valid start, the bad byte in a continuation
                concat(frame(false, 0, TEXT, true, prefix),
                        frame(true, 0, CONTINUATION, true, concat(new byte[] {(byte) 0xF8, (byte) 0x88}, suffix))));
        for (byte[] bytes : cases) {
            try (RawWsClient c = open()) {
                c.write(bytes);
                assertThat(c.awaitClose()).isEqualTo(1007);
            }
        }
    }

    @Test
    void unparsableJsonGetsOneErrorEachAndTheConnectionStaysUsable() throws IOException {
        try (RawWsClient c = open()) {
            for (String bad : List.of("not json", "{", "{\"event\":\"power\",}", "{}{}", "\u0000", "", "   ",
                    "{\"event\":\"send_command\",\"command\":\"x\"} trailing", "'single'", "{event:power}")) {
                assertThat(errorFor(c, RawWsClient.text(bad))).as(bad).isEqualTo("Error: invalid JSON");
            }
            assertUsable(c);
        }
    }

    @Test
    void deeplyNestedJsonIsInvalidWithinTheLimitAndClosesWith1009Beyond() throws IOException {
        try (RawWsClient c = open()) {
            assertThat(errorFor(c, RawWsClient.text("[".repeat(16_000)))).isEqualTo("Error: invalid JSON");
            assertThat(errorFor(c, RawWsClient.text("[".repeat(8_000) + "]".repeat(8_000))))
                    .isEqualTo("Error: invalid JSON");
            assertThat(errorFor(c, RawWsClient.text("{\"event\":\"send_command\",\"command\":"
                    + "{\"a\":".repeat(2_000) + "1" + "}".repeat(2_001)))).isEqualTo("Error: invalid JSON");
            assertUsable(c);
        }
        try (RawWsClient c = open()) {
            c.write(RawWsClient.text("[".repeat(100_000)));
            assertThat(c.awaitClose()).isEqualTo(1009);
        }
    }

    /**
     * Numbers the decoder cannot hold are refused with the field's own error; a number literal too
     * long for the JSON reader to take as a number is invalid JSON; a count beyond the history is
     * the whole history.
     */
    @Test
    void hugeNumbersAreRefusedOrClampedWithoutHarm() throws IOException {
        String notPositive = "Error: \"lines\" must be a positive integer";
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{\"event\":\"request_logs\",\"lines\":1e999999999}", notPositive);
        cases.put("{\"event\":\"request_logs\",\"lines\":1e-999999999}", notPositive);
        cases.put("{\"event\":\"request_logs\",\"lines\":-1e400}", notPositive);
        cases.put("{\"event\":\"request_logs\",\"lines\":1E+2147483648}", notPositive);
        cases.put("{\"event\":\"request_logs\",\"lines\":" + "9".repeat(1_000) + ".5}", notPositive);
        cases.put("{\"event\":\"request_logs\",\"lines\":" + "9".repeat(15_000) + "}", "Error: invalid JSON");
        cases.put("{\"event\":\"request_logs\",\"lines\":0." + "0".repeat(10_000) + "1}", "Error: invalid JSON");
        cases.put("{\"event\":\"send_command\",\"command\":1e999999999}", "Error: \"command\" must be a string");
        cases.put("{\"event\":\"power\",\"action\":-0.0e-0}", "Error: \"action\" must be a string");
        try (RawWsClient c = open()) {
            for (Map.Entry<String, String> e : cases.entrySet()) {
                assertThat(errorFor(c, RawWsClient.text(e.getKey()))).as(abbreviated(e.getKey())).isEqualTo(e.getValue());
            }
            c.sendText("{\"event\":\"request_logs\",\"lines\":" + "9".repeat(40) + "}");
            assertThat(c.await("logs").get("data").getAsString()).as("a count beyond the history is the whole history")
                    .startsWith("Booting\n");
            assertUsable(c);
        }
    }

    private static String abbreviated(String frame) {
        return frame.length() <= 80 ? frame : frame.substring(0, 80) + "... (" + frame.length() + " chars)";
    }

    @Test
    void wrongTypesForEventAndArgumentsGetOneErrorEach() throws IOException {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{\"event\":1}", "Error: \"event\" must be a string");
        cases.put("{\"event\":true}", "Error: \"event\" must be a string");
        cases.put("{\"event\":[\"power\"]}", "Error: \"event\" must be a string");
        cases.put("{\"event\":{\"name\":\"power\"}}", "Error: \"event\" must be a string");
        cases.put("{\"event\":null}", "Error: missing \"event\"");
        cases.put("{\"event\":\"\"}", "Error: unknown event \"\"");
        cases.put("{\"event\":\"" + "x".repeat(1000) + "\"}", "Error: unknown event \"" + "x".repeat(64) + "...\"");
        cases.put("{\"event\":\"power\"}", "Error: missing \"action\"");
        cases.put("{\"event\":\"power\",\"action\":null}", "Error: missing \"action\"");
        cases.put("{\"event\":\"power\",\"action\":1}", "Error: \"action\" must be a string");
        cases.put("{\"event\":\"power\",\"action\":[\"kill\"]}", "Error: \"action\" must be a string");
        cases.put("{\"event\":\"power\",\"action\":{\"kill\":true}}", "Error: \"action\" must be a string");
        cases.put("{\"event\":\"send_command\",\"command\":null}", "Error: missing \"command\"");
        cases.put("{\"event\":\"send_command\",\"command\":[\"ls\"]}", "Error: \"command\" must be a string");
        cases.put("{\"event\":\"send_command\",\"command\":{}}", "Error: \"command\" must be a string");
        cases.put("{\"event\":\"send_command\",\"command\":false}", "Error: \"command\" must be a string");
        cases.put("{\"event\":\"request_logs\",\"lines\":0}", "Error: \"lines\" must be a positive integer");
        cases.put("{\"event\":\"request_logs\",\"lines\":1.5}", "Error: \"lines\" must be a positive integer");
        cases.put("{\"event\":\"request_logs\",\"lines\":\"5\"}", "Error: \"lines\" must be a positive integer");
        cases.put("{\"event\":\"request_logs\",\"lines\":[5]}", "Error: \"lines\" must be a positive integer");
        cases.put("{\"event\":\"request_logs\",\"lines\":true}", "Error: \"lines\" must be a positive integer");
        cases.put("\"power\"", "Error: expected a JSON object");
        cases.put("null", "Error: expected a JSON object");
        try (RawWsClient c = open()) {
            for (Map.Entry<String, String> e : cases.entrySet()) {
                assertThat(errorFor(c, RawWsClient.text(e.getKey()))).as(e.getKey()).isEqualTo(e.getValue());
            }
            assertUsable(c);
        }
    }

    @Test
    void binaryFramesWholeFragmentedOrEmptyGetOneErrorEach() throws IOException {
        String error = "Error: binary frames are not supported; send JSON text";
        try (RawWsClient c = open()) {
            assertThat(errorFor(c, frame(BINARY, utf8("{\"event\":\"request_logs\"}")))).isEqualTo(error);
            assertThat(errorFor(c, frame(BINARY, new byte[0]))).isEqualTo(error);
            assertThat(errorFor(c, concat(frame(false, 0, BINARY, true, new byte[] {1, 2}),
                    frame(true, 0, CONTINUATION, true, new byte[] {3})))).isEqualTo(error);
            assertUsable(c);
        }
    }

    /**
     * A single frame over the limit is refused by the frame decoder; the client gets exactly one
     * close frame, 1009, and the connection ends (RFC 6455 5.5.1: one close frame per side).
     * Fragments that add up to more are lightd's own close, answered by the client.
     */
    @Test
    void messagesOverTheFrameLimitCloseWith1009() throws IOException {
        List<byte[]> singleFrames = List.of(
                // one frame over 16 KiB
                RawWsClient.text("{\"event\":\"send_command\",\"command\":\"" + "x".repeat(20_000) + "\"}"),
                // a header that announces 4 EiB and sends nothing after it
                new byte[] {(byte) 0x81, (byte) 0xFF, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4});
        for (byte[] bytes : singleFrames) {
            try (RawWsClient c = open()) {
                c.write(bytes);
                assertThat(closeFramesUntilTheEnd(c)).as("the close frames the client gets").containsExactly(1009);
            }
        }
        try (RawWsClient c = open()) {
            // small fragments that add up to more than 16 KiB
            c.write(concat(frame(false, 0, TEXT, true, utf8("x".repeat(8_000))),
                    frame(false, 0, CONTINUATION, true, utf8("x".repeat(8_000))),
                    frame(true, 0, CONTINUATION, true, utf8("x".repeat(8_000)))));
            assertThat(c.awaitClose()).isEqualTo(1009);
        }
    }

    @Test
    void validFragmentationIsReassembledWithControlFramesInBetween() throws IOException {
        try (RawWsClient c = open()) {
            byte[] euro = utf8("\u20ac");
            c.write(concat(
                    frame(false, 0, TEXT, true, utf8("{\"event\":\"send_")),
                    frame(true, 0, PING, true, utf8("in-between")),
                    frame(false, 0, CONTINUATION, true, utf8("command\",\"command\":\"frag")),
                    frame(false, 0, CONTINUATION, true, new byte[] {euro[0]}),
                    frame(false, 0, CONTINUATION, true, new byte[] {euro[1], euro[2]}),
                    frame(false, 0, CONTINUATION, true, new byte[0]),
                    frame(true, 0, CONTINUATION, true, utf8("mented\\n\"}"))));
            boolean ponged = false;
            while (true) {
                RawWsClient.Frame f = c.read();
                assertThat(f).as("the connection is still open").isNotNull();
                assertThat(f.opcode()).as("no close frame").isNotEqualTo(CLOSE);
                if (f.opcode() == PONG) {
                    assertThat(f.text()).isEqualTo("in-between");
                    ponged = true;
                } else if (isConsole(f, "echo: frag\u20acmented\n")) {
                    break;
                }
            }
            assertThat(ponged).as("the ping inside the fragmented message was answered").isTrue();
        }
    }

    static Stream<Arguments> protocolViolations() {
        byte[] command = utf8("{\"event\":\"request_logs\"}");
        List<Arguments> cases = new ArrayList<>(List.of(
                Arguments.of("continuation without a start", frame(true, 0, CONTINUATION, true, command)),
                Arguments.of("a new text frame inside a fragmented message",
                        concat(frame(false, 0, TEXT, true, utf8("{\"event\":")),
                                frame(true, 0, TEXT, true, command))),
                Arguments.of("a new binary frame inside a fragmented message",
                        concat(frame(false, 0, TEXT, true, utf8("{\"event\":")),
                                frame(true, 0, BINARY, true, command))),
                Arguments.of("an unmasked frame", frame(true, 0, TEXT, false, command)),
                Arguments.of("an unmasked ping", frame(true, 0, PING, false, utf8("p"))),
                Arguments.of("RSV1", frame(true, 4, TEXT, true, command)),
                Arguments.of("RSV2", frame(true, 2, TEXT, true, command)),
                Arguments.of("RSV3 on a ping", frame(true, 1, PING, true, utf8("p"))),
                Arguments.of("a ping of 126 bytes", frame(PING, new byte[126])),
                Arguments.of("a close frame of 126 bytes", frame(CLOSE, concat(new byte[] {0x03, (byte) 0xE8}, new byte[124]))),
                Arguments.of("a fragmented ping", frame(false, 0, PING, true, utf8("p"))),
                Arguments.of("a fragmented close", frame(false, 0, CLOSE, true, new byte[] {0x03, (byte) 0xE8})),
                Arguments.of("a length in 16 bits that fits in 7",
                        new byte[] {(byte) 0x81, (byte) 0xFE, 0, 5, 1, 2, 3, 4, 'h', 'e', 'l', 'l', 'o'}),
                Arguments.of("a negative 64-bit length",
                        new byte[] {(byte) 0x81, (byte) 0xFF, (byte) 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4})));
        for (int opcode : new int[] {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
            cases.add(Arguments.of("reserved opcode 0x" + Integer.toHexString(opcode), frame(opcode, command)));
        }
        return cases.stream();
    }

    /** Exactly one close frame, 1002, and the connection ends (RFC 6455 5.5.1: one close frame per side). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("protocolViolations")
    void framingViolationsCloseWith1002(String what, byte[] bytes) throws IOException {
        try (RawWsClient c = open()) {
            c.write(bytes);
            assertThat(closeFramesUntilTheEnd(c)).as(what).containsExactly(1002);
        }
    }

    /** The code of the one close frame the daemon answers a client's close frame with, before it ends the connection. */
    private static int answerToClose(byte[] payload) throws IOException {
        try (RawWsClient c = open()) {
            c.write(frame(CLOSE, payload));
            List<Integer> closes = closeFramesUntilTheEnd(c);
            assertThat(closes).as("close frames in answer to a close").hasSize(1);
            return closes.get(0);
        }
    }

    /**
     * A close frame with a code RFC 6455 does not allow on the wire (below 1000, 1004 to 1006, 1015,
     * 1016 to 2999), a body too short for a code, or a reason that is not UTF-8 never has its code
     * echoed: it is a protocol error, answered with one close frame, 1002, and the connection ends.
     * RFC 6455 5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned
     * integer (in network byte order) representing a status code with value /code/ defined in
     * Section 7.4"; 7.4.1: 1005, 1006 and 1015 "MUST NOT be set as a status code in a Close control
     * frame by an endpoint", and 1004 is "Reserved"; 7.4.2: "Status codes in the range 0-999 are
     * not used", 1000-2999 are "reserved for definition by this protocol, its future revisions, and
     * extensions" (none negotiated here); 8.1: "When an endpoint is to interpret a byte stream as
     * UTF-8 but finds that the byte stream is not, in fact, a valid UTF-8 stream, that endpoint MUST
     * _Fail the WebSocket Connection_"; 7.4.1: "1002 indicates that an endpoint is terminating the
     * connection due to a protocol error". (Until this was fixed the daemon answered these with 1000,
     * and the one-byte body with 1002 then a second close frame, 1000.) A valid close is answered
     * with its own code. Codes of 5000 and more, which the RFC leaves undefined, also end in a close
     * handshake.
     */
    @Test
    void closeFramesWithGarbageAreNeverEchoedAndValidOnesAreAnswered() throws IOException {
        Map<String, byte[]> garbage = new LinkedHashMap<>();
        garbage.put("code 0", new byte[] {0, 0});
        garbage.put("code 999", new byte[] {0x03, (byte) 0xE7});
        garbage.put("code 1004", new byte[] {0x03, (byte) 0xEC});
        garbage.put("code 1005", new byte[] {0x03, (byte) 0xED});
        garbage.put("code 1006", new byte[] {0x03, (byte) 0xEE});
        garbage.put("code 1015", new byte[] {0x03, (byte) 0xF7});
        garbage.put("code 2999", new byte[] {0x0B, (byte) 0xB7});
        garbage.put("reason not UTF-8", new byte[] {0x03, (byte) 0xE8, (byte) 0xC3, 0x28});
        Map<String, Integer> expected = new LinkedHashMap<>();
        Map<String, Integer> actual = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : garbage.entrySet()) {
            expected.put(e.getKey(), 1002);
            actual.put(e.getKey(), answerToClose(e.getValue()));
        }
        expected.put("one byte", 1002);
        actual.put("one byte", answerToClose(new byte[] {0x03}));
        for (int code : new int[] {1000, 1001, 1011, 3000, 4000, 4999}) {
            expected.put("code " + code, code);
            actual.put("code " + code, answerToClose(concat(new byte[] {(byte) (code >> 8), (byte) code},
                    utf8("bye \u00e9"))));
        }
        assertThat(actual).isEqualTo(expected);
        for (int code : new int[] {5000, 65535}) {
            assertThat(answerToClose(new byte[] {(byte) (code >> 8), (byte) code, 'x'}))
                    .as("code %d ends with a close handshake", code).isPositive();
        }
        assertThat(answerToClose(new byte[0])).as("an empty close").isIn(1000, 1005);
    }

    @Test
    void pingsAreAnsweredInOrderAndAFloodOfThemLeavesTheConnectionUsable() throws IOException {
        int pings = 5_000;
        try (RawWsClient c = open()) {
            ByteArrayOutputStream flood = new ByteArrayOutputStream();
            for (int i = 0; i < pings; i++) {
                flood.writeBytes(frame(PING, utf8(Integer.toString(i))));
            }
            c.write(flood.toByteArray());
            c.sendText("{\"event\":\"send_command\",\"command\":\"after the pings\\n\"}");
            int answered = 0;
            int last = -1;
            while (true) {
                RawWsClient.Frame f = c.read();
                assertThat(f).as("the connection is still open").isNotNull();
                assertThat(f.opcode()).as("no close frame").isNotEqualTo(CLOSE);
                if (f.opcode() == PONG) {
                    int n = Integer.parseInt(f.text());
                    assertThat(n).as("pongs come in order, each at most once").isGreaterThan(last);
                    last = n;
                    answered++;
                } else if (isConsole(f, "echo: after the pings\n")) {
                    break;
                }
            }
            assertThat(answered).as("pongs for %d pings", pings).isBetween(1, pings);
        }
    }

    /**
     * A client that pings and never reads: the daemon must not queue one pong per ping behind output
     * the client is not taking. The client is the only one watching a server whose console floods;
     * it reads nothing until the daemon reports console frames dropped, which it does only for a
     * connection that is unwritable (the flood has filled every buffer between the two), and which
     * stays so while the client reads nothing. Then it pings. The daemon keeps only the latest ping
     * and counts the others superseded (RFC 6455 allows answering only the latest): once it has
     * counted all but that one, the client reads again and gets pongs in order up to the one for its
     * latest ping, exactly as many as the daemon counts answered, and the connection still answers a
     * history request. How fast
     * the machine is changes when each step is reached, never what is asserted.
     */
    @Test
    void pingsFromAClientThatDoesNotReadAreNotQueuedOneByOne() throws Exception {
        int pings = 200;
        String fill = "fill-1";
        JsonObject body = new JsonObject();
        body.addProperty("internal_id", fill);
        body.addProperty("image", "local");
        // 12 MB, of which 8 MB are more than the socket buffers (the client's fixed at 64 KiB, the
        // daemon's send buffer a few MiB at most) and the high-water mark between daemon and client hold.
        body.addProperty("startup_command", "head -c 12000000 /dev/zero | tr '\\0' x | fold -w 1000; cat");
        assertThat(lightd.daemon().request("POST", "/containers", body.toString()).status()).isEqualTo(202);
        awaitState(fill, "installed");
        try (RawWsClient c = RawWsClient.open(lightd.daemon().server().port(), fill)) {
            long droppedBefore = metric("lightd_frames_dropped_total");
            long answeredBefore = pings("answered");
            long supersededBefore = pings("superseded");
            assertThat(lightd.daemon().request("POST", "/containers/" + fill + "/start", null).status()).isEqualTo(202);
            Await.until("console frames dropped for the client that reads nothing", Duration.ofSeconds(60),
                    () -> metric("lightd_frames_dropped_total") > droppedBefore);
            c.write(pingFrames(0, pings));
            Await.until("every ping but the latest answered or superseded", Duration.ofSeconds(60),
                    () -> pings("answered") - answeredBefore + pings("superseded") - supersededBefore >= pings - 1);
            int read = 0;
            int last = -1;
            while (last < pings - 1) {
                RawWsClient.Frame f = c.read();
                assertThat(f).as("the connection is still open").isNotNull();
                assertThat(f.opcode()).as("no close frame").isNotEqualTo(CLOSE);
                if (f.opcode() == PONG) {
                    int n = Integer.parseInt(f.text().trim());
                    assertThat(n).as("pongs come in order, each at most once").isGreaterThan(last);
                    last = n;
                    read++;
                }
            }
            long answered = pings("answered") - answeredBefore;
            long superseded = pings("superseded") - supersededBefore;
            assertThat(superseded).as("pings superseded while the connection was unwritable").isPositive();
            assertThat(read).as("pongs read, against pings the daemon answered").isEqualTo(answered);
            assertThat(answered + superseded).as("pings answered or superseded, of %d sent", pings).isEqualTo(pings);
            // The connection works: a history request is answered (never skipped, unlike console
            // output the flood may still be pushing out).
            c.sendText("{\"event\":\"request_logs\"}");
            while (true) {
                RawWsClient.Frame f = c.read();
                assertThat(f).as("the connection is still open").isNotNull();
                assertThat(f.opcode()).as("no close frame").isNotEqualTo(CLOSE);
                if (f.opcode() == TEXT && DaemonHealth.eventOf(JsonParser.parseString(f.text()).getAsJsonObject())
                        .equals("logs")) {
                    break;
                }
            }
        }
    }

    private static void awaitState(String id, String state) throws Exception {
        try (WsClient watcher = lightd.daemon().ws(id)) {
            watcher.await(WsClient.state(state));
        }
    }

    /** {@code count} masked pings whose payloads are their numbers from {@code first}, padded to 125 bytes. */
    private static byte[] pingFrames(int first, int count) {
        ByteArrayOutputStream frames = new ByteArrayOutputStream();
        for (int i = first; i < first + count; i++) {
            frames.writeBytes(frame(PING, utf8(String.format(java.util.Locale.ROOT, "%-125d", i))));
        }
        return frames.toByteArray();
    }

    /** The daemon's count of client pings with this result ({@code lightd_websocket_pings_total}). */
    private static long pings(String result) throws Exception {
        return metric("lightd_websocket_pings_total{result=\"" + result + "\"}");
    }

    private static final HttpClient SCRAPER = HttpClient.newHttpClient();

    /** One series of the daemon's metrics ({@code name} with its labels, if any), scraped over HTTP. */
    private static long metric(String name) throws Exception {
        HttpResponse<String> r = SCRAPER.send(HttpRequest.newBuilder(lightd.daemon().uri("/metrics"))
                .header("Authorization", "Bearer " + Daemon.TOKEN).GET().build(), HttpResponse.BodyHandlers.ofString());
        return r.body().lines().filter(l -> l.startsWith(name + " "))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1).trim())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " in " + r.body()));
    }
}
