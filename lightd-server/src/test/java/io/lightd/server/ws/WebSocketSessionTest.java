package io.lightd.server.ws;

import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.runtime.TimerGrid;
import io.lightd.server.metrics.Metrics;
import io.lightd.server.metrics.Metrics.PingOutcome;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every WebSocket session does, on an embedded channel whose clock only the test moves: pings
 * and the pong timeout, expiry, the slow-client close, the client's pings, the closing handshake
 * (one close frame, the client's reply ends it, a forced close after a timeout, nothing acted upon in
 * between), a close the client starts, messages gathered from fragments (size limit, UTF-8), and
 * nothing written after a close frame.
 */
class WebSocketSessionTest {

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private final Metrics metrics = new Metrics();
    private final WebSocketSession.Settings settings = settings(20, 60);
    /** What the session heard: whole messages and its closing. */
    private final List<Object> passed = new ArrayList<>();
    /** The codes the session's {@code refused} hook heard, in order. */
    private final List<Integer> refusals = new ArrayList<>();
    /** The session under test, on the channel {@link #channel} made last. */
    private WebSocketSession session;
    /** When the channel {@link #channel} made last opened, in ns of its loop's ticker. */
    private long openedNanos;

    private WebSocketSession.Settings settings(int pingSeconds, int pongSeconds) {
        return new WebSocketSession.Settings(metrics, pingSeconds, pongSeconds, 30, Clock.fixed(NOW, ZoneOffset.UTC),
                WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(MAX_MESSAGE_BYTES).build());
    }

    private static final int MAX_MESSAGE_BYTES = 16;

    private EmbeddedChannel channel() {
        return channel(settings);
    }

    private EmbeddedChannel channel(WebSocketSession.Settings settings) {
        return channel(settings, 0);
    }

