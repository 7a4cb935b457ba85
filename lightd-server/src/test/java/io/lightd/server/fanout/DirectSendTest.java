package io.lightd.server.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lightd.server.metrics.Metrics;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.Socket;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Shared frames sent straight to an epoll socket (past the pipeline) over real loopback TCP: they
 * arrive whole and in order, nothing goes through the pipeline while nothing is queued, and once the
 * kernel's buffers are full the rest queues in the pipeline behind what was sent, still in order.
 */
class DirectSendTest {

    private EventLoopGroup group;
    private Channel server;
    private final CompletableFuture<Channel> accepted = new CompletableFuture<>();
    /** Writes that reached the pipeline's handler in front of the socket. */
    private final AtomicInteger pipelineWrites = new AtomicInteger();
    private java.net.Socket client;

    @BeforeEach
    void listen() throws Exception {
        assumeTrue(Epoll.isAvailable(), "epoll does not load here");
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.SO_SNDBUF, 8192)
                .childHandler(new ChannelInitializer<EpollSocketChannel>() {
                    @Override
                    protected void initChannel(EpollSocketChannel ch) {
                        ch.pipeline().addLast("counting", new ChannelOutboundHandlerAdapter() {
                            @Override
                            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                                pipelineWrites.incrementAndGet();
                                ctx.write(msg, promise);
                            }
                        });
                        ch.pipeline().addLast("writer", new ChannelOutboundHandlerAdapter());
                        accepted.complete(ch);
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        client = new java.net.Socket();
        client.setReceiveBufferSize(8192);
        client.connect(server.localAddress());
    }

    @AfterEach
    void close() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close().sync();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** A subscriber whose frames enter behind the counting handler, and whose socket takes them directly. */
    private record Direct(Channel channel, ChannelOutboundInvoker frameWriter) implements Subscriber {
        @Override
        public Socket directSocket() {
            return Subscriber.epollSocket(channel);
        }

        @Override
        public void skipped() {
        }
    }

    private Subscribers subscribe(Channel channel) throws Exception {
        Subscribers subscribers = new Subscribers(new Metrics());
        channel.eventLoop().submit(() -> subscribers.add(
                new Direct(channel, channel.pipeline().context("writer")))).get(5, TimeUnit.SECONDS);
        return subscribers;
    }

    private static byte[] event(int sequence, int padding) {
        return ("{\"event\":\"status\",\"args\":[\"" + sequence + " " + "x".repeat(padding) + "\"]}")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void anEpollSocketIsFoundAndTheFramesAreSentPastThePipeline() throws Exception {
        Channel channel = accepted.get(5, TimeUnit.SECONDS);
        assertThat(Subscriber.epollSocket(channel)).as("an epoll connection's socket").isNotNull();
        Subscribers subscribers = subscribe(channel);

        channel.eventLoop().submit(() -> {
            subscribers.event(event(0, 10));
            subscribers.event(event(1, 10));
        }).get(5, TimeUnit.SECONDS);

        List<byte[]> received = readFrames(client.getInputStream(), 2);
        assertThat(received).containsExactly(event(0, 10), event(1, 10));
        assertThat(pipelineWrites.get()).as("writes that went through the pipeline").isZero();
    }

    @Test
    void whatTheKernelDoesNotTakeQueuesInThePipelineInOrder() throws Exception {
        Channel channel = accepted.get(5, TimeUnit.SECONDS);
        Subscribers subscribers = subscribe(channel);
        int count = 4000;
        // 4,000 events of 1 KiB to a client that reads nothing yet: far more than the two small
        // socket buffers hold, so the kernel takes part of one send and none of the later ones.
        channel.eventLoop().submit(() -> {
            for (int i = 0; i < count; i++) {
                subscribers.event(event(i, 1000));
            }
        }).get(5, TimeUnit.SECONDS);
        assertThat(pipelineWrites.get()).as("sends the kernel could not take went through the pipeline")
                .isPositive().isLessThan(count);

        List<byte[]> received = readFrames(client.getInputStream(), count);
        for (int i = 0; i < count; i++) {
            assertThat(received.get(i)).as("event %d", i).isEqualTo(event(i, 1000));
        }
    }

    @Test
    void aSocketOfAnotherKindIsNotOneToSendTo() {
        assertThat(Subscriber.epollSocket(new io.netty.channel.embedded.EmbeddedChannel())).isNull();
    }

    /** Reads {@code count} unmasked text frames (RFC 6455 section 5.2) and returns their payloads. */
    private static List<byte[]> readFrames(InputStream in, int count) throws IOException {
        DataInputStream data = new DataInputStream(in);
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            assertThat(data.readUnsignedByte()).as("FIN and opcode 1 of frame %d", i).isEqualTo(0x81);
            int length = data.readUnsignedByte();
            long payloadLength = length == 126 ? data.readUnsignedShort() : length == 127 ? data.readLong() : length;
            byte[] payload = new byte[(int) payloadLength];
            data.readFully(payload);
            frames.add(payload);
        }
        return frames;
    }
}
