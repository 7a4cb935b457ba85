package io.lightd.server.ws;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.lightd.server.auth.Authenticator;
import io.lightd.server.auth.Revocations;
import io.lightd.server.auth.SignedTokens;
import io.lightd.server.auth.TokenStore;
import io.lightd.server.config.ConfigLoader;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.hub.ContainerManager;
import io.lightd.server.hub.FakeRuntimeAccess;
import io.lightd.server.limit.AuthFailureLimiter;
import io.lightd.server.metrics.Metrics;
import io.lightd.server.store.ContainerRegistry;
import io.lightd.server.store.JsonFileStore;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node stream's guard: only the master token opens it, every refusal before the upgrade with a JSON error. */
class NodeStreamHandshakeTest {

    private static final String MASTER = "lightd_node-stream-test-master";
    @TempDir
    Path dir;
    private final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(1);
    private TokenStore tokens;
    private ConnectionLimiter limiter;
    private AuthFailureLimiter failures;
    private NodeStreamHandshake handler;

    @BeforeEach
    void setUp() throws Exception {
        JsonObject json = ConfigLoader.defaultsJson(MASTER);
        json.getAsJsonArray("allowed_origins").add("https://panel.example");
        LightdConfig config = ConfigLoader.parse(json, dir);
        JsonFileStore.Factory files = new JsonFileStore.Factory(dir, Runnable::run);
        tokens = new TokenStore(MASTER, Clock.systemUTC(), files);
        limiter = new ConnectionLimiter(10, 1);
        failures = new AuthFailureLimiter(3, 100, System::nanoTime);
        ContainerManager manager = new ContainerManager(loops, new FakeRuntimeAccess().runtime(),
                new ContainerRegistry(files), config.limits(), Clock.systemUTC(), dir, Runnable::run, new Metrics());
        LiveSessions sessions = new LiveSessions();
        NodeStream stream = new NodeStream(manager, sessions, loops.next(), Runnable::run, Clock.systemUTC(),
                "test");
        Authenticator authenticator = new Authenticator(tokens, new SignedTokens(config.jwt(),
                new Revocations(Clock.systemUTC(), config.jwt().maxLifetime(), config.jwt().clockSkew(), files),
                Clock.systemUTC()));
        handler = new NodeStreamHandshake(authenticator, new HandshakeGate(limiter, failures, config.allowedOrigins()),
                new UpgradeOnly());
    }

    @AfterEach
    void tearDown() {
        loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }

