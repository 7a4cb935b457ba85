package io.lightd.server.ws;

import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.protocol.DecodeResult;
import io.lightd.server.auth.ConsoleScope;
import io.lightd.server.auth.TokenStore;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.hub.ContainerManager;
import io.lightd.server.metrics.Metrics;
import io.lightd.server.record.ContainerRecord;
import io.lightd.server.store.ContainerRegistry;
import io.lightd.server.store.JsonFileStore;
import com.google.gson.JsonParser;
import io.lightd.protocol.OutboundEvents;
import io.lightd.server.record.ContainerRecord;
import io.lightd.testing.ScriptedRuntime;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The session handler on an embedded channel whose clock the test moves: expiry, errors, rate limit. */
class ConsoleSessionHandlerTest {

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    @TempDir
    Path dir;
    private final DefaultEventLoopGroup hubs = new DefaultEventLoopGroup(1);

    @AfterEach
    void tearDown() {
        hubs.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }

    private ContainerManager manager;
    private ScriptedRuntime runtime;

    private EmbeddedChannel session(TokenStore.Grant grant, AtomicLong nanos) {
        runtime = new ScriptedRuntime();
        manager = new ContainerManager(hubs, runtime,
                new ContainerRegistry(new JsonFileStore.Factory(dir, Runnable::run)),
                LightdConfig.Defaults.limits(), Clock.systemUTC(), dir, Runnable::run,
                new Metrics());
        // Pings so far apart that none is sent in these tests (WebSocketSessionTest has them).
        ConsoleSessionHandler handler = new ConsoleSessionHandler(new WebSocketSession.Settings(new Metrics(),
                1_000_000_000, 2_000_000_000, 30, Clock.fixed(NOW, ZoneOffset.UTC),
                WebSocketDecoderConfig.newBuilder().maxFramePayloadLength(16384).build()), "c-1", grant, manager,
                new LiveSessions(), new EventFrameCodec(4096), () -> new InboundRateLimiter(1, 2, nanos::get));
        EmbeddedChannel ch = new EmbeddedChannel(handler);
        ch.freezeTime(); // timers (token expiry) move only when a test advances the clock
        handler.operationComplete(ch.newSucceededFuture()); // the upgrade's 101 is written
        return ch;
    }

    private static String text(EmbeddedChannel ch) {
        TextWebSocketFrame f = ch.readOutbound();
        try {
            return f.text();
        } finally {
            f.release();
        }
    }

    @Test
    void historyRequestsWaitWhileTheClientIsNotReadingAndTheLatestIsAnsweredOnce() throws Exception {
        AtomicLong nanos = new AtomicLong();
        EmbeddedChannel ch = session(new TokenStore.Grant("h", null), nanos);
        manager.create(ContainerRecord.fromCreateBody(JsonParser.parseString(
                "{\"internal_id\":\"c-1\",\"image\":\"img\",\"startup_command\":\"run\"}").getAsJsonObject(),
                NOW)).get(5, TimeUnit.SECONDS);
        ch.writeInbound(new TextWebSocketFrame("{\"event\":\"request_logs\",\"args\":[]}"));
        assertThat(logsReplies(ch)).as("answered at once while the client reads").isEqualTo(1);

        // The client stops reading: output piles up unflushed past the high-water mark.
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
        ch.write(new TextWebSocketFrame("x".repeat(100)));
        assertThat(ch.isWritable()).isFalse();
        for (int i = 0; i < 5; i++) {
            nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
            ch.writeInbound(new TextWebSocketFrame("{\"event\":\"request_logs\",\"args\":[]}"));
        }
        assertThat(logsReplies(ch)).as("nothing is started while the connection is unwritable").isZero();

        ch.flush();
        assertThat(ch.isWritable()).isTrue();
        assertThat(logsReplies(ch)).as("the waiting requests get one answer once it drains").isEqualTo(1);
        ch.finishAndReleaseAll();
    }

