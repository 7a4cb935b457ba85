package io.lightd.server.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.lightd.server.auth.Authenticator;
import io.lightd.server.auth.Revocations;
import io.lightd.server.auth.SignedTokens;
import io.lightd.server.auth.TokenStore;
import io.lightd.server.config.ConfigLoader;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.http.ExceptionResponder;
import io.lightd.server.http.RequestRouter;
import io.lightd.server.http.message.RequestTarget;
import io.lightd.server.hub.ContainerManager;
import io.lightd.testing.ScriptedRuntime;
import io.lightd.server.limit.AuthFailureLimiter;
import io.lightd.server.limit.ConnectionAttemptLimiter;
import io.lightd.server.logging.FaultLog;
import io.lightd.server.metrics.Metrics;
import io.lightd.server.store.ContainerRegistry;
import io.lightd.server.store.JsonFileStore;
import io.lightd.server.ws.ConnectionLimiter;
import io.lightd.server.ws.HandshakeGate;
import io.lightd.server.ws.LiveSessions;
import io.lightd.server.ws.NodeStream;
import io.lightd.server.ws.NodeStreamHandshake;
import io.lightd.server.ws.TokenHandshakeHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The pipelines {@link LightdPipeline} builds, read from real connections on embedded channels: an
 * accepted connection's HTTP pipeline, and what a console and the node stream hold after a real
 * upgrade (the order its class comment draws, no channel attribute kept), and that no handler name
 * is spelled anywhere else.
 */
class LightdPipelineTest {

    private static final String MASTER = "lightd_pipeline-test-master";
    @TempDir
    Path dir;
    private final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(1);
    private LightdPipeline.Http http;
    private LightdPipeline pipeline;
    private final ConnectionLimiter limiter = new ConnectionLimiter(10, 10);

    @BeforeEach
    void setUp() throws Exception {
        JsonObject json = ConfigLoader.defaultsJson(MASTER);
        LightdConfig config = ConfigLoader.parse(json, dir);
        JsonFileStore.Factory files = new JsonFileStore.Factory(dir, Runnable::run);
        TokenStore tokens = new TokenStore(MASTER, Clock.systemUTC(), files);
        ContainerManager manager = new ContainerManager(loops, new ScriptedRuntime(),
                new ContainerRegistry(files), config.limits(), Clock.systemUTC(), dir, Runnable::run, new Metrics());
        LiveSessions sessions = new LiveSessions();
        NodeStream stream = new NodeStream(manager, sessions, loops.next(), Runnable::run, Clock.systemUTC(), "test");
        Authenticator authenticator = new Authenticator(tokens, new SignedTokens(config.jwt(),
                new Revocations(Clock.systemUTC(), config.jwt().maxLifetime(), config.jwt().clockSkew(), files),
                Clock.systemUTC()));
        pipeline = new LightdPipeline(config.limits(), manager, sessions, stream, Clock.systemUTC());
        HandshakeGate gate = new HandshakeGate(limiter,
                new AuthFailureLimiter(3, 100, System::nanoTime), config.allowedOrigins());
        // Only the handshake paths are taken here: the other routes are never reached.
        RequestRouter router = new RequestRouter(null, new TokenHandshakeHandler(authenticator, manager, gate, pipeline),
                null, null, new RequestRouter.Node(null, new NodeStreamHandshake(authenticator, gate, pipeline)),
                pipeline);
        FaultLog faults = new FaultLog(LoggerFactory.getLogger(LightdPipelineTest.class));
        http = new LightdPipeline.Http(null, new ConnectionAttemptLimiter(1000, 1000, 100, System::nanoTime), router,
                new ExceptionResponder(faults), faults, new DefaultChannelGroup(GlobalEventExecutor.INSTANCE));
    }

    @AfterEach
    void tearDown() {
        loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }

    /** The handlers' names, head first, without the pipeline's own tail. */
    private static List<String> names(EmbeddedChannel ch) {
        return ch.pipeline().names().stream().filter(n -> !n.startsWith("DefaultChannelPipeline$TailContext")).toList();
    }

    private static String upgrade(String uri) {
        return "GET " + uri + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    }

