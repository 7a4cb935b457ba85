package io.lightd.benchmarks;

import io.lightd.server.Transports;
import io.lightd.server.config.LightdConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Fan-out of console events to N subscribers on real loopback TCP connections. Server side: the
 * daemon's transport, one event loop per core (the hub on one of them, subscribers spread over all,
 * as in the daemon), the daemon's child options and the WebSocket encoder on each accepted channel.
 * Client side: a one-thread sink that reads and discards. An operation ends when every byte of its
 * burst has reached the sink, so an operation is a delivered console event (two frames per
 * subscriber). Each connection takes two descriptors in this process, which bounds N by
 * {@code ulimit -n}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(ConsoleLine.BURST)
public class SocketFanoutBenchmark {

    @Param({"1", "100", "1000"})
    public int subscribers;

    @Param({"hub", "naive", "encodePerSubscriber", "flushPerFrame", "preEncoded", "preEncodedPerLoop"})
    public String variant;

    /** Server event loops; 0 = one per core, the daemon's default. */
    @Param("0")
    public int loops;

    private MultiThreadIoEventLoopGroup serverGroup;
    private MultiThreadIoEventLoopGroup clientGroup;
    private HubFixture hub;
    private Channel server;
    private final List<Channel> clients = new ArrayList<>();
    private final SinkClient sink = new SinkClient();
    private ByteBuf line;
    private Runnable burst;
    private long bytesPerBurst;
    private long expected;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Transports transport = Transports.select(LightdConfig.Transport.AUTO);
        serverGroup = transport.newGroup(loops == 0 ? Runtime.getRuntime().availableProcessors() : loops);
        clientGroup = new MultiThreadIoEventLoopGroup(1, transport.ioHandlerFactory());
        hub = new HubFixture(serverGroup);
        LightdConfig.Limits limits = LightdConfig.Defaults.limits();
        BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
        server = new ServerBootstrap()
                .group(serverGroup)
                .channel(transport.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(limits.writeBufferLowBytes(), limits.writeBufferHighBytes()))
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("ws-encoder", new WebSocket13FrameEncoder(false));
                        accepted.add(ch);
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).syncUninterruptibly().channel();
        Class<? extends SocketChannel> clientClass = transport.name().equals("epoll")
                ? EpollSocketChannel.class : NioSocketChannel.class;
        Bootstrap client = new Bootstrap().group(clientGroup).channel(clientClass)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(sink);
        List<Channel> subscriberChannels = new ArrayList<>();
        for (int i = 0; i < subscribers; i++) {
            clients.add(client.connect(server.localAddress()).syncUninterruptibly().channel());
            Channel ch = accepted.poll(10, TimeUnit.SECONDS);
            if (ch == null) {
                throw new IllegalStateException("connection " + i + " was not accepted");
            }
            subscriberChannels.add(ch);
        }
        FanoutPath path = FanoutPath.of(variant, hub, subscriberChannels);
        line = ConsoleLine.buffer();
        burst = () -> {
            for (int i = 0; i < ConsoleLine.BURST; i++) {
                path.emit(line.duplicate());
            }
        };
        bytesPerBurst = ConsoleLine.BURST * ConsoleLine.wireBytesPerSubscriber() * subscribers;
        sink.awaitQuiet(300);
        expected = sink.received();
    }

    @Benchmark
    public void fanOut() {
        expected += bytesPerBurst;
        hub.loop().execute(burst);
        sink.awaitTotal(expected, 30);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        for (Channel c : clients) {
            c.close();
        }
        server.close().syncUninterruptibly();
        clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        hub.close();
    }
}