    private static String get(String uri, String... headers) {
        StringBuilder b = new StringBuilder("GET " + uri + " HTTP/1.1\r\nHost: localhost\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
        for (String h : headers) {
            b.append(h).append("\r\n");
        }
        return b.append("\r\n").toString();
    }

    private record Answer(int status, String text, boolean closed) {
    }

    private Answer send(String request) {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(), new HttpObjectAggregator(8192), handler);
        ch.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
        StringBuilder out = new StringBuilder();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf buf = (ByteBuf) o;
            out.append(buf.toString(StandardCharsets.UTF_8));
            buf.release();
        }
        boolean closed = !ch.isOpen();
        ch.finishAndReleaseAll();
        String text = out.toString();
        int status = text.startsWith("HTTP/1.1 ") ? Integer.parseInt(text.substring(9, 12)) : 0;
        return new Answer(status, text, closed);
    }

    @Test
    void theMasterTokenOpensIt() {
        assertThat(send(get("/node/stream?token=" + MASTER)).status()).isEqualTo(101);
        assertThat(send(get("/node/stream", "Authorization: Bearer " + MASTER)).status()).isEqualTo(101);
    }

    @Test
    void noTokenOrAWrongOneIs401() {
        Answer none = send(get("/node/stream"));
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.text()).contains("{\"error\":\"invalid or expired token\"}").doesNotContain("Upgrade: websocket");
        assertThat(send(get("/node/stream?token=lightd_wrong")).status()).isEqualTo(401);
        assertThat(limiter.total()).as("no place kept by refused attempts").isZero();
    }

    @Test
    void aConsoleTokenIs403() {
        String issued = tokens.issue(Duration.ofMinutes(5), false).join().token();
        Answer a = send(get("/node/stream?token=" + issued));
        assertThat(a.status()).isEqualTo(403);
        assertThat(a.text()).contains("{\"error\":\"the node stream needs the master token\"}");
        assertThat(limiter.total()).isZero();
    }

    @Test
    void aSingleUseConsoleTokenIs403AndIsNotUsedUp() {
        String once = tokens.issue(Duration.ofMinutes(5), true).join().token();
        assertThat(send(get("/node/stream?token=" + once)).status()).isEqualTo(403);
        assertThat(tokens.authenticate(once, false)).as("still unused").isPresent();
    }

    @Test
    void aForeignOriginIs403() {
        assertThat(send(get("/node/stream?token=" + MASTER, "Origin: https://evil.example")).status()).isEqualTo(403);
        assertThat(send(get("/node/stream?token=" + MASTER, "Origin: https://panel.example")).status()).isEqualTo(101);
    }

    @Test
    void overTheCapIs429() {
        assertThat(limiter.tryAcquire(NodeStreamHandshake.CAP_KEY)).isTrue();
        assertThat(send(get("/node/stream?token=" + MASTER)).status()).isEqualTo(429);
        limiter.release(NodeStreamHandshake.CAP_KEY);
    }

    @Test
    void postIs405() {
        Answer a = send("POST /node/stream HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n");
        assertThat(a.status()).isEqualTo(405);
    }

    @Test
    void ownsOnlyItsPath() {
        assertThat(NodeStreamHandshake.owns("/node/stream")).isTrue();
        assertThat(NodeStreamHandshake.owns("/node/streams")).isFalse();
        assertThat(NodeStreamHandshake.owns("/node/stream/x")).isFalse();
        assertThat(NodeStreamHandshake.owns("/ws/node")).isFalse();
    }

    /** A request with the handshake headers given, none else of the handshake's. */
    private static String handshake(String uri, String... headers) {
        StringBuilder b = new StringBuilder("GET " + uri + " HTTP/1.1\r\nHost: localhost\r\n");
        for (String h : headers) {
            b.append(h).append("\r\n");
        }
        return b.append("\r\n").toString();
    }

    @Test
    void theHandshakeHeadersAreCheckedFirstWithJsonRefusalsAndACloseAfter() {
        String uri = "/node/stream?token=" + MASTER;
        String upgrade = "Upgrade: websocket";
        String connection = "Connection: Upgrade";
        String key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==";
        String v13 = "Sec-WebSocket-Version: 13";
        assertRefused(send(handshake(uri, connection, key, v13)), 400, "Upgrade: websocket is missing");
        assertRefused(send(handshake(uri, upgrade, key, v13)), 400, "Connection: Upgrade is missing");
        assertRefused(send(handshake(uri, upgrade, connection, v13)), 400, "Sec-WebSocket-Key is missing");
        for (String bad : new String[] {"abc", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZSE=", "!!!!!!!!!!!!!!!!!!!!!!=="}) {
            assertRefused(send(handshake(uri, upgrade, connection, "Sec-WebSocket-Key: " + bad, v13)), 400,
                    "Sec-WebSocket-Key must be 16 bytes in base64");
        }
        Answer old = send(handshake(uri, upgrade, connection, key, "Sec-WebSocket-Version: 8"));
        assertRefused(old, 426, "unsupported WebSocket version; use 13");
        assertThat(old.text()).contains("sec-websocket-version: 13");
        assertRefused(send(handshake(uri, upgrade, connection, key)), 426, "unsupported WebSocket version; use 13");
        assertThat(send(handshake(uri, upgrade, connection, key, v13)).status()).isEqualTo(101);
    }

    private static void assertRefused(Answer a, int status, String error) {
        assertThat(a.status()).as(a.text()).isEqualTo(status);
        assertThat(a.text()).contains("content-type: application/json").contains("connection: close")
                .contains("\"error\":").contains(error).doesNotContain("upgrade: websocket");
        assertThat(a.closed()).as("closed after the refusal").isTrue();
    }
}