    /** Sends {@code request} on {@code ch} and returns the status code of the answer. */
    private static int send(EmbeddedChannel ch, String request) {
        ch.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
        ch.runPendingTasks();
        StringBuilder out = new StringBuilder();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf buf = (ByteBuf) o;
            out.append(buf.toString(StandardCharsets.US_ASCII));
            buf.release();
        }
        return Integer.parseInt(out.substring(9, 12));
    }

    @Test
    void anAcceptedConnectionHoldsTheHttpPipeline() {
        EmbeddedChannel ch = new EmbeddedChannel(pipeline.initializer(http));
        assertThat(names(ch)).containsExactly(LightdPipeline.HTTP_CODEC, LightdPipeline.REQUEST_DEADLINE,
                LightdPipeline.BAD_REQUEST, LightdPipeline.HTTP_AGGREGATOR, LightdPipeline.ROUTER,
                LightdPipeline.EXCEPTION_RESPONDER);
        ch.finishAndReleaseAll();
    }

    @Test
    void anUpgradedConsoleHoldsThreeHandlersInTheDrawnOrderAndNoChannelAttribute() {
        EmbeddedChannel ch = new EmbeddedChannel(pipeline.initializer(http));
        assertThat(send(ch, upgrade("/ws/c-1?token=" + MASTER))).isEqualTo(101);
        assertThat(names(ch)).containsExactly("wsencoder", "wsdecoder", LightdPipeline.CONSOLE_SESSION);
        assertThat(ch.hasAttr(AttributeKey.valueOf(RequestTarget.class, "target")))
                .as("the handshake's request target (its query holds the token) is not kept for the session's life")
                .isFalse();
        assertThat(ch.hasAttr(AttributeKey.valueOf(WebSocketServerHandshaker.class, "HANDSHAKER")))
                .as("no handshaker is kept for the session's life").isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void anUpgradedNodeStreamHoldsThreeHandlersInTheDrawnOrder() {
        EmbeddedChannel ch = new EmbeddedChannel(pipeline.initializer(http));
        assertThat(send(ch, upgrade(NodeStreamHandshake.PATH + "?token=" + MASTER))).isEqualTo(101);
        assertThat(names(ch)).containsExactly("wsencoder", "wsdecoder", LightdPipeline.NODE_SESSION);
        ch.finishAndReleaseAll();
    }

    @Test
    void anUpgradedConsoleHasItsOneCloseListenerAndGivesItsPlaceBackWhenItCloses() {
        EmbeddedChannel ch = new EmbeddedChannel(pipeline.initializer(http));
        assertThat(send(ch, upgrade("/ws/c-1?token=" + MASTER))).isEqualTo(101);
        assertThat(limiter.total()).isEqualTo(1);
        ch.close();
        assertThat(limiter.total()).isZero();
        ch.finishAndReleaseAll();
    }

    /** Adding a handler under a literal name: {@code addLast("x", h)}, {@code addAfter(a, "x", h)}. */
    private static final Pattern ADDED_BY_LITERAL = Pattern.compile(
            "\\.(?:addFirst|addLast|addBefore|addAfter)\\(\\s*(?:[^,\"]+,\\s*)?\"");
    /** Finding, removing or replacing a handler of a pipeline by a literal name: {@code pipeline().remove("x")}. */
    private static final Pattern LOOKED_UP_BY_LITERAL = Pattern.compile(
            "pipeline(?:\\(\\))?\\.(?:remove|get|context|replace)\\(\\s*(?:[^,\"]+,\\s*)?\"");

    @Test
    void noHandlerIsNamedByAStringLiteralOutsideThePipelinePackage() throws IOException {
        Path main = Path.of("src/main/java");
        Path home = main.resolve("io/lightd/server/pipeline");
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(main)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java") && !f.startsWith(home)).toList()) {
                List<String> lines = Files.readAllLines(file);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i);
                    if (ADDED_BY_LITERAL.matcher(line).find() || LOOKED_UP_BY_LITERAL.matcher(line).find()) {
                        found.add(main.relativize(file) + ":" + (i + 1) + ": " + lines.get(i).trim());
                    }
                }
            }
        }
        assertThat(found).isEmpty();
    }
}
