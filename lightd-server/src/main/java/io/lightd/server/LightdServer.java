package io.lightd.server;

import io.lightd.runtime.ContainerRuntime;
import io.lightd.server.auth.TokenStore;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.http.MetricsRoute;
import io.lightd.server.http.RequestRouter;
import io.lightd.server.http.RestHandler;
import io.lightd.server.hub.ContainerManager;
import io.lightd.server.metrics.Metrics;
import io.lightd.server.store.ContainerRegistry;
import io.lightd.server.store.JsonFileStore;
import io.lightd.server.ws.ConnectionLimiter;
import io.lightd.server.ws.LiveSessions;
import io.lightd.server.ws.TokenHandshakeHandler;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Clock;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
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
    static final int MAX_HTTP_BODY_BYTES = 64 * 1024;
    private static final long RESTORE_TIMEOUT_SECONDS = 60;
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
    private final TokenStore tokens;
    private final ContainerManager manager;
    private final LiveSessions sessions;
    private final ChannelGroup connections;
    private final Channel serverChannel;
    private final ScheduledFuture<?> purgeTask;

    private LightdServer(LightdConfig config, RuntimeFactory runtimeFactory, Clock clock) throws IOException {
        this.config = config;
        Transports transport = Transports.select(config.transport());
        this.group = transport.newGroup(config.eventLoopThreads() == 0
                ? Runtime.getRuntime().availableProcessors() : config.eventLoopThreads());
        this.blocking = boundedExecutor("lightd-blocking", 4, 4096);
        this.storage = boundedExecutor("lightd-storage", 1, 65_536);
        boolean started = false;
        ContainerRuntime createdRuntime = null;
        try {
            Files.createDirectories(config.volumesPath());
            JsonFileStore.Factory files = new JsonFileStore.Factory(config.basePath().resolve("registry"), storage);
            this.tokens = new TokenStore(config.token(), clock, files);
            this.tokens.load();
            ContainerRegistry registry = new ContainerRegistry(files);
            registry.load();
            createdRuntime = runtimeFactory.create(config, group);
            this.runtime = createdRuntime;
            if (!runtime.isolated()) {
                log.warn("runtime '{}' runs every server as a plain process of this host, without isolation: "
                        + "for development, demos and tests only", runtime.name());
            }
            this.manager = new ContainerManager(group, runtime, registry, config.limits(), clock,
                    config.volumesPath(), blocking, new Metrics());
            try {
                manager.restoreAll().get(RESTORE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                log.warn("restoring containers takes longer than {} s; continuing in the background",
                        RESTORE_TIMEOUT_SECONDS);
            } catch (Exception e) {
                throw new IOException("cannot restore containers: " + e.getMessage(), e);
            }
            this.sessions = new LiveSessions();
            tokens.onRevoked(hash -> sessions.closeAll(hash, LiveSessions.CLOSE_TOKEN_REVOKED, "token revoked"));
            ConnectionLimiter limiter = new ConnectionLimiter(config.limits().maxConnections(),
                    config.limits().maxConnectionsPerContainer());
            RequestRouter router = new RequestRouter(new RestHandler(tokens, manager, clock, version()),
                    new TokenHandshakeHandler(tokens, manager, limiter, sessions, config, clock),
                    new MetricsRoute(tokens, config.metrics().requireToken(), manager, sessions, group));
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
                            ch.pipeline()
                                    .addLast("http", new HttpServerCodec())
                                    .addLast("http-aggregator", new HttpObjectAggregator(MAX_HTTP_BODY_BYTES))
                                    .addLast("router", router);
                        }
                    });
            this.serverChannel = bootstrap.bind(new InetSocketAddress(config.host(), config.port()))
                    .syncUninterruptibly().channel();
            this.purgeTask = group.next().scheduleAtFixedRate(() -> {
                int purged = tokens.purgeExpired();
                if (purged > 0) {
                    log.info("purged {} expired tokens", purged);
                }
            }, 1, 1, TimeUnit.MINUTES);
            log.info("lightd {} listening on {} (runtime {}, transport {}, {} event loops, storage {})", version(),
                    serverChannel.localAddress(), runtime.name(), transport.name(), group.executorCount(),
                    config.basePath());
            started = true;
        } finally {
            if (!started) {
                if (createdRuntime != null) {
                    createdRuntime.close();
                }
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
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
        return new LightdServer(config, runtimeFactory, clock);
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
        serverChannel.close().syncUninterruptibly();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SESSION_CLOSE_SECONDS);
        for (ChannelFuture closed : sessions.closeEvery(LiveSessions.CLOSE_GOING_AWAY, "server shutting down")) {
            closed.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
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
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        log.info("lightd stopped");
    }

    private static ExecutorService boundedExecutor(String name, int threads, int queue) {
        ThreadPoolExecutor executor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(queue), new DefaultThreadFactory(name, true));
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }
}
