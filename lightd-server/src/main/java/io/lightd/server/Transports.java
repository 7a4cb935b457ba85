package io.lightd.server;

import io.lightd.server.config.LightdConfig;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Picks the transport: {@code auto} is epoll where it loads, else NIO; {@code io_uring} on request.
 * Immutable.
 *
 * @param name               the transport's name for logs: {@code epoll}, {@code io_uring} or {@code nio}
 * @param ioHandlerFactory   Netty's I/O handler factory of the transport, for the event loop group
 * @param serverChannelClass the server socket channel class of the transport
 */
public record Transports(String name, IoHandlerFactory ioHandlerFactory,
                         Class<? extends ServerChannel> serverChannelClass) {

    /**
     * The transport for the configured {@code server.transport}.
     *
     * @param wanted the configured transport
     * @return epoll or io_uring when asked for, NIO when asked for, and for {@code auto} epoll when its
     *         native library loads, else NIO
     * @throws UnsatisfiedLinkError (or another error from Netty's {@code ensureAvailability}) when
     *         epoll or io_uring is asked for and cannot be loaded on this host
     */
    public static Transports select(LightdConfig.Transport wanted) {
        return switch (wanted) {
            case EPOLL -> {
                Epoll.ensureAvailability();
                yield epoll();
            }
            case IO_URING -> {
                IoUring.ensureAvailability();
                yield ioUring();
            }
            case NIO -> nio();
            case AUTO -> Epoll.isAvailable() ? epoll() : nio();
        };
    }

    /**
     * The transport of a group the host application made: the server channel that fits its I/O
     * handler.
     *
     * @throws IllegalArgumentException when the handler is not NIO's, epoll's or io_uring's
     */
    public static Transports of(IoEventLoopGroup group) {
        if (group.isIoType(NioIoHandler.class)) {
            return nio();
        }
        if (group.isIoType(EpollIoHandler.class)) {
            return epoll();
        }
        if (group.isIoType(IoUringIoHandler.class)) {
            return ioUring();
        }
        throw new IllegalArgumentException("the event loop group's I/O handler is not NIO's, epoll's or io_uring's");
    }

    private static Transports ioUring() {
        return new Transports("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class);
    }

    private static Transports epoll() {
        return new Transports("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class);
    }

    private static Transports nio() {
        return new Transports("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class);
    }

    /**
     * A new event loop group of this transport, its threads named {@code lightd-loop-*} and daemon
     * threads. The caller owns it and shuts it down.
     *
     * @param threads the number of event loops; 0 gives Netty's default (twice the available
     *                processors unless {@code io.netty.eventLoopThreads} says otherwise), so the
     *                daemon resolves {@code server.event_loop_threads = 0} to one per core before calling
     * @return the new group
     */
    public MultiThreadIoEventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("lightd-loop", true),
                ioHandlerFactory);
    }
}
