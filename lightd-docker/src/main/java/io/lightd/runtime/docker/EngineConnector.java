package io.lightd.runtime.docker;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.uring.IoUringDomainSocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Opens connections to the Docker engine on the server's own {@link EventLoopGroup}: a domain
 * socket for {@code unix://PATH}, a TCP socket for {@code tcp://HOST:PORT}. The channel class is
 * picked to match the group's I/O type (epoll, io_uring or NIO), so every engine connection is
 * served by one of the server's loops and no other thread.
 *
 * <p>Safe to use from any thread. {@link #connect} never blocks. It keeps the channels it made
 * until they close, so the runtime can close all of them at once.
 */
final class EngineConnector {

    private final EventLoopGroup group;
    private final String dockerHost;
    private final SocketAddress address;
    private final String hostHeader;
    private final ChannelFactory<? extends DuplexChannel> channelFactory;
    private final int connectTimeoutMillis;
    private final Set<Channel> openChannels = ConcurrentHashMap.newKeySet();

    EngineConnector(EventLoopGroup group, String dockerHost, Duration connectTimeout) {
        this.group = Objects.requireNonNull(group, "group");
        this.dockerHost = Objects.requireNonNull(dockerHost, "dockerHost");
        this.connectTimeoutMillis = (int) connectTimeout.toMillis();
        // Lightd's docker.socket_path may be a bare path: that is a unix socket
        URI uri = URI.create(dockerHost.startsWith("/") ? "unix://" + dockerHost : dockerHost);
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        switch (scheme) {
            case "unix" -> {
                String path = uri.getPath();
                if (path == null || path.isEmpty()) {
                    throw new IllegalArgumentException("docker host " + dockerHost + " names no socket path");
                }
                this.hostHeader = "docker";
                this.channelFactory = domainSocketChannels(group);
                this.address = isIoType(group, NioIoHandler.class)
                        ? UnixDomainSocketAddress.of(path) : new DomainSocketAddress(path);
            }
            case "tcp" -> {
                if (uri.getHost() == null || uri.getPort() < 0) {
                    throw new IllegalArgumentException("docker host " + dockerHost + " needs tcp://HOST:PORT");
                }
                this.hostHeader = uri.getHost() + ":" + uri.getPort();
                this.channelFactory = socketChannels(group);
                // Resolved once, here: a configured endpoint, and the loops must not block on DNS.
                this.address = new InetSocketAddress(uri.getHost(), uri.getPort());
            }
            default -> throw new IllegalArgumentException(
                    "docker host " + dockerHost + ": use unix:///path/to/docker.sock or tcp://host:port");
        }
    }

    private static boolean isIoType(EventLoopGroup group, Class<? extends IoHandler> type) {
        return group instanceof IoEventLoopGroup ioGroup && ioGroup.isIoType(type);
    }

    private static ChannelFactory<? extends DuplexChannel> domainSocketChannels(EventLoopGroup group) {
        if (isIoType(group, EpollIoHandler.class)) {
            return EpollDomainSocketChannel::new;
        }
        if (isIoType(group, IoUringIoHandler.class)) {
            return IoUringDomainSocketChannel::new;
        }
        if (isIoType(group, NioIoHandler.class)) {
            return NioDomainSocketChannel::new;
        }
        throw new IllegalArgumentException("event loop group " + group + " is neither epoll, io_uring nor NIO");
    }

    private static ChannelFactory<? extends DuplexChannel> socketChannels(EventLoopGroup group) {
        if (isIoType(group, EpollIoHandler.class)) {
            return EpollSocketChannel::new;
        }
        if (isIoType(group, IoUringIoHandler.class)) {
            return IoUringSocketChannel::new;
        }
        if (isIoType(group, NioIoHandler.class)) {
            return NioSocketChannel::new;
        }
        throw new IllegalArgumentException("event loop group " + group + " is neither epoll, io_uring nor NIO");
    }

    /** The configured engine address, for messages. */
    String dockerHost() {
        return dockerHost;
    }

    /** The value for the {@code Host} header of requests to the engine. */
    String hostHeader() {
        return hostHeader;
    }

    EventLoopGroup group() {
        return group;
    }

    /**
     * The loop of our group that {@code executor} is, or null when it is not one of ours (then the
     * caller registers on any loop and hops to {@code executor} for each callback).
     */
    EventLoop loopOf(EventExecutor executor) {
        for (EventExecutor candidate : group) {
            if (candidate == executor) {
                return (EventLoop) candidate;
            }
        }
        return null;
    }

    /**
     * Starts connecting a new channel registered on {@code loop} (any loop of the group when null),
     * with {@code initializer} installed before the connection becomes active. {@code allocator}
     * replaces the channel's default allocator when not null.
     */
    ChannelFuture connect(EventLoop loop, ByteBufAllocator allocator, ChannelInitializer<Channel> initializer) {
        Bootstrap bootstrap = new Bootstrap()
                .group(loop != null ? loop : group.next())
                .channelFactory(channelFactory)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .handler(initializer);
        if (allocator != null) {
            bootstrap.option(ChannelOption.ALLOCATOR, allocator);
        }
        ChannelFuture connect = bootstrap.connect(address);
        Channel channel = connect.channel();
        openChannels.add(channel);
        channel.closeFuture().addListener(f -> openChannels.remove(channel));
        return connect;
    }

    /** How many channels made by {@link #connect} are still open. */
    int openChannels() {
        return openChannels.size();
    }

    /** The open channels and their handlers, for messages. */
    String describeOpenChannels() {
        StringBuilder text = new StringBuilder();
        for (Channel channel : openChannels) {
            text.append(channel).append(' ').append(channel.pipeline().names()).append('\n');
        }
        return text.toString();
    }

    /** Closes every channel made by {@link #connect} that is still open. */
    void closeAll() {
        for (Channel channel : List.copyOf(openChannels)) {
            channel.close();
        }
    }
}
