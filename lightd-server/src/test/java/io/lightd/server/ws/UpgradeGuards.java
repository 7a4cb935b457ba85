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
import io.lightd.server.limit.AuthFailureLimiter;
import io.lightd.server.metrics.Metrics;
import io.lightd.server.store.ContainerRegistry;
import io.lightd.server.store.JsonFileStore;
import io.lightd.testing.ScriptedRuntime;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What the tests of the two upgrade guards share ({@link TokenHandshakeHandler} on {@code /ws/<id>},
 * {@link NodeStreamHandshake} on {@code /node/stream}): the collaborators a guard is built from, over
 * a test's folder (defaults configuration with {@code https://panel.example} allowed, a real token
 * store, a connection limiter of 10 in total and 1 per container, an auth-failure limiter of 3 a
 * minute, a container manager on a {@link ScriptedRuntime}); requests as raw bytes; and a run of one
 * request through {@code HttpServerCodec}, {@code HttpObjectAggregator} and the guard on an
 * {@link EmbeddedChannel}. One per test; {@link #close()} stops its loop.
 */
final class UpgradeGuards implements AutoCloseable {

    /** What the guard answered: the status line's code (0 when none), everything written, and whether it closed. */
    record Answer(int status, String text, boolean closed) {
    }

    final LightdConfig config;
    final JsonFileStore.Factory files;
    final TokenStore tokens;
    final ConnectionLimiter limiter = new ConnectionLimiter(10, 1);
    final AuthFailureLimiter failures = new AuthFailureLimiter(3, 100, System::nanoTime);
    final LiveSessions sessions = new LiveSessions();
    final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(1);
    final ContainerManager manager;
    final Authenticator authenticator;

    /** With {@code master} as the master token, storage in {@code dir}, and {@code configure} applied to the configuration JSON. */
    UpgradeGuards(String master, Path dir, Consumer<JsonObject> configure) throws Exception {
        JsonObject json = ConfigLoader.defaultsJson(master);
        json.getAsJsonArray("allowed_origins").add("https://panel.example");
        configure.accept(json);
        config = ConfigLoader.parse(json, dir);
        files = new JsonFileStore.Factory(dir, Runnable::run);
        tokens = new TokenStore(master, Clock.systemUTC(), files);
        manager = new ContainerManager(loops, new ScriptedRuntime(), new ContainerRegistry(files), config.limits(),
                Clock.systemUTC(), dir, Runnable::run, new Metrics());
        authenticator = new Authenticator(tokens, new SignedTokens(config.jwt(),
                new Revocations(Clock.systemUTC(), config.jwt().maxLifetime(), config.jwt().clockSkew(), files),
                Clock.systemUTC()));
    }

    /** A browser-like upgrade request to {@code uri} as raw bytes, with extra header lines. */
    static String upgrade(String uri, String... headers) {
        return request(uri, "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13",
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", String.join("\r\n", headers));
    }

    /** A GET of {@code uri} with only {@code Host} and the header lines given (blank ones skipped). */
    static String request(String uri, String... headers) {
        StringBuilder b = new StringBuilder("GET " + uri + " HTTP/1.1\r\nHost: localhost\r\n");
        for (String h : headers) {
            if (!h.isEmpty()) {
                b.append(h).append("\r\n");
            }
        }
        return b.append("\r\n").toString();
    }

    /** Runs {@code request} through codec, aggregator and {@code guard} on a fresh channel; releases what it read. */
    static Answer send(ChannelHandler guard, String request) {
        EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(), new HttpObjectAggregator(8192), guard);
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

    /** A refusal before any upgrade: {@code status}, a JSON body naming {@code error}, {@code Connection: close}, closed. */
    static void assertRefused(Answer a, int status, String error) {
        assertThat(a.status()).as(a.text()).isEqualTo(status);
        assertThat(a.text()).contains("content-type: application/json").contains("connection: close")
                .contains("\"error\":").contains(error).doesNotContain("upgrade: websocket");
        assertThat(a.closed()).as("closed after the refusal").isTrue();
    }

    /**
     * The handshake headers are checked before anything else of {@code uri} (which carries a good
     * token): each missing or bad one a 400 or 426 with its own message, all of them present a 101.
     */
    static void assertHandshakeHeadersCheckedFirst(ChannelHandler guard, String uri) {
        String upgrade = "Upgrade: websocket";
        String connection = "Connection: Upgrade";
        String key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==";
        String v13 = "Sec-WebSocket-Version: 13";
        assertRefused(send(guard, request(uri, connection, key, v13)), 400, "Upgrade: websocket is missing");
        assertRefused(send(guard, request(uri, upgrade, key, v13)), 400, "Connection: Upgrade is missing");
        assertRefused(send(guard, request(uri, upgrade, connection, v13)), 400, "Sec-WebSocket-Key is missing");
        for (String bad : new String[] {"abc", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZSE=", "!!!!!!!!!!!!!!!!!!!!!!=="}) {
            assertRefused(send(guard, request(uri, upgrade, connection, "Sec-WebSocket-Key: " + bad, v13)), 400,
                    "Sec-WebSocket-Key must be 16 bytes in base64");
        }
        Answer old = send(guard, request(uri, upgrade, connection, key, "Sec-WebSocket-Version: 8"));
        assertRefused(old, 426, "unsupported WebSocket version; use 13");
        assertThat(old.text()).contains("sec-websocket-version: 13");
        assertRefused(send(guard, request(uri, upgrade, connection, key)), 426, "unsupported WebSocket version; use 13");
        assertThat(send(guard, request(uri, upgrade, connection, key, v13)).status()).isEqualTo(101);
    }

    /** Stops the manager's loop. */
    @Override
    public void close() {
        loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }
}