    /**
     * Lets the session and the hub finish all they started, and counts the logs replies written
     * meanwhile. The hub answers on its own loop and hands the answer back to the channel's, so each
     * round waits for every task queued on the hub's loop, then runs the channel's pending tasks.
     * The longest chain here (a reply, then the waiting request it starts, then that one's reply)
     * takes two rounds; a reply in the third would be counted too.
     */
    private int logsReplies(EmbeddedChannel ch) throws Exception {
        int count = 0;
        for (int round = 0; round < 3; round++) {
            hubs.submit(() -> { }).get(5, TimeUnit.SECONDS);
            ch.runPendingTasks();
            for (Object o; (o = ch.readOutbound()) != null; ) {
                if (o instanceof TextWebSocketFrame f && f.text().startsWith("{\"event\":\"" + OutboundEvents.LOGS + "\"")) {
                    count++;
                }
                io.netty.util.ReferenceCountUtil.release(o);
            }
        }
        return count;
    }

    @Test
    void aCloseFrameStillGoesOutWhenTheHubsLoopIsAlreadyGone() throws Exception {
        EmbeddedChannel ch = session(new TokenStore.Grant("h", null), new AtomicLong());
        hubs.shutdownGracefully(0, 0, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        WebSocketSession.close(ch, LiveSessions.CLOSE_GOING_AWAY, "server shutting down");
        CloseWebSocketFrame close = ch.readOutbound();
        assertThat(close).as("the close frame passed on, not dropped (and leaked)").isNotNull();
        assertThat(close.statusCode()).isEqualTo(1001);
        close.release();
        ch.finishAndReleaseAll();
    }

    /**
     * A frame the decoder refuses marks the session closing before its close frame goes out: shared
     * frames then enter at the channel (where the session drops them) and none go straight to the
     * socket.
     */
    @Test
    void aRefusedFrameMarksTheSessionClosingBeforeItsOneCloseFrame() {
        EmbeddedChannel ch = session(new TokenStore.Grant("h", null), new AtomicLong());
        ConsoleSessionHandler handler = ch.pipeline().get(ConsoleSessionHandler.class);
        assertThat(handler.frameWriter()).as("open: shared frames enter at the session's context").isNotSameAs(ch);
        ch.pipeline().fireExceptionCaught(new CorruptedWebSocketFrameException(
                WebSocketCloseStatus.PROTOCOL_ERROR, "RSV != 0 and no extension negotiated"));
        assertThat(handler.frameWriter()).as("closing: shared frames enter at the channel").isSameAs(ch);
        assertThat(handler.directSocket()).isNull();
        CloseWebSocketFrame close = ch.readOutbound();
        assertThat(close.statusCode()).isEqualTo(1002);
        close.release();
        assertThat((Object) ch.readOutbound()).as("one close frame").isNull();
        ch.finishAndReleaseAll();
    }

    @Test
    void closesWith4001AtTheTokenExpiryInstant() {
        EmbeddedChannel ch = session(new TokenStore.Grant("h", NOW.plusSeconds(90)), new AtomicLong());
        ch.advanceTimeBy(89, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat((Object) ch.readOutbound()).isNull();
        ch.advanceTimeBy(1, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        CloseWebSocketFrame close = ch.readOutbound();
        assertThat(close.statusCode()).isEqualTo(4001);
        assertThat(close.reasonText()).isEqualTo("token expired");
        close.release();
        ch.finishAndReleaseAll();
    }

    @Test
    void masterTokenNeverExpires() {
        EmbeddedChannel ch = session(new TokenStore.Grant("h", null), new AtomicLong());
        ch.advanceTimeBy(3650, TimeUnit.DAYS);
        ch.runScheduledPendingTasks();
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat(ch.isActive()).isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void badFramesGetAnErrorAndFloodsOneRateLimitNotice() {
        AtomicLong nanos = new AtomicLong();
        EmbeddedChannel ch = session(new TokenStore.Grant("h", null), nanos);
        ch.writeInbound(new TextWebSocketFrame("{}"));
        assertThat(text(ch)).isEqualTo("{\"event\":\"daemon_message\",\"data\":\"Error: missing \\\"event\\\"\"}");
        ch.writeInbound(new TextWebSocketFrame("{}"));
        text(ch);
        ch.writeInbound(new TextWebSocketFrame("{}"));
        ch.writeInbound(new TextWebSocketFrame("{}"));
        ch.writeInbound(new TextWebSocketFrame("{}"));
        assertThat(text(ch)).isEqualTo("{\"event\":\"daemon_message\",\"data\":\"Error: rate limited\"}");
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat(ch.isActive()).isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void aClosingSessionLeavesItsHubBeforeTheCloseFrameAndIsLeftOutOfBroadcasts() throws Exception {
        EmbeddedChannel ch = session(new TokenStore.Grant("h", null), new AtomicLong());
        manager.create(ContainerRecord.fromCreateBody(JsonParser.parseString(
                "{\"internal_id\":\"c-1\",\"image\":\"img\",\"startup_command\":\"run\"}").getAsJsonObject(),
                NOW)).get(5, TimeUnit.SECONDS);
        EmbeddedChannel other = new EmbeddedChannel();
        io.lightd.server.hub.ContainerHub hub = manager.subscribe("c-1", other);
        hubs.submit(() -> { }).get(5, TimeUnit.SECONDS);
        assertThat(hub.subscriberCount()).as("this session and the other watcher").isEqualTo(2);
        WebSocketSession.close(ch, LiveSessions.CLOSE_TOKEN_REVOKED, "token revoked");
        hubs.submit(() -> { }).get(5, TimeUnit.SECONDS);
        assertThat(hub.subscriberCount()).as("the closing session has left, the connection still open")
                .isEqualTo(1);
        assertThat(ch.isOpen()).isTrue();
        CloseWebSocketFrame close = null;
        for (Object o; (o = ch.readOutbound()) != null; ) {
            if (o instanceof CloseWebSocketFrame c) {
                close = c;
            } else {
                io.netty.util.ReferenceCountUtil.release(o); // what the hub sent before the close
            }
        }
        assertThat(close).isNotNull();
        assertThat(close.statusCode()).isEqualTo(4003);
        close.release();
        ch.finishAndReleaseAll();
        other.finishAndReleaseAll();
    }

    @Test
    void framesThePermissionsLackAreRefusedToThisClientAloneAndGoNoFurther() throws Exception {
        ConsoleScope readOnly = ConsoleScope.fromJson(null, JsonParser.parseString("[\"console\"]"));
        AtomicLong nanos = new AtomicLong();
        EmbeddedChannel ch = session(new TokenStore.Grant("h", NOW.plusSeconds(600), TokenStore.Kind.ISSUED,
                readOnly, null, null, null), nanos);
        manager.create(ContainerRecord.fromCreateBody(JsonParser.parseString(
                "{\"internal_id\":\"c-1\",\"image\":\"img\",\"startup_command\":\"run\"}").getAsJsonObject(),
                NOW)).get(5, TimeUnit.SECONDS);
        try {
            assertEachIsDenied(ch, nanos);
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    private void assertEachIsDenied(EmbeddedChannel ch, AtomicLong nanos) throws Exception {
        List<String> expected = List.of("command", "power.start", "power.stop", "power.restart", "power.kill");
        List<String> frames = List.of("{\"event\":\"send_command\",\"command\":\"op me\\n\"}",
                "{\"event\":\"power\",\"action\":\"start\"}", "{\"event\":\"power\",\"action\":\"stop\"}",
                "{\"event\":\"power\",\"action\":\"restart\"}", "{\"event\":\"power\",\"action\":\"kill\"}");
        for (int i = 0; i < frames.size(); i++) {
            nanos.addAndGet(TimeUnit.SECONDS.toNanos(1)); // within the inbound rate limit
            ch.writeInbound(new TextWebSocketFrame(frames.get(i)));
            ch.runPendingTasks();
            String denied = null;
            for (Object o; (o = ch.readOutbound()) != null; ) {
                if (o instanceof TextWebSocketFrame f && f.text().contains("permission denied")) {
                    denied = f.text();
                }
                io.netty.util.ReferenceCountUtil.release(o);
            }
            assertThat(denied).as(frames.get(i)).isEqualTo("{\"event\":\"daemon_message\",\"data\":\"Error: "
                    + "permission denied (" + expected.get(i) + ")\"}");
        }
        // Let anything that did slip through reach the hub's loop and the runtime before looking.
        hubs.next().submit(() -> { }).get(5, TimeUnit.SECONDS);
        assertThat(runtime.calls()).as("nothing reached the runtime")
                .noneMatch(c -> c.startsWith("stdin") || c.startsWith("start") || c.startsWith("stop")
                        || c.startsWith("kill") || c.startsWith("restart"));
        assertThat(ch.isActive()).as("the connection stays open").isTrue();
    }
}
