package io.lightd.runtime.docker;

import com.github.dockerjava.core.AbstractDockerCmdExecFactory;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.WebTarget;
import com.github.dockerjava.netty.NettyWebTarget;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContentDecompressor;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * docker-java's command execution ({@code NettyWebTarget} and its handlers) on the server's own
 * event loop group, instead of the group that docker-java's {@code NettyDockerCmdExecFactory}
 * creates for itself. Each docker-java request gets a new channel from {@link #newChannel}, with
 * {@link HttpClientCodec} and {@link HttpContentDecompressor} in its pipeline (docker-java adds its
 * own handlers after them).
 *
 * <p>Threads: docker-java connects and, for calls that return a value, waits for the answer on the
 * calling thread, so every call through this factory must be made from the runtime's blocking
 * executor, never from an event loop. Streaming callbacks run on the channel's loop.
 *
 * <p>Buffers: docker-java 3.5.1's handlers release neither the content of an error answer nor
 * their own per-request error buffer. The channels therefore use unpooled heap buffers without
 * leak tracking (the garbage collector reclaims them whatever their reference count), and
 * {@link EngineErrorBodyHandler} keeps error bodies away from docker-java, which would otherwise
 * copy them into a direct buffer it never frees. The console path (attach) does not use this
 * factory.
 */
final class SharedGroupExecFactory extends AbstractDockerCmdExecFactory {

    private static final ByteBufAllocator HEAP = new UnpooledByteBufAllocator(false, true);

    /** Where the next channel opened on this thread goes, and what it was (see {@link #openStream}). */
    private static final class StreamTarget {
        final EventLoop loop;
        Channel channel;

        StreamTarget(EventLoop loop) {
            this.loop = loop;
        }
    }

    private final EngineConnector connector;
    private final Duration connectTimeout;
    private final Set<Channel> openChannels = ConcurrentHashMap.newKeySet();
    private final ThreadLocal<StreamTarget> streamTarget = new ThreadLocal<>();
    private final ThreadLocal<Channel> lastChannel = new ThreadLocal<>();
    private WebTarget baseResource;

    SharedGroupExecFactory(EngineConnector connector, Duration connectTimeout) {
        this.connector = Objects.requireNonNull(connector, "connector");
        this.connectTimeout = connectTimeout;
    }

    @Override
    public void init(DockerClientConfig config) {
        super.init(config);
        baseResource = new NettyWebTarget(config.getObjectMapper(), this::newChannel, connector.hostHeader())
                .path(config.getApiVersion().asWebPathPart());
    }

    @Override
    protected WebTarget getBaseResource() {
        return Objects.requireNonNull(baseResource, "init() not called");
    }

    /**
     * Runs {@code exec} (the {@code exec(callback)} of one docker-java streaming command) on this
     * thread with its channel registered on {@code loop} (any loop when null), and returns that
     * channel, so the caller can watch it close: docker-java does not report a stream that ends
     * without a final chunk.
     */
    Channel openStream(EventLoop loop, Runnable exec) {
        StreamTarget target = new StreamTarget(loop);
        streamTarget.set(target);
        try {
            exec.run();
        } finally {
            streamTarget.remove();
        }
        return Objects.requireNonNull(target.channel, "the command opened no channel");
    }

    private DuplexChannel newChannel() {
        StreamTarget target = streamTarget.get();
        ChannelFuture connect = connector.connect(target == null ? null : target.loop, HEAP,
                new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        // failOnMissingResponse: a connection that drops before the answer raises
                        // an exception that docker-java's JSON handlers report to their callback,
                        // instead of leaving the caller waiting.
                        ch.pipeline().addLast(new HttpClientCodec(4096, 8192, 8192, true),
                                new HttpContentDecompressor(0), new EngineErrorBodyHandler());
                    }
                });
        if (!connect.awaitUninterruptibly(connectTimeout.toMillis() + 1000)) {
            connect.cancel(false);
            throw new EngineUnreachableException(connector.dockerHost(), null);
        }
        if (!connect.isSuccess()) {
            throw new EngineUnreachableException(connector.dockerHost(), connect.cause());
        }
        Channel channel = connect.channel();
        openChannels.add(channel);
        channel.closeFuture().addListener(f -> openChannels.remove(channel));
        if (target != null) {
            target.channel = channel;
        }
        lastChannel.set(channel);
        return (DuplexChannel) channel;
    }

    /**
     * The engine's message of the last error answer to a request made on this thread, which
     * docker-java's exception does not carry (see {@link EngineErrorBodyHandler}); null if none.
     * Clears it.
     */
    String lastErrorMessage() {
        Channel channel = lastChannel.get();
        lastChannel.remove();
        return EngineErrorBodyHandler.errorMessage(channel);
    }

    /** Forgets the last channel of this thread (before a new call). */
    void clearLastChannel() {
        lastChannel.remove();
    }

    /** Closes every channel this factory opened that is still open (requests in flight fail). */
    @Override
    public void close() {
        for (Channel channel : List.copyOf(openChannels)) {
            channel.close();
        }
    }
}
