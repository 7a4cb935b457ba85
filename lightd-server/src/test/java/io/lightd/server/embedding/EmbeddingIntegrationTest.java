package io.lightd.server.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.lightd.runtime.ContainerRuntime;
import io.lightd.runtime.ContainerSpec;
import io.lightd.runtime.InstallListener;
import io.lightd.runtime.RuntimeListener;
import io.lightd.runtime.StopSignal;
import io.lightd.runtime.process.ProcessRuntime;
import io.lightd.server.LightdServer;
import io.lightd.server.credential.Tokens;
import io.lightd.server.config.LightdConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lightd embedded in a host application through {@link LightdServer#builder()}: on the host's event
 * loop group beside the host's own Netty server (both serve; closing lightd leaves the group and the
 * host's server running), with a runtime, clock and meter registry the host passes.
 */
class EmbeddingIntegrationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path storage;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final String token = Tokens.generate();
    private MultiThreadIoEventLoopGroup group;
    private Channel hostServer;
    private LightdServer lightd;

    @AfterEach
    void tearDown() {
        if (lightd != null) {
            lightd.close();
        }
        if (hostServer != null) {
            hostServer.close().syncUninterruptibly();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void lightdSharesTheHostsGroupWithTheHostsOwnServerAndClosingItLeavesBothRunning() throws Exception {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        hostServer = startHostServer(group);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();

        lightd = EmbeddedLightd.start(group, registry, storage, token, 0);

        assertThat(lightd.eventLoopGroup()).isSameAs(group);
        assertThat(lightd.serverChannel().eventLoop().parent()).as("lightd's socket is on the host's loops")
                .isSameAs(group);
        assertThat(hostServer.eventLoop().parent()).isSameAs(group);
        assertThat(lightd.meterRegistry()).isSameAs(registry);
        assertThat(lightd.config().limits().historyLines()).isEqualTo(500);

        HttpResponse<String> ping = get(lightd.port(), "/api/v1/public/ping", null);
        assertThat(ping.statusCode()).isEqualTo(200);
        JsonObject pong = JsonParser.parseString(ping.body()).getAsJsonObject();
        assertThat(pong.get("status").getAsString()).isEqualTo("ok");
        assertThat(pong.get("runtime").getAsString()).isEqualTo("process");
        assertThat(get(lightd.port(), "/containers", token).statusCode()).as("an authenticated route").isEqualTo(200);
        assertThat(get(lightd.port(), "/containers", Tokens.generate()).statusCode()).isEqualTo(401);
        assertThat(get(port(hostServer), "/", null).body()).isEqualTo("host");

        int lightdPort = lightd.port();
        lightd.close();
        lightd = null;

        assertThat(group.isShuttingDown()).as("the host's group after lightd closed").isFalse();
        for (EventExecutor loop : group) {
            assertThat(loop.isShuttingDown()).isFalse();
        }
        assertThat(hostServer.isActive()).isTrue();
        assertThat(get(port(hostServer), "/", null).body()).as("the host's server after lightd closed")
                .isEqualTo("host");
        assertThatThrownBy(() -> get(lightdPort, "/api/v1/public/ping", null))
                .as("lightd no longer listens").isInstanceOf(ConnectException.class);
        // The group still takes new work: the host can start lightd again on it.
        lightd = EmbeddedLightd.start(group, registry, storage, token, 0);
        assertThat(get(lightd.port(), "/api/v1/public/ping", null).statusCode()).isEqualTo(200);
    }

    @Test
    void aRuntimeAndClockTheHostPassesAreUsedAndTheRuntimeIsLeftOpen() throws Exception {
        Instant now = Instant.parse("2031-05-01T00:00:00Z");
        CountingRuntime runtime = new CountingRuntime(new ProcessRuntime(storage.resolve("host-runtime")));
        try {
            lightd = LightdServer.builder()
                    .config(config())
                    .runtime(runtime)
                    .clock(Clock.fixed(now, ZoneOffset.UTC))
                    .start();
            HttpResponse<String> issued = post(lightd.port(), "/auth/tokens", "{\"ttl\":\"15m\"}");
            assertThat(issued.statusCode()).isEqualTo(201);
            assertThat(JsonParser.parseString(issued.body()).getAsJsonObject().get("expires_at").getAsString())
                    .as("expiry on the host's clock").isEqualTo("2031-05-01T00:15:00Z");
            assertThat(runtime.listed.get()).as("lightd asked the host's runtime what runs").isPositive();
            lightd.close();
            lightd = null;
            assertThat(runtime.closed.get()).as("close calls on the host's runtime").isZero();
        } finally {
            runtime.close();
        }
    }

    @Test
    void whatLightdMakesItClosesItselfGroupAndRuntimeAlike() throws Exception {
        AtomicInteger made = new AtomicInteger();
        CountingRuntime[] runtime = new CountingRuntime[1];
        lightd = LightdServer.builder()
                .config(config())
                .runtimeFactory((config, loops) -> {
                    made.incrementAndGet();
                    runtime[0] = new CountingRuntime(new ProcessRuntime(config.basePath()));
                    return runtime[0];
                })
                .start();
        var ownGroup = lightd.eventLoopGroup();
        lightd.close();
        lightd = null;
        assertThat(made.get()).isEqualTo(1);
        assertThat(runtime[0].closed.get()).isEqualTo(1);
        assertThat(ownGroup.isShuttingDown()).isTrue();
    }

    @Test
    void aStartThatFailsLeavesTheHostsGroupAndRuntimeAlone() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        hostServer = startHostServer(group);
        CountingRuntime runtime = new CountingRuntime(new ProcessRuntime(storage.resolve("host-runtime")));
        try {
            LightdConfig taken = config().toBuilder().port(port(hostServer)).build();
            assertThatThrownBy(() -> LightdServer.builder().config(taken).eventLoopGroup(group).runtime(runtime)
                    .start()).as("the port is the host server's").isNotNull();
            assertThat(group.isShuttingDown()).isFalse();
            assertThat(runtime.closed.get()).isZero();
            assertThat(get(port(hostServer), "/", null).body()).isEqualTo("host");
        } finally {
            runtime.close();
        }
    }

    @Test
    void aBuilderWithoutConfigurationIsRefused() {
        assertThatThrownBy(() -> LightdServer.builder().start()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("config");
    }

    private LightdConfig config() {
        return LightdConfig.builder().token(token).host("127.0.0.1").port(0).basePath(storage)
                .runtime(LightdConfig.RuntimeKind.PROCESS).eventLoopThreads(2).build();
    }

    /** The host's own HTTP server: answers every request with 200 {@code host}. */
    private static Channel startHostServer(MultiThreadIoEventLoopGroup group) {
        return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8192),
                                new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                                        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                                HttpResponseStatus.OK,
                                                Unpooled.copiedBuffer("host", StandardCharsets.UTF_8));
                                        res.headers().set(HttpHeaderNames.CONTENT_LENGTH,
                                                res.content().readableBytes());
                                        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
                                    }
                                });
                    }
                })
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }

    private static int port(Channel server) {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    private HttpResponse<String> get(int port, String path, String bearer) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(TIMEOUT);
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(int port, String path, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(TIMEOUT)
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A runtime that counts what is asked of it and passes everything to a real one. */
    private static final class CountingRuntime implements ContainerRuntime {
        private final ContainerRuntime real;
        final AtomicInteger closed = new AtomicInteger();
        final AtomicInteger listed = new AtomicInteger();

        CountingRuntime(ContainerRuntime real) {
            this.real = real;
        }

        @Override
        public String name() {
            return real.name();
        }

        @Override
        public boolean isolated() {
            return real.isolated();
        }

        @Override
        public CompletableFuture<Integer> install(ContainerSpec spec, EventExecutor loop, InstallListener listener) {
            return real.install(spec, loop, listener);
        }

        @Override
        public CompletableFuture<Void> start(ContainerSpec spec, EventExecutor loop, RuntimeListener listener) {
            return real.start(spec, loop, listener);
        }

        @Override
        public CompletableFuture<Boolean> attach(ContainerSpec spec, EventExecutor loop, RuntimeListener listener) {
            return real.attach(spec, loop, listener);
        }

        @Override
        public CompletableFuture<Void> stop(String internalId, String stopCommand, Duration timeout) {
            return real.stop(internalId, stopCommand, timeout);
        }

        @Override
        public CompletableFuture<Void> signal(String internalId, StopSignal signal) {
            return real.signal(internalId, signal);
        }

        @Override
        public CompletableFuture<Void> kill(String internalId) {
            return real.kill(internalId);
        }

        @Override
        public CompletableFuture<Void> writeStdin(String internalId, byte[] data) {
            return real.writeStdin(internalId, data);
        }

        @Override
        public CompletableFuture<Void> remove(String internalId) {
            return real.remove(internalId);
        }

        @Override
        public CompletableFuture<byte[]> logTail(String internalId, int maxBytes) {
            return real.logTail(internalId, maxBytes);
        }

        @Override
        public boolean available() {
            return real.available();
        }

        @Override
        public int hostCpus() {
            return real.hostCpus();
        }

        @Override
        public void statsDemand(String internalId, boolean watched) {
            real.statsDemand(internalId, watched);
        }

        @Override
        public CompletableFuture<Set<String>> listRunning() {
            listed.incrementAndGet();
            return real.listRunning();
        }

        @Override
        public void close() {
            closed.incrementAndGet();
            real.close();
        }
    }
}
