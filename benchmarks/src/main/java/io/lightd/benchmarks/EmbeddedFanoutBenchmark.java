package io.lightd.benchmarks;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import java.util.ArrayList;
import java.util.List;
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
 * Fan-out of console events to N {@link EmbeddedChannel} subscribers, each with the server's
 * WebSocket encoder and a head that releases what is written. No sockets: this is the CPU and
 * allocation cost of the path itself. One operation is one console event (two frames per
 * subscriber); the events are sent in bursts of {@link ConsoleLine#BURST} per hop onto the hub's loop.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(ConsoleLine.BURST)
public class EmbeddedFanoutBenchmark {

    @Param({"1", "100", "1000", "10000"})
    public int subscribers;

    @Param({"hub", "naive", "encodePerSubscriber", "flushPerFrame", "preEncoded"})
    public String variant;

    private MultiThreadIoEventLoopGroup group;
    private HubFixture hub;
    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private ByteBuf line;
    private Runnable burst;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        hub = new HubFixture(group);
        for (int i = 0; i < subscribers; i++) {
            EmbeddedChannel channel = new EmbeddedChannel(DefaultChannelId.newInstance(), DiscardOutbound.INSTANCE,
                    new WebSocket13FrameEncoder(false));
            // As the daemon's sessions do, shared frames enter at the encoder (HubFixture#subscribe).
            channels.add(channel);
        }
        FanoutPath path = FanoutPath.of(variant, hub, new ArrayList<Channel>(channels));
        line = ConsoleLine.buffer();
        burst = () -> {
            for (int i = 0; i < ConsoleLine.BURST; i++) {
                path.emit(line.duplicate());
            }
        };
    }

    @Benchmark
    public void fanOut() {
        hub.loop().submit(burst).syncUninterruptibly();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        hub.loop().submit(() -> channels.forEach(EmbeddedChannel::finishAndReleaseAll)).syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        hub.close();
    }
}
