package io.lightd.server;

import io.lightd.runtime.BoundedExecutors;
import io.lightd.runtime.ContainerRuntime;
import io.lightd.runtime.TimerGrid;
import io.lightd.server.auth.Authenticator;
import io.lightd.server.auth.Revocations;
import io.lightd.server.auth.SignedTokens;
import io.lightd.server.auth.TokenStore;
import io.lightd.server.config.ConfigException;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.config.TlsFiles;
import io.lightd.server.http.message.BearerAuth;
import io.lightd.server.http.ExceptionResponder;
import io.lightd.server.http.ConsolePage;
import io.lightd.server.http.ConsoleSessionRoute;
import io.lightd.server.http.MetricsRoute;
import io.lightd.server.http.NodePage;
import io.lightd.server.http.RequestRouter;
import io.lightd.server.http.RestHandler;
import io.lightd.server.http.message.BearerAuth;
import io.lightd.server.hub.ContainerManager;
import io.lightd.server.logging.FaultLog;
import io.lightd.server.limit.AuthFailureLimiter;
import io.lightd.server.limit.ConnectionAttemptLimiter;
import io.lightd.server.metrics.Metrics;
import io.lightd.server.store.ContainerRegistry;
import io.lightd.server.store.JsonFileStore;
import io.lightd.server.pipeline.LightdPipeline;
import io.lightd.server.ws.ConnectionLimiter;
import io.lightd.server.ws.HandshakeGate;
import io.lightd.server.ws.LiveSessions;
import io.lightd.server.ws.NodeStream;
import io.lightd.server.ws.NodeStreamHandshake;
import io.lightd.server.ws.TokenHandshakeHandler;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon assembled: event loops, runtime, registry, tokens, hubs and the listening socket.
 * {@link #start} and {@link Builder#start} return once it listens; {@link #close} stops it, leaving
 * containers to the runtime (Docker containers keep running).
 *
 * <p>An application embeds lightd with {@link #builder()}: a {@link LightdConfig} built in code, and
 * optionally its own event loop group, runtime, clock and meter registry. What the application hands
 * over stays its own: lightd never shuts down a group or closes a runtime it did not make.
 */
public final class LightdServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LightdServer.class);
    private static final long RESTORE_TIMEOUT_SECONDS = 60;
    /** Most addresses each per-IP limit tracks at once (a few MB at most). */
    static final int MAX_TRACKED_ADDRESSES = 65_536;
    private static final long EVICT_INTERVAL_SECONDS = 10;
    private static final long PURGE_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** How long a thread of the blocking and storage pools lives on without work. */
    private static final Duration EXECUTOR_IDLE_TIMEOUT = Duration.ofSeconds(30);
    /** How long a shutdown waits for clients to answer the 1001 close before their connections are cut. */
    private static final long SESSION_CLOSE_SECONDS = 3;

    /** Makes the runtime once the event loops exist; lightd closes a runtime it made this way. */
    @FunctionalInterface
    public interface RuntimeFactory {
        /**
         * The runtime for {@code config}, whose I/O (if any) runs on {@code group}, lightd's event
         * loops (the host application's when it passed one). Called once, on the starting thread.
         */
        ContainerRuntime create(LightdConfig config, EventLoopGroup group);
    }

    private final LightdConfig config;
    private final IoEventLoopGroup group;
    /** False when the host application passed the group: then close leaves it running. */
    private final boolean ownsGroup;
    /** False when the host application passed the runtime: then close leaves it open. */
    private final boolean ownsRuntime;
    /** The host application's registry, or null when it passed none. */
    private final MeterRegistry meterRegistry;
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

    private LightdServer(Builder b) throws IOException {
        LightdConfig config = b.config;
        Clock clock = b.clock;
        this.config = config;
        this.ownsGroup = b.eventLoopGroup == null;
        this.ownsRuntime = b.runtime == null;
        this.meterRegistry = b.meterRegistry;
        Transports transport = ownsGroup ? Transports.select(config.transport()) : Transports.of(b.eventLoopGroup);
        this.group = ownsGroup ? transport.newGroup(config.eventLoopThreads() == 0
                ? Runtime.getRuntime().availableProcessors() : config.eventLoopThreads()) : b.eventLoopGroup;
        this.blocking = BoundedExecutors.newBoundedExecutor("lightd-blocking", 4, 4096, EXECUTOR_IDLE_TIMEOUT);
        this.storage = BoundedExecutors.newBoundedExecutor("lightd-storage", 1, 65_536, EXECUTOR_IDLE_TIMEOUT);
        this.metrics = new Metrics(b.meterRegistry);
        boolean started = false;
        ContainerRuntime createdRuntime = null;
        ContainerManager createdManager = null;
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
            createdRuntime = ownsRuntime ? b.runtimeFactory.create(config, group) : b.runtime;
            this.runtime = createdRuntime;
            if (!runtime.isolated()) {
                log.warn("runtime '{}' runs every server as a plain process of this host, without isolation: "
                        + "for development, demos and tests only", runtime.name());
            }
            this.manager = new ContainerManager(group, runtime, registry, config.limits(), clock,
                    config.volumesPath(), blocking, metrics, config.console().coalesceMillis());
            createdManager = manager;
            try {
                manager.restoreAll().get(RESTORE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                log.warn("restoring containers takes longer than {} s; continuing in the background",
                        RESTORE_TIMEOUT_SECONDS);
            } catch (Exception e) {
                throw new IOException("cannot restore containers: " + e.getMessage(), e);
            }
            this.sessions = new LiveSessions();
            metrics.bindNode(sessions::count, runtime::available, runtime::streamReopens, runtime::statsSamples, group,
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
            LightdPipeline pipeline = new LightdPipeline(limits, manager, sessions, nodeStream, clock);
            HandshakeGate gate = new HandshakeGate(limiter, authFailures, config.allowedOrigins());
            RequestRouter router = new RequestRouter(
                    new RestHandler(tokens, revocations, manager, bearer, limits.maxCommandBytes(), clock, version()),
                    new TokenHandshakeHandler(authenticator, manager, gate, pipeline),
                    ConsolePage.load().withSessionRoute(new ConsoleSessionRoute(authenticator, authFailures)),
                    new MetricsRoute(config.metrics().requireToken(), bearer, metrics),
                    new RequestRouter.Node(NodePage.load(), new NodeStreamHandshake(authenticator, gate, pipeline)),
                    pipeline);
            // One for every connection, so a fault met by every request is written once a minute.
            FaultLog httpFaults = new FaultLog(LoggerFactory.getLogger(ExceptionResponder.class));
            ExceptionResponder exceptionResponder = new ExceptionResponder(httpFaults);
            this.connections = new DefaultChannelGroup("lightd connections", GlobalEventExecutor.INSTANCE);
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(group)
                    .channel(transport.serverChannelClass())
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                            config.limits().writeBufferLowBytes(), config.limits().writeBufferHighBytes()))
                    // Netty's default for every connection, one instance shared by all of them (each
                    // channel's own state is the handle it makes of it), not one per connection.
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator())
                    .childHandler(pipeline.initializer(new LightdPipeline.Http(tls, attempts, router,
                            exceptionResponder, httpFaults, connections)));
            this.serverChannel = listen(bootstrap, config);
            nodeStream.start();
            // Both timers on the timer grid: they share their loop's wake-up with the other timers due then.
            EventLoop purgeLoop = group.next();
            this.purgeTask = purgeLoop.scheduleAtFixedRate(() -> {
                int purged = tokens.purgeExpired();
                if (purged > 0) {
                    log.info("purged {} expired tokens", purged);
                }
                int forgotten = revocations.purgeExpired();
                if (forgotten > 0) {
                    log.info("forgot {} revocations and used single-use ids no token can match any more", forgotten);
                }
            }, TimerGrid.delayToStep(purgeLoop.ticker().nanoTime(), PURGE_INTERVAL_NANOS), PURGE_INTERVAL_NANOS,
                    TimeUnit.NANOSECONDS);
            EventLoop evictLoop = group.next();
            long evictNanos = TimeUnit.SECONDS.toNanos(EVICT_INTERVAL_SECONDS);
            this.evictTask = evictLoop.scheduleAtFixedRate(() -> {
                attempts.evictIdle();
                authFailures.evictExpired();
            }, TimerGrid.delayToStep(evictLoop.ticker().nanoTime(), evictNanos), evictNanos, TimeUnit.NANOSECONDS);
            log.info("lightd {} listening on {}{} (runtime {}, transport {}, {} event loops, storage {})", version(),
                    serverChannel.localAddress(), tls != null ? " with TLS" : "", runtime.name(), transport.name(),
                    loops(group) + (ownsGroup ? "" : " of the host's"), config.basePath());
            started = true;
        } finally {
            if (!started) {
                if (createdManager != null) {
                    // Its hubs' timers would otherwise go on running on a group that outlives this start.
                    createdManager.close();
                }
                if (createdRuntime != null && ownsRuntime) {
                    createdRuntime.close();
                }
                if (ownsGroup) {
                    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                }
                metrics.close();
                blocking.shutdownNow();
                storage.shutdown();
            }
        }
    }

    /**
     * A builder for an embedded lightd: {@link Builder#config} is required, everything else has a
     * default (lightd's own event loops, the runtime {@code config.runtime()} names, the system UTC
     * clock).
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts lightd with its own event loops and the runtime {@code config.runtime()} names, on the
     * system clock; returns once it listens.
     *
     * @throws IOException when it cannot listen, read its storage, load its TLS files or restore containers
     */
    public static LightdServer start(LightdConfig config) throws IOException {
        return builder().config(config).start();
    }

    /**
     * Starts lightd with its own event loops and the runtime {@code runtimeFactory} makes (closed by
     * {@link #close}), on {@code clock}; returns once it listens.
     *
     * @throws IOException as {@link #start(LightdConfig)}
     */
    public static LightdServer start(LightdConfig config, RuntimeFactory runtimeFactory, Clock clock)
            throws IOException {
        return builder().config(config).runtimeFactory(runtimeFactory).clock(clock).start();
    }

    /**
     * Starts lightd with its meters on {@code meterRegistry} (an embedder's, left open on close), or on
     * a new Prometheus registry of its own when it is null; {@code GET /metrics} serves them either way.
     * The same as the {@link #builder()} with these four.
     */
    public static LightdServer start(LightdConfig config, RuntimeFactory runtimeFactory, Clock clock,
                                     MeterRegistry meterRegistry) throws IOException {
        Builder b = builder().config(config).runtimeFactory(runtimeFactory).clock(clock);
        return (meterRegistry == null ? b : b.meterRegistry(meterRegistry)).start();
    }

    /** The TCP port lightd listens on: {@code server.port}, or the one the system chose for port 0. */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** The configuration lightd runs with. */
    public LightdConfig config() {
        return config;
    }

    /** The hubs of every container lightd knows: create, find, act on and delete servers in-process. */
    public ContainerManager containers() {
        return manager;
    }

    /** The master token and the scoped tokens it issued; the command line follows a changed config file through it. */
    public TokenStore tokens() {
        return tokens;
    }

    /** The listening channel; its close future completes when lightd stops listening. */
    public Channel serverChannel() {
        return serverChannel;
    }

    /** The event loops lightd runs on: its own, or the host application's. */
    public EventLoopGroup eventLoopGroup() {
        return group;
    }

    /**
     * The meter registry the host application passed to {@link Builder#meterRegistry}, or null when
     * it passed none (lightd's meters are then on a Prometheus registry of its own, {@link Metrics}).
     */
    public MeterRegistry meterRegistry() {
        return meterRegistry;
    }

    /** {@code Implementation-Version} of lightd's jar, or {@code dev} when run from classes. */
    public static String version() {
        String v = LightdServer.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /**
     * Stops listening, closes every WebSocket session with 1001 (going away) and waits a bounded while
     * for the clients to see it, closes the other connections, waits for pending registry writes, and
     * releases the runtime it made: Docker containers keep running, the process runtime's children are
     * killed. A group or runtime the host application passed is left as it is (the host shuts it down
     * after this returns). Blocks the calling thread (at most some seconds); never call it on one of
     * lightd's event loops.
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
        if (ownsRuntime) {
            runtime.close();
        }
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
        if (ownsGroup) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
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


    private static int loops(EventLoopGroup group) {
        int loops = 0;
        for (EventExecutor ignored : group) {
            loops++;
        }
        return loops;
    }


    /**
     * Binds the listening socket to {@code server.host}:{@code server.port}; a failure says which
     * address and keys (an unresolvable host, a port in use, no permission), not a bare exception.
     */
    private static Channel listen(ServerBootstrap bootstrap, LightdConfig config) throws IOException {
        InetSocketAddress address = new InetSocketAddress(config.host(), config.port());
        if (address.isUnresolved()) {
            throw new IOException("cannot listen on " + config.host() + ":" + config.port()
                    + ": server.host is not an address of this host or a name it resolves");
        }
        ChannelFuture bound = bootstrap.bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            Throwable cause = bound.cause();
            String why = cause.getMessage() != null ? cause.getMessage() : cause.toString();
            throw new IOException("cannot listen on " + config.host() + ":" + config.port()
                    + " (server.host, server.port): " + why, cause);
        }
        return bound.channel();
    }

    /**
     * Assembles an embedded lightd. Not thread-safe; {@link #start} may be called once per
     * configuration (each call starts a separate lightd).
     */
    public static final class Builder {
        private LightdConfig config;
        private IoEventLoopGroup eventLoopGroup;
        private ContainerRuntime runtime;
        private RuntimeFactory runtimeFactory = Runtimes::create;
        private Clock clock = Clock.systemUTC();
        private MeterRegistry meterRegistry;

        private Builder() {
        }

        /** The configuration, from {@link LightdConfig#builder()} or {@code ConfigLoader}; required. */
        public Builder config(LightdConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /**
         * Runs lightd on the host application's event loops instead of its own: its listening socket,
         * connections, hubs, timers and the Docker client all use {@code group}, and
         * {@code server.event_loop_threads} and {@code server.transport} are not used. The group's I/O
         * handler picks the server channel (NIO, epoll or io_uring). Lightd never shuts it down.
         *
         * @throws IllegalArgumentException when the group's I/O handler is none of the three
         */
        public Builder eventLoopGroup(IoEventLoopGroup group) {
            Transports.of(Objects.requireNonNull(group, "group"));
            this.eventLoopGroup = group;
            return this;
        }

        /**
         * Runs servers on the host application's runtime instead of making the one
         * {@code config.runtime()} names. Lightd does not close it; the host closes it after
         * {@link LightdServer#close}. Replaces a {@link #runtimeFactory}.
         */
        public Builder runtime(ContainerRuntime runtime) {
            this.runtime = Objects.requireNonNull(runtime, "runtime");
            return this;
        }

        /**
         * Makes the runtime once the event loops exist (for a runtime that needs them, as Docker's
         * does); lightd closes what it makes. The default makes the one {@code config.runtime()} names.
         */
        public Builder runtimeFactory(RuntimeFactory factory) {
            this.runtimeFactory = Objects.requireNonNull(factory, "factory");
            this.runtime = null;
            return this;
        }

        /** The wall clock of token expiry, timestamps and uptime; {@link Clock#systemUTC()} by default. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The host application's Micrometer registry, handed to where lightd builds its metrics. */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * Starts lightd and returns once it listens.
         *
         * @throws IllegalStateException when no {@link #config} was given
         * @throws IOException           when it cannot listen, read its storage, load its TLS files or
         *                               restore containers (nothing the host passed is closed then)
         */
        public LightdServer start() throws IOException {
            if (config == null) {
                throw new IllegalStateException("no configuration: call config(...) first");
            }
            return new LightdServer(this);
        }
    }
}
