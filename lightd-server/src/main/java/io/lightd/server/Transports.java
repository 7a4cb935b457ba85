package io.lightd.server;

import io.lightd.server.config.LightdConfig;
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

/** Picks the transport: {@code auto} is epoll where it loads, else NIO; {@code io_uring} on request. */
public record Transports(String name, IoHandlerFactory ioHandlerFactory,
                         Class<? extends ServerChannel> serverChannelClass) {

    public static Transports select(LightdConfig.Transport wanted) {
        return switch (wanted) {
            case EPOLL -> {
                Epoll.ensureAvailability();
                yield epoll();
            }
            case IO_URING -> {
                IoUring.ensureAvailability();
                yield new Transports("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class);
            }
            case NIO -> nio();
            case AUTO -> Epoll.isAvailable() ? epoll() : nio();
        };
    }

    private static Transports epoll() {
        return new Transports("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class);
    }

    private static Transports nio() {
        return new Transports("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class);
    }

    /** The server's event loop group: {@code threads} loops (0 = one per core). */
    public MultiThreadIoEventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("lightd-loop", true),
                ioHandlerFactory);
    }
}
