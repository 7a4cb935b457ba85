package io.lightd.server;

import io.lightd.runtime.BoundedExecutors;
import io.lightd.runtime.ContainerRuntime;
import io.lightd.server.auth.Authenticator;
import io.lightd.server.auth.Revocations;
import io.lightd.server.auth.SignedTokens;
import io.lightd.server.auth.TokenStore;
import io.lightd.server.config.ConfigException;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.config.TlsFiles;
import io.lightd.server.http.AttemptRefusalHandler;
import io.lightd.server.http.BadRequestHandler;
import io.lightd.server.http.BearerAuth;
import io.lightd.server.http.BodyLimitAggregator;
import io.lightd.server.http.ExceptionResponder;
import io.lightd.server.http.ConsolePage;
import io.lightd.server.http.ConsoleSessionRoute;
import io.lightd.server.http.MetricsRoute;
import io.lightd.server.http.NodePage;
import io.lightd.server.http.RequestDeadlineHandler;
import io.lightd.server.http.RequestRouter;
import io.lightd.server.http.RestHandler;
import io.lightd.server.hub.ContainerManager;
import io.lightd.server.logging.FaultLog;
import io.lightd.server.limit.AuthFailureLimiter;
import io.lightd.server.limit.ConnectionAttemptLimiter;
import io.lightd.server.metrics.Metrics;
import io.lightd.server.store.ContainerRegistry;
import io.lightd.server.store.JsonFileStore;
import io.lightd.server.ws.ConnectionLimiter;
import io.lightd.server.ws.LiveSessions;
import io.lightd.server.ws.NodeStream;
import io.lightd.server.ws.NodeStreamHandshake;
import io.lightd.server.ws.TokenHandshakeHandler;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon assembled: event loops, runtime, registry, tokens, hubs and the listening socket.
 * {@link #start} returns once it listens; {@link #close} stops it, leaving containers to the
 * runtime (Docker containers keep running).
 */
public final class LightdServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LightdServer.class);
    private static final long RESTORE_TIMEOUT_SECONDS = 60;
    /** Most addresses each per-IP limit tracks at once (a few MB at most). */
    static final int MAX_TRACKED_ADDRESSES = 65_536;
    private static final long EVICT_INTERVAL_SECONDS = 10;
    /** How long a thread of the blocking and storage pools lives on without work. */
    private static final Duration EXECUTOR_IDLE_TIMEOUT = Duration.ofSeconds(30);
    /** How long a shutdown waits for clients to answer the 1001 close before their connections are cut. */
    private static final long SESSION_CLOSE_SECONDS = 3;

    /** Makes the runtime once the event loops and the blocking executor exist. */
    @FunctionalInterface
    public interface RuntimeFactory {
        ContainerRuntime create(LightdConfig config, EventLoopGroup group);
    }

    private final LightdConfig config;
    private final MultiThreadIoEventLoopGroup group;
    private final ExecutorService blocking;
    private final ExecutorService storage;
    private final ContainerRuntime runtime;
    private final Metrics metrics;
    private final TokenStore tokens;
    private final Revocations revocations;
    private final ContainerManager manager;
    private final LiveSessions sessions;
    private final NodeStream nodeStream;
    private final ChannelGroup connections;
    private final Channel serverChannel;
    private final ScheduledFuture<?> purgeTask;
    private final ScheduledFuture<?> evictTask;

    private LightdServer(LightdConfig config, RuntimeFactory runtimeFactory, Clock clock, MeterRegistry meterRegistry)
            throws IOException {
        this.config = config;
        Transports transport = Transports.select(config.transport());
        this.group = transport.newGroup(config.eventLoopThreads() == 0
                ? Runtime.getRuntime().availableProcessors() : config.eventLoopThreads());
        this.blocking = BoundedExecutors.newBoundedExecutor("lightd-blocking", 4, 4096, EXECUTOR_IDLE_TIMEOUT);
        this.storage = BoundedExecutors.newBoundedExecutor("lightd-storage", 1, 65_536, EXECUTOR_IDLE_TIMEOUT);
        this.metrics = new Metrics(meterRegistry);
        boolean started = false;
        ContainerRuntime createdRuntime = null;
        try {
            SslContext tls = config.tls().enabled() ? sslContext(config.tls()) : null;
            Files.createDirectories(config.volumesPath());
            JsonFileStore.Factory files = new JsonFileStore.Factory(config.basePath().resolve("registry"), storage);
            this.tokens = new TokenStore(config.token(), clock, files);
            this.tokens.load();
            this.revocations = new Revocations(clock, config.jwt().maxLifetime(), config.jwt().clockSkew(), files);
            this.revocations.load();
            Authenticator authenticator = new Authenticator(tokens, new SignedTokens(config.jwt(), revocations, clock));
            ContainerRegistry registry = new ContainerRegistry(files);
            registry.load();
            createdRuntime = runtimeFactory.create(config, group);
            this.runtime = createdRuntime;
            if (!runtime.isolated()) {
                log.warn("runtime '{}' runs every server as a plain process of this host, without isolation: "
                        + "for development, demos and tests only", runtime.name());
            }
            this.manager = new ContainerManager(group, runtime, registry, config.limits(), clock,
                    config.volumesPath(), blocking, metrics, config.console().coalesceMillis());
            try {
                manager.restoreAll().get(RESTORE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                log.warn("restoring containers takes longer than {} s; continuing in the background",
                        RESTORE_TIMEOUT_SECONDS);
            } catch (Exception e) {
                throw new IOException("cannot restore containers: " + e.getMessage(), e);
            }
            this.sessions = new LiveSessions();
            metrics.bindNode(sessions::count, runtime::available, runtime::streamReopens, group,
                    ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider ? provider : null);
            tokens.onRevoked(hash -> sessions.closeAll(hash, LiveSessions.CLOSE_TOKEN_REVOKED, "token revoked"));
            revocations.onRevoked(matches -> sessions.closeMatching(matches, LiveSessions.CLOSE_TOKEN_REVOKED,
                    "token revoked"));
            LightdConfig.Limits limits = config.limits();
            ConnectionLimiter limiter = new ConnectionLimiter(limits.maxConnections(),
                    limits.maxConnectionsPerContainer());
            ConnectionAttemptLimiter attempts = new ConnectionAttemptLimiter(limits.connectionAttemptsPerIpPerSecond(),
                    limits.connectionAttemptsPerIpBurst(), MAX_TRACKED_ADDRESSES, System::nanoTime);
            AuthFailureLimiter authFailures = new AuthFailureLimiter(limits.authFailuresPerIpPerMinute(),
                    MAX_TRACKED_ADDRESSES, System::nanoTime);
            BearerAuth bearer = new BearerAuth(authenticator, authFailures);
            this.nodeStream = new NodeStream(manager, sessions, group.next(), blocking, clock, version());
            manager.observe(nodeStream);
            RequestRouter router = new RequestRouter(
                    new RestHandler(tokens, revocations, manager, bearer, limits.maxCommandBytes(), clock, version()),
                    new TokenHandshakeHandler(authenticator, manager, limiter, sessions, authFailures, config, clock),
                    ConsolePage.load().withSessionRoute(new ConsoleSessionRoute(authenticator, authFailures)),
                    new MetricsRoute(config.metrics().requireToken(), bearer, metrics),
                    new RequestRouter.Node(NodePage.load(), new NodeStreamHandshake(authenticator, limiter, sessions,
                            authFailures, nodeStream, config)));
            // One for every connection, so a fault met by every request is written once a minute.
            FaultLog httpFaults = new FaultLog(LoggerFactory.getLogger(ExceptionResponder.class));
            ExceptionResponder exceptionResponder = new ExceptionResponder(httpFaults);
            HttpDecoderConfig httpLimits = new HttpDecoderConfig()
                    .setMaxInitialLineLength(BadRequestHandler.MAX_REQUEST_LINE_BYTES)
                    .setMaxHeaderSize(BadRequestHandler.MAX_HEADER_BYTES);
            this.connections = new DefaultChannelGroup("lightd connections", GlobalEventExecutor.INSTANCE);
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannelClass())
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                            config.limits().writeBufferLowBytes(), config.limits().writeBufferHighBytes()))
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            connections.add(ch);
                            long retryAfter = attempts.acquire(ch.remoteAddress());
                            ChannelPipeline p = ch.pipeline();
                            if (tls != null) {
                                p.addLast("tls", tls.newHandler(ch.alloc()));
                            }
                            p.addLast("http", new HttpServerCodec(httpLimits))
                                    .addLast("request-deadline", new RequestDeadlineHandler(
                                            limits.handshakeTimeoutSeconds(), limits.responseTimeoutSeconds(),
                                            TimeUnit.SECONDS, httpFaults));
                            if (retryAfter > 0) {
                                p.addLast("refused", new AttemptRefusalHandler(retryAfter));
                                return;
                            }
                            p.addLast("bad-request", BadRequestHandler.INSTANCE)
                                    .addLast("http-aggregator", new BodyLimitAggregator(limits.httpMaxBodyBytes()))
                                    .addLast("router", router)
                                    .addLast("exception-responder", exceptionResponder);
                        }
                    });
            this.serverChannel = bootstrap.bind(new InetSocketAddress(config.host(), config.port()))
                    .syncUninterruptibly().channel();
            nodeStream.start();
            this.purgeTask = group.next().scheduleAtFixedRate(() -> {
                int purged = tokens.purgeExpired();
                if (purged > 0) {
                    log.info("purged {} expired tokens", purged);
                }
                int forgotten = revocations.purgeExpired();
                if (forgotten > 0) {
                    log.info("forgot {} revocations and used single-use ids no token can match any more", forgotten);
                }
            }, 1, 1, TimeUnit.MINUTES);
            this.evictTask = group.next().scheduleAtFixedRate(() -> {
                attempts.evictIdle();
                authFailures.evictExpired();
            }, EVICT_INTERVAL_SECONDS, EVICT_INTERVAL_SECONDS, TimeUnit.SECONDS);
            log.info("lightd {} listening on {}{} (runtime {}, transport {}, {} event loops, storage {})", version(),
                    serverChannel.localAddress(), tls != null ? " with TLS" : "", runtime.name(), transport.name(),
                    group.executorCount(), config.basePath());
            started = true;
        } finally {
            if (!started) {
                if (createdRuntime != null) {
                    createdRuntime.close();
                }
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                metrics.close();
                blocking.shutdownNow();
                storage.shutdown();
            }
        }
    }

    public static LightdServer start(LightdConfig config) throws IOException {
        return start(config, Runtimes::create, Clock.systemUTC());
    }

    public static LightdServer start(LightdConfig config, RuntimeFactory runtimeFactory, Clock clock)
            throws IOException {
        return start(config, runtimeFactory, clock, null);
    }

    /**
     * Starts lightd with its meters on {@code meterRegistry} (an embedder's, left open on close), or on
     * a new Prometheus registry of its own when it is null; {@code GET /metrics} serves them either way.
     */
    public static LightdServer start(LightdConfig config, RuntimeFactory runtimeFactory, Clock clock,
                                     MeterRegistry meterRegistry) throws IOException {
        return new LightdServer(config, runtimeFactory, clock, meterRegistry);
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public LightdConfig config() {
        return config;
    }

    public ContainerManager containers() {
        return manager;
    }

    public TokenStore tokens() {
        return tokens;
    }

    public Channel serverChannel() {
        return serverChannel;
    }

    public static String version() {
        String v = LightdServer.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /**
     * Stops listening, closes every WebSocket session with 1001 (going away) and waits a bounded while
     * for the clients to see it, closes the other connections, waits for pending registry writes, and
     * releases the runtime: Docker containers keep running, the process runtime's children are killed.
     */
    @Override
    public void close() {
        purgeTask.cancel(false);
        evictTask.cancel(false);
        nodeStream.stop();
        serverChannel.close().syncUninterruptibly();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SESSION_CLOSE_SECONDS);
        for (ChannelFuture closed : sessions.closeEvery(LiveSessions.CLOSE_GOING_AWAY, "server shutting down")) {
            closed.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        try {
            manager.close().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("hubs did not take note of the shutdown in time: {}", e.toString());
        }
        runtime.close();
        storage.shutdown();
        try {
            if (!storage.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("registry writes still pending at shutdown");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        blocking.shutdownNow();
        metrics.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        log.info("lightd stopped");
    }

    /** REST and WebSocket over TLS with the JDK's provider, from the PEM files the configuration names. */
    private static SslContext sslContext(LightdConfig.Tls tls) throws IOException {
        try {
            TlsFiles.Material material = TlsFiles.load(tls);
            return SslContextBuilder.forServer(material.key(), material.chain().toArray(new X509Certificate[0]))
                    .sslProvider(SslProvider.JDK)
                    .build();
        } catch (ConfigException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
