package io.lightd.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The server channel of a host application's group follows the group's I/O handler. */
class TransportsTest {

    @Test
    void aNioGroupGetsTheNioServerChannel() {
        assertThat(of(NioIoHandler.newFactory()).serverChannelClass()).isEqualTo(NioServerSocketChannel.class);
    }

    @Test
    void anEpollGroupGetsTheEpollServerChannel() {
        assumeTrue(Epoll.isAvailable(), "epoll does not load here");
        assertThat(of(EpollIoHandler.newFactory()).serverChannelClass()).isEqualTo(EpollServerSocketChannel.class);
    }

    @Test
    void aGroupWithoutSocketsIsRefused() {
        assertThatThrownBy(() -> of(LocalIoHandler.newFactory())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("I/O handler");
        MultiThreadIoEventLoopGroup local = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
        try {
            assertThatThrownBy(() -> LightdServer.builder().eventLoopGroup(local))
                    .isInstanceOf(IllegalArgumentException.class);
        } finally {
            local.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static Transports of(IoHandlerFactory handler) {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, handler);
        try {
            return Transports.of(group);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