    /**
     * A channel whose session opens {@code millisPastStep} ms after a whole second of its loop's clock
     * (the session's timers are on {@link TimerGrid}: with 0, a timer of whole seconds falls on the
     * grid as it is set).
     */
    private EmbeddedChannel channel(WebSocketSession.Settings settings, long millisPastStep) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        long pastStep = Math.floorMod(ch.eventLoop().ticker().nanoTime(), TimerGrid.STEP_NANOS);
        ch.advanceTimeBy((TimerGrid.STEP_NANOS - pastStep) % TimerGrid.STEP_NANOS
                + TimeUnit.MILLISECONDS.toNanos(millisPastStep), TimeUnit.NANOSECONDS);
        openedNanos = ch.eventLoop().ticker().nanoTime();
        session = new WebSocketSession(settings) {
            @Override
            protected void opened(ChannelHandlerContext ctx) {
            }

            @Override
            protected void onMessage(ChannelHandlerContext ctx, WebSocketFrame message) {
                passed.add(message);
            }

            @Override
            protected void onClosing(ChannelHandlerContext ctx, Closing closing) {
                passed.add(closing);
            }

            @Override
            protected void closed(Channel channel) {
            }

            @Override
            protected void refused(ChannelHandlerContext ctx, int code) {
                refusals.add(code);
            }
        };
        ch.pipeline().addLast(session);
        return ch;
    }

    /**
     * {@code ch} with the connection's real frame codec in front of its session, as the handshake
     * puts them: Netty's encoder, and lightd's decoder with the session's decoder configuration
     * (protocol violations left to the session, frames of at most {@value #MAX_MESSAGE_BYTES} bytes).
     * Bytes go in as a client sends them; what is written comes out as bytes.
     */
    private static EmbeddedChannel onTheWire(EmbeddedChannel ch) {
        ch.pipeline().addFirst("wsdecoder", new SessionFrameDecoder(WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(MAX_MESSAGE_BYTES).allowExtensions(false).closeOnProtocolViolation(false)
                .build()));
        ch.pipeline().addFirst("wsencoder", new WebSocket13FrameEncoder(false));
        return ch;
    }

    /** A frame as a client sends it (masked, with a zero key, so the payload reads as it is), at most 125 bytes. */
    private static ByteBuf clientFrame(int firstByte, byte... payload) {
        ByteBuf frame = Unpooled.buffer();
        frame.writeByte(firstByte).writeByte(0x80 | payload.length).writeInt(0).writeBytes(payload);
        return frame;
    }

    /** A frame on the wire, as the client reads it. */
    private record Wire(int opcode, byte[] payload) {

        int closeCode() {
            return payload.length < 2 ? -1 : (payload[0] & 0xFF) << 8 | payload[1] & 0xFF;
        }

        String reason() {
            return new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
        }
    }

    /** Every frame written on {@code ch} so far, parsed from the bytes the encoder wrote (unmasked). */
    private static List<Wire> written(EmbeddedChannel ch) {
        ByteBuf bytes = Unpooled.buffer();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            bytes.writeBytes(b);
            b.release();
        }
        List<Wire> frames = new ArrayList<>();
        try {
            while (bytes.isReadable()) {
                int opcode = bytes.readUnsignedByte() & 0x0F;
                int length = bytes.readUnsignedByte();
                assertThat(length & 0x80).as("a server frame is not masked").isZero();
                long n = length == 126 ? bytes.readUnsignedShort() : length == 127 ? bytes.readLong() : length;
                byte[] payload = new byte[(int) n];
                bytes.readBytes(payload);
                frames.add(new Wire(opcode, payload));
            }
        } finally {
            bytes.release();
        }
        return frames;
    }

    private static final int CLOSE = 0x8;

    /** A channel whose close only completes the promise: it stays open, as a socket whose close frame is still on its way. */
    private EmbeddedChannel channelThatStaysOpen() {
        EmbeddedChannel ch = channel();
        ch.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
                promise.setSuccess();
            }
        });
        return ch;
    }

    private static void advance(EmbeddedChannel ch, long seconds) {
        ch.advanceTimeBy(seconds, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
    }

    private static PingWebSocketFrame ping(String payload) {
        return new PingWebSocketFrame(Unpooled.copiedBuffer(payload, StandardCharsets.UTF_8));
    }

    private static void stall(EmbeddedChannel ch) {
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(4, 8));
        ch.write(Unpooled.wrappedBuffer(new byte[16]));
        assertThat(ch.isWritable()).isFalse();
    }

    private static void drain(EmbeddedChannel ch) {
        ch.flush();
        ch.runPendingTasks();
        assertThat(ch.isWritable()).isTrue();
        ByteBuf filler = ch.readOutbound();
        filler.release();
    }

    private static String pongText(EmbeddedChannel ch) {
        PongWebSocketFrame pong = ch.readOutbound();
        assertThat(pong).isNotNull();
        try {
            return pong.content().toString(StandardCharsets.UTF_8);
        } finally {
            pong.release();
        }
    }

    /**
     * Nothing else was written or passed on; then the channel is closed, and as the session has sent
     * no close frame, it sends 1000 first.
     */
    private static void assertNothingMoreThenClose(EmbeddedChannel ch) {
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat((Object) ch.readInbound()).isNull();
        ch.close();
        CloseWebSocketFrame bye = closeFrame(ch);
        assertThat(bye.statusCode()).isEqualTo(1000);
        bye.release();
        assertThat(ch.finish()).isFalse();
    }

    private static CloseWebSocketFrame closeFrame(EmbeddedChannel ch) {
        Object out = ch.readOutbound();
        assertThat(out).isInstanceOf(CloseWebSocketFrame.class);
        return (CloseWebSocketFrame) out;
    }

    /** The channel wrote exactly one close frame, of {@code code} and {@code reason}, and nothing after it. */
    private static void assertOnlyCloseFrame(EmbeddedChannel ch, int code, String reason) {
        CloseWebSocketFrame close = closeFrame(ch);
        try {
            assertThat(close.statusCode()).isEqualTo(code);
            assertThat(close.reasonText()).isEqualTo(reason);
        } finally {
            close.release();
        }
        assertThat((Object) ch.readOutbound()).as("one close frame, nothing after it").isNull();
    }
    @Test
    void pingsAnIdleClientEveryIntervalAndClosesOneThatStaysSilentWith1001() {
        EmbeddedChannel ch = channel();
        for (int i = 0; i < 2; i++) {
            advance(ch, 19);
            assertThat((Object) ch.readOutbound()).as("no ping before the interval").isNull();
            advance(ch, 1);
            Object ping = ch.readOutbound();
            assertThat(ping).isInstanceOf(PingWebSocketFrame.class);
            ReferenceCountUtil.release(ping);
        }
        advance(ch, 20);
        CloseWebSocketFrame close = closeFrame(ch);
        assertThat(close.statusCode()).isEqualTo(1001);
        assertThat(close.reasonText()).isEqualTo("ping timeout");
        close.release();
        assertThat(passed).contains(new WebSocketSession.Closing(1001, "ping timeout", "no pong for 60 s"));
        ch.finishAndReleaseAll();
    }

    @Test
    void aFrameFromTheClientPutsOffThePingAndResetsTheSilence() {
        EmbeddedChannel ch = channel();
        advance(ch, 20);
        ReferenceCountUtil.release(ch.readOutbound());
        advance(ch, 10);
        ch.writeInbound(new PongWebSocketFrame());
        advance(ch, 10);
        assertThat((Object) ch.readOutbound()).as("20 s after the last ping, but only 10 s of silence").isNull();
        for (int i = 0; i < 2; i++) {
            advance(ch, 20);
            Object ping = ch.readOutbound();
            assertThat(ping).as("silence counted from the pong").isInstanceOf(PingWebSocketFrame.class);
            ReferenceCountUtil.release(ping);
        }
        assertThat(ch.isActive()).isTrue();
        passed.forEach(ReferenceCountUtil::release);
        ch.finishAndReleaseAll();
    }

    @Test
    void aClientThatAnswersEachPingAtOnceIsPingedEveryIntervalByOneTimer() {
        EmbeddedChannel ch = channel();
        advance(ch, 20);
        for (int i = 0; i < 3; i++) {
            Object ping = ch.readOutbound();
            assertThat(ping).as("ping %d, 20 s after the one before", i).isInstanceOf(PingWebSocketFrame.class);
            ReferenceCountUtil.release(ping);
            // The pong comes 50 ms later: the next ping goes out when the timer set with this one
            // fires, 20 s after it, not 50 ms after that (which took a second timer for the 50 ms).
            ch.advanceTimeBy(50, TimeUnit.MILLISECONDS);
            ch.writeInbound(new PongWebSocketFrame());
            ch.advanceTimeBy(19_950, TimeUnit.MILLISECONDS);
            ch.runScheduledPendingTasks();
        }
        assertThat(ch.isActive()).isTrue();
        passed.forEach(ReferenceCountUtil::release);
        ch.finishAndReleaseAll();
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 300, 999})
    void theTimersOfIdleConnectionsFallOnTheWholeSecondsOfTheLoopsClockSoThatTheyShareAWakeUp(long millisPastStep) {
        // Opened at 0.001, 0.3 or 0.999 s past a whole second (call it 0): the ping is due 20 s later
        // and goes out at 21 s, the next whole second, for all three alike.
        EmbeddedChannel ch = channel(settings, millisPastStep);
        ch.advanceTimeBy(21_000 - millisPastStep - 1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat((Object) ch.readOutbound()).as("no ping before the whole second after the interval").isNull();
        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        Object ping = ch.readOutbound();
        assertThat(ping).as("the ping, at 21 s").isInstanceOf(PingWebSocketFrame.class);
        ReferenceCountUtil.release(ping);
        // Answered 50 ms later: the next one is due 20 s after the ping, at 41 s, a whole second again.
        ch.advanceTimeBy(50, TimeUnit.MILLISECONDS);
        ch.writeInbound(new PongWebSocketFrame());
        ch.advanceTimeBy(19_949, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertThat((Object) ch.readOutbound()).as("no ping at 40.999 s").isNull();
        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        ping = ch.readOutbound();
        assertThat(ping).as("the next ping, at 41 s").isInstanceOf(PingWebSocketFrame.class);
        ReferenceCountUtil.release(ping);
        passed.forEach(ReferenceCountUtil::release);
        ch.finishAndReleaseAll();
    }

    @Test
    void pingsThatRunLateKeepTheirIntervalCountedFromWhenTheyWereDue() {
        // A loop runs a timer a moment after it is due (7 ms here). The next ping is due 20 s after
        // this one was due, at 40 s, not 20 s after it ran (which the grid would round up to 41 s).
        EmbeddedChannel ch = channel();
        for (int second = 20; second <= 40; second += 20) {
            ch.advanceTimeBy(second * 1000L + 7 - ticksMillis(ch), TimeUnit.MILLISECONDS);
            ch.runScheduledPendingTasks();
            Object ping = ch.readOutbound();
            assertThat(ping).as("the ping due at %d s, run 7 ms late", second).isInstanceOf(PingWebSocketFrame.class);
            ReferenceCountUtil.release(ping);
        }
        ch.finishAndReleaseAll();
    }

    @Test
    void aSilentClientIsClosedAtThePongTimeoutEvenWhenEachPingRunsLate() {
        // Pings every second, pong timeout 5 s, every timer run 7 ms late: closed at 5 s, not at
        // 5 pings of 2 s each.
        EmbeddedChannel ch = channel(settings(1, 5));
        for (int second = 1; second <= 5; second++) {
            ch.advanceTimeBy(second * 1000L + 7 - ticksMillis(ch), TimeUnit.MILLISECONDS);
            ch.runScheduledPendingTasks();
        }
        assertThat(passed).contains(new WebSocketSession.Closing(1001, "ping timeout", "no pong for 5 s"));
        ch.finishAndReleaseAll();
    }

    /** Milliseconds since the session opened (its channel opened on a whole second, see {@link #channel}). */
    private long ticksMillis(EmbeddedChannel ch) {
        return TimeUnit.NANOSECONDS.toMillis(ch.eventLoop().ticker().nanoTime() - openedNanos);
    }

    @Test
    void closesWith4001AtTheExpiryInstant() {
        EmbeddedChannel ch = channel();
        session.expireAt(NOW.plusSeconds(90));
        ch.writeInbound(new PongWebSocketFrame()); // keep the pings away from the frames read below
        advance(ch, 89);
        for (Object o; (o = ch.readOutbound()) != null; ) {
            assertThat(o).isNotInstanceOf(CloseWebSocketFrame.class);
            ReferenceCountUtil.release(o);
        }
        advance(ch, 1);
        CloseWebSocketFrame close = closeFrame(ch);
        assertThat(close.statusCode()).isEqualTo(4001);
        assertThat(close.reasonText()).isEqualTo("token expired");
        close.release();
        passed.forEach(ReferenceCountUtil::release);
        ch.finishAndReleaseAll();
    }

    @Test
    void aClientUnwritableForTheSlowCloseTimeIsClosedWith1008AndOneThatDrainsIsNot() {
        // No pings in this test: on an embedded channel the flush of a ping would drain the stalled output.
        EmbeddedChannel ch = channel(settings(1_000_000, 2_000_000));
        stall(ch);
        advance(ch, 29);
        drain(ch);
        advance(ch, 10);
        assertThat(passed).noneMatch(e -> e instanceof WebSocketSession.Closing);
        stall(ch);
        advance(ch, 30);
        assertThat(passed).contains(new WebSocketSession.Closing(1008, "connection too slow",
                "unwritable for 30000 ms"));
        ch.finishAndReleaseAll();
    }

    @Test
    void aSessionGetsOneCloseFrameHoweverManyReasonsMeetAndTheSessionHearsFirst() {
        EmbeddedChannel ch = channelThatStaysOpen();
        ch.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                if (msg instanceof CloseWebSocketFrame) {
                    assertThat(passed).as("the session hears of the close before the frame is written")
                            .containsExactly(new WebSocketSession.Closing(4003, "token revoked", null));
                }
                ctx.write(msg, promise);
            }
        });
        WebSocketSession.close(ch, LiveSessions.CLOSE_TOKEN_REVOKED, "token revoked");
        WebSocketSession.close(ch, LiveSessions.CLOSE_TOKEN_EXPIRED, "token expired");
        CloseWebSocketFrame ours = closeFrame(ch);
        assertThat(ours.statusCode()).isEqualTo(4003);
        ours.release();
        assertThat((Object) ch.readOutbound()).as("one close frame per session").isNull();
        assertThat(session.closeSent()).isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void theClientsReplyEndsTheConnectionWithoutBeingPassedOn() {
        EmbeddedChannel ch = channelThatStaysOpen();
        WebSocketSession.close(ch, LiveSessions.CLOSE_TOKEN_REVOKED, "token revoked");
        closeFrame(ch).release();
        passed.clear();
        TextWebSocketFrame typed = new TextWebSocketFrame("{\"event\":\"send_command\",\"command\":\"op me\"}");
        PingWebSocketFrame ping = ping("late");
        ch.writeInbound(typed, ping);
        assertThat(passed).as("nothing the client sends after our close is acted upon").isEmpty();
        assertThat(typed.refCnt()).isZero();
        assertThat(ping.refCnt()).isZero();
        assertThat((Object) ch.readOutbound()).as("no pong behind the close frame").isNull();
        CloseWebSocketFrame reply = new CloseWebSocketFrame(4003, "token revoked");
        ch.writeInbound(reply);
        assertThat(passed).as("not passed on to be answered with a second close frame").isEmpty();
        assertThat(reply.refCnt()).isZero();
        ch.finishAndReleaseAll();
    }

    @Test
    void theReplyClosesTheConnection() {
        EmbeddedChannel ch = channel();
        WebSocketSession.close(ch, LiveSessions.CLOSE_GOING_AWAY, "server shutting down");
        closeFrame(ch).release();
        assertThat(ch.isOpen()).as("not when the frame is written").isTrue();
        ch.writeInbound(new CloseWebSocketFrame(1001, ""));
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void aCloseFrameStuckBehindUnreadOutputStillEndsTheConnection() {
        EmbeddedChannel ch = channel();
        // Writes never complete, as on a socket whose client stopped reading.
        ch.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ReferenceCountUtil.release(msg);
            }
        });
        WebSocketSession.close(ch, 1001, "ping timeout");
        advance(ch, WebSocketSession.FORCED_CLOSE_SECONDS - 1);
        assertThat(ch.isOpen()).as("the close frame still has time to get through").isTrue();
        advance(ch, 1);
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void aCloseTheClientStartsIsAnsweredWithItsOwnStatusThenTheConnectionCloses() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(new CloseWebSocketFrame(4000, "bye"));
        assertOnlyCloseFrame(ch, 4000, "bye");
        // The session heard of the close before the echo went out (it leaves its hub, so no
        // broadcast follows the echo), and took no message from it.
        assertThat(passed).singleElement().isInstanceOfSatisfying(WebSocketSession.Closing.class,
                closing -> assertThat(closing.code()).isEqualTo(4000));
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void pongsAreDropped() {
        EmbeddedChannel ch = channel();
        PongWebSocketFrame pong = new PongWebSocketFrame(Unpooled.copiedBuffer("p", StandardCharsets.UTF_8));
        ch.writeInbound(pong);
        assertThat(pong.refCnt()).isZero();
        assertThat(passed).isEmpty();
        assertNothingMoreThenClose(ch);
    }

    @Test
    void fragmentsAreGatheredIntoOneMessage() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(new TextWebSocketFrame(false, 0, "{\"a\""),
                new ContinuationWebSocketFrame(false, 0, ":"),
                new ContinuationWebSocketFrame(true, 0, "1}"));
        assertThat(passed).hasSize(1);
        TextWebSocketFrame message = (TextWebSocketFrame) passed.get(0);
        assertThat(message.isFinalFragment()).isTrue();
        assertThat(message.text()).isEqualTo("{\"a\":1}");
        message.release();
        assertNothingMoreThenClose(ch);
    }

    @Test
    void aMessageOverTheLimitClosesWith1009AndItsRestIsDropped() {
        EmbeddedChannel ch = channelThatStaysOpen();
        ContinuationWebSocketFrame over = new ContinuationWebSocketFrame(false, 0, "x".repeat(MAX_MESSAGE_BYTES));
        ContinuationWebSocketFrame rest = new ContinuationWebSocketFrame(true, 0, "y");
        ch.writeInbound(new TextWebSocketFrame(false, 0, "{"), over, rest);
        assertThat(over.refCnt()).isZero();
        assertThat(rest.refCnt()).isZero();
        assertThat(passed).containsExactly(new WebSocketSession.Closing(1009, "message too big", null));
        CloseWebSocketFrame close = closeFrame(ch);
        assertThat(close.statusCode()).isEqualTo(1009);
        close.release();
        ch.finishAndReleaseAll();
    }

    @Test
    void aFrameTheDecoderRefusedMakesTheSessionLeaveAndAnswerWithItsStatus() {
        EmbeddedChannel ch = channel();
        // The frame decoder wrote nothing and reports this.
        ch.pipeline().fireExceptionCaught(new CorruptedWebSocketFrameException(WebSocketCloseStatus.MESSAGE_TOO_BIG,
                "Max frame length of 16 has been exceeded."));
        assertThat(passed).singleElement().isInstanceOfSatisfying(WebSocketSession.Closing.class,
                closing -> assertThat(closing.code()).isEqualTo(1009));
        assertThat(refusals).containsExactly(1009);
        assertOnlyCloseFrame(ch, 1009, "Max frame length of 16 has been exceeded.");
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    /**
     * What the decoder refuses reaches the client as exactly one close frame, the decoder's status
     * (RFC 6455 5.5.1: one close frame per side; 7.1.7: a protocol error, 1002; 7.4.1: a frame too
     * big to process, 1009), and the connection ends; the session left what it joined before that
     * frame and counted the refusal. Observed on the bytes the encoder writes.
     */
    @Test
    void aFrameTheDecoderRefusesGetsExactlyOneCloseFrameOnTheWire() {
        record Case(String what, ByteBuf bytes, int code) {
        }
        List<Case> cases = List.of(
                new Case("RSV1 on a text frame", clientFrame(0x81 | 0x40, (byte) '{', (byte) '}'), 1002),
                new Case("a reserved opcode", clientFrame(0x83, (byte) 'x'), 1002),
                new Case("a close frame of 1 byte", clientFrame(0x88, (byte) 0x03), 1002),
                new Case("a frame over the limit", clientFrame(0x81, new byte[MAX_MESSAGE_BYTES + 1]), 1009));
        for (Case c : cases) {
            passed.clear();
            refusals.clear();
            EmbeddedChannel ch = onTheWire(channel());
            ch.writeInbound(c.bytes());
            List<Wire> frames = written(ch);
            assertThat(frames).as(c.what()).hasSize(1);
            assertThat(frames.get(0).opcode()).as(c.what()).isEqualTo(CLOSE);
            assertThat(frames.get(0).closeCode()).as(c.what()).isEqualTo(c.code());
            assertThat(passed).as(c.what()).singleElement().isInstanceOfSatisfying(WebSocketSession.Closing.class,
                    closing -> assertThat(closing.code()).isEqualTo(c.code()));
            assertThat(refusals).as(c.what()).containsExactly(c.code());
            assertThat(ch.isOpen()).as(c.what()).isFalse();
            assertThat(ch.finish()).as(c.what()).isFalse();
        }
    }

    /**
     * After a refusal, with the close frame still on its way (the connection stays open), what else
     * is written through the session (console output once it is closing) is not written, and what
     * the client sends is not read; the channel's own close adds no second close frame.
     */
    @Test
    void nothingFollowsTheCloseFrameOfARefusal() {
        EmbeddedChannel ch = onTheWire(channelThatStaysOpen());
        ch.writeInbound(clientFrame(0x81 | 0x20, (byte) 'x'), clientFrame(0x81, "{}".getBytes(StandardCharsets.UTF_8)));
        TextWebSocketFrame late = new TextWebSocketFrame("{\"event\":\"console\"}");
        assertThat(ch.writeAndFlush(late).cause()).isInstanceOf(ClosedChannelException.class);
        assertThat(late.refCnt()).isZero();
        ch.close();
        List<Wire> frames = written(ch);
        assertThat(frames).singleElement().satisfies(f -> assertThat(f.closeCode()).isEqualTo(1002));
        assertThat(passed).singleElement().isInstanceOf(WebSocketSession.Closing.class);
        ch.finishAndReleaseAll();
    }

    /**
     * A client close frame whose body RFC 6455 does not allow is a protocol error, answered with
     * exactly one close frame, 1002, never with its code echoed nor with 1000: 5.5.1 ("the first two
     * bytes of the body MUST be a 2-byte unsigned integer ... representing a status code with value
     * /code/ defined in Section 7.4"), 7.4.1 (1005, 1006, 1015 "MUST NOT be set as a status code in
     * a Close control frame by an endpoint"), 7.4.2 ("0-999: Status codes in the range 0-999 are
     * not used"), 8.1 (data to be read as UTF-8 that is not: "MUST _Fail the WebSocket
     * Connection_"). A valid close is echoed.
     */
    @Test
    void aCloseFrameWithAnInvalidBodyIsAnsweredWith1002() {
        record Case(String what, byte[] body, int code) {
        }
        List<Case> cases = List.of(
                new Case("code 0", new byte[] {0, 0}, 1002),
                new Case("code 999", new byte[] {0x03, (byte) 0xE7}, 1002),
                new Case("code 1005", new byte[] {0x03, (byte) 0xED}, 1002),
                new Case("code 1006", new byte[] {0x03, (byte) 0xEE}, 1002),
                new Case("code 1015", new byte[] {0x03, (byte) 0xF7}, 1002),
                new Case("reason not UTF-8", new byte[] {0x03, (byte) 0xE8, (byte) 0xC3, 0x28}, 1002),
                new Case("code 1000, valid", new byte[] {0x03, (byte) 0xE8, 'o', 'k'}, 1000),
                new Case("code 4000, valid", new byte[] {0x0F, (byte) 0xA0}, 4000));
        for (Case c : cases) {
            passed.clear();
            refusals.clear();
            EmbeddedChannel ch = onTheWire(channel());
            ch.writeInbound(clientFrame(0x88, c.body()));
            List<Wire> frames = written(ch);
            assertThat(frames).as(c.what()).hasSize(1);
            assertThat(frames.get(0).opcode()).as(c.what()).isEqualTo(CLOSE);
            assertThat(frames.get(0).closeCode()).as(c.what()).isEqualTo(c.code());
            assertThat(refusals).as(c.what()).isEqualTo(c.code() == 1002 ? List.of(1002) : List.of());
            assertThat(ch.isOpen()).as(c.what()).isFalse();
            assertThat(ch.finish()).as(c.what()).isFalse();
        }
    }

    @Test
    void aTextMessageThatIsNotUtf8ClosesWith1007() {
        EmbeddedChannel ch = channel();
        TextWebSocketFrame first = new TextWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[] {'a', (byte) 0xC3}));
        ContinuationWebSocketFrame second = new ContinuationWebSocketFrame(true, 0,
                Unpooled.wrappedBuffer(new byte[] {(byte) 0x28}));
        // A command read in the same batch, behind the bad message: not acted upon once the 1007 is out.
        TextWebSocketFrame after = new TextWebSocketFrame("{\"event\":\"send_command\",\"command\":\"stop\"}");
        ch.writeInbound(first, second, after);
        // The session heard of the close (it leaves its hub first) and took no message.
        assertThat(passed).singleElement().isInstanceOfSatisfying(WebSocketSession.Closing.class,
                closing -> assertThat(closing.code()).isEqualTo(1007));
        assertThat(after.refCnt()).isZero();
        assertOnlyCloseFrame(ch, 1007, WebSocketSession.NOT_UTF8);
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void aSplitCharacterIsValidUtf8OnceGathered() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(new TextWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[] {'a', (byte) 0xC3})),
                new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[] {(byte) 0xA9})));
        assertThat(passed).hasSize(1);
        TextWebSocketFrame message = (TextWebSocketFrame) passed.get(0);
        assertThat(message.text()).isEqualTo("a\u00e9");
        message.release();
        assertNothingMoreThenClose(ch);
    }

    @Test
    void nothingIsWrittenThroughTheSessionAfterACloseFrame() {
        EmbeddedChannel ch = channelThatStaysOpen();
        WebSocketSession.close(ch, LiveSessions.CLOSE_TOKEN_REVOKED, "token revoked");
        closeFrame(ch).release();
        TextWebSocketFrame late = new TextWebSocketFrame("{}");
        assertThat(ch.writeAndFlush(late).cause()).isInstanceOf(ClosedChannelException.class);
        assertThat(late.refCnt()).isZero();
        assertThat((Object) ch.readOutbound()).isNull();
        ch.finishAndReleaseAll();
    }

    @Test
    void closingAnOpenConnectionThatSentNoCloseFrameSends1000First() {
        EmbeddedChannel ch = channel();
        ch.close();
        CloseWebSocketFrame close = closeFrame(ch);
        assertThat(close.statusCode()).isEqualTo(1000);
        close.release();
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void encodedEventsGoOutAsTextFrames() {
        EmbeddedChannel ch = channel();
        ch.writeOutbound("{\"event\":\"logs\",\"data\":\"\"}".getBytes(StandardCharsets.UTF_8));
        TextWebSocketFrame frame = ch.readOutbound();
        assertThat(frame.text()).isEqualTo("{\"event\":\"logs\",\"data\":\"\"}");
        frame.release();
        assertNothingMoreThenClose(ch);
    }

    @Test
    void aPingOnAWritableConnectionIsAnsweredAtOnceWithItsPayload() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(ping("hello"));
        assertThat(pongText(ch)).isEqualTo("hello");
        assertThat(passed).as("the ping goes no further").isEmpty();
        assertThat(metrics.pings(PingOutcome.ANSWERED)).isEqualTo(1);
        assertNothingMoreThenClose(ch);
    }

    @Test
    void whileUnwritableOnlyTheLatestPingIsKeptAndAnsweredOnceItDrains() {
        EmbeddedChannel ch = channel();
        stall(ch);
        PingWebSocketFrame first = ping("1");
        PingWebSocketFrame second = ping("2");
        ch.writeInbound(first, second, ping("3"));
        assertThat((Object) ch.readOutbound()).as("nothing answered while unwritable").isNull();
        assertThat(first.refCnt()).as("a superseded ping is released").isZero();
        assertThat(second.refCnt()).isZero();
        assertThat(metrics.pings(PingOutcome.SUPERSEDED)).isEqualTo(2);
        assertThat(metrics.pings(PingOutcome.ANSWERED)).isZero();
        drain(ch);
        assertThat(pongText(ch)).isEqualTo("3");
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat(metrics.pings(PingOutcome.ANSWERED)).isEqualTo(1);
        assertNothingMoreThenClose(ch);
    }

    @Test
    void aPingStillUnansweredWhenTheConnectionEndsIsReleased() {
        EmbeddedChannel ch = channel();
        stall(ch);
        PingWebSocketFrame ping = ping("late");
        ch.writeInbound(ping);
        ch.unsafe().close(ch.voidPromise()); // the connection ends under the session, as a reset does
        assertThat(ping.refCnt()).isZero();
        assertThat(metrics.pings(PingOutcome.ABANDONED)).isEqualTo(1);
        assertThat(metrics.pings(PingOutcome.ANSWERED) + metrics.pings(PingOutcome.SUPERSEDED)).isZero();
        ch.finishAndReleaseAll();
    }

    @Test
    void aWholeMessageGoesToTheSessionUntouched() {
        EmbeddedChannel ch = channel();
        TextWebSocketFrame text = new TextWebSocketFrame("{}");
        ch.writeInbound(text);
        assertThat(passed).containsExactly(text);
        text.release();
        assertNothingMoreThenClose(ch);
    }
}
