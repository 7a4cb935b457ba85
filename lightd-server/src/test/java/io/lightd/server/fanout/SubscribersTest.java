package io.lightd.server.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.protocol.OutboundEvents;
import io.lightd.server.metrics.Metrics;
import io.lightd.testing.LeakFailingDetector;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.ResourceLeakDetector;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Fan-out of shared frames: every subscriber gets the exact bytes, and a frame the leak detector
 * tracks costs one tracker, not one per subscriber (at Netty's default level that was a stack
 * trace per subscriber for one event in 128).
 */
class SubscribersTest {

    private static final int SUBSCRIBERS = 100;

    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void closeChannels() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    @Test
    void trackedFramesReachEverySubscriberWithOneTrackerPerFrame() {
        Subscribers subscribers = new Subscribers(new Metrics());
        for (int i = 0; i < SUBSCRIBERS; i++) {
            EmbeddedChannel channel = new EmbeddedChannel();
            channels.add(channel);
            assertThat(subscribers.add(channel)).isTrue();
        }
        ByteBuf frames = SharedFrames.texts(PooledByteBufAllocator.DEFAULT, json("console", "hello"),
                json("console duplicate", "hello"));
        byte[] framesBytes = ByteBufUtil.getBytes(frames);
        assertThat(ResourceLeakDetector.getLevel()).as("tests run at the paranoid level")
                .isEqualTo(ResourceLeakDetector.Level.PARANOID);
        assertThat(Subscribers.isLeakTracked(frames)).as("every allocation is tracked at paranoid").isTrue();

        long trackersBefore = LeakFailingDetector.trackersCreated();
        subscribers.broadcast(frames, 2, true, true);
        long trackersAdded = LeakFailingDetector.trackersCreated() - trackersBefore;

        assertThat(trackersAdded).as("trackers created while fanning out to %d channels", SUBSCRIBERS)
                .isLessThan(SUBSCRIBERS);
        assertThat(frames.refCnt()).as("one reference per written buffer, none left over").isEqualTo(SUBSCRIBERS);
        for (EmbeddedChannel channel : channels) {
            assertThat(bytes(channel.readOutbound())).as("both frames in one write").isEqualTo(framesBytes);
            assertThat((Object) channel.readOutbound()).isNull();
        }
        assertThat(frames.refCnt()).as("the frames are freed once every channel wrote them").isZero();
    }

    @Test
    void untrackedFramesAreSharedAsRetainedDuplicates() {
        Subscribers subscribers = new Subscribers(new Metrics());
        for (int i = 0; i < 3; i++) {
            EmbeddedChannel channel = new EmbeddedChannel();
            channels.add(channel);
            subscribers.add(channel);
        }
        ByteBuf frame = SharedFrames.text(PooledByteBufAllocator.DEFAULT, json("status", "running"));
        ByteBuf plain = frame.unwrap();
        assertThat(plain).isNotNull();
        assertThat(Subscribers.isLeakTracked(plain)).isFalse();
        byte[] expected = ByteBufUtil.getBytes(plain);
        subscribers.broadcast(plain.retain(), 1, false, false);
        for (EmbeddedChannel channel : channels) {
            assertThat(bytes(channel.readOutbound())).isEqualTo(expected);
        }
        assertThat(frame.refCnt()).isEqualTo(1);
        frame.release();
    }

    /** A subscriber as a session is one: frames enter at {@code frameWriter}, skipped messages counted in {@code count}. */
    private record Counting(Channel channel, ChannelOutboundInvoker frameWriter, AtomicLong count) implements Subscriber {
        @Override
        public void skipped() {
            count.incrementAndGet();
        }
    }

    /** The subscribers the channels made here are added as: counting ones for the slow channels. */
    private final Map<Channel, Subscriber> subscriberOf = new HashMap<>();

    private void add(Subscribers subscribers, EmbeddedChannel channel) {
        subscribers.add(subscriberOf.getOrDefault(channel, Subscriber.of(channel)));
    }

    /** A channel whose writability the test turns off, as a full outbound buffer would. */
    private EmbeddedChannel slow(AtomicLong skipped) {
        EmbeddedChannel channel = new EmbeddedChannel();
        subscriberOf.put(channel, new Counting(channel, channel, skipped));
        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        assertThat(channel.isWritable()).isFalse();
        channels.add(channel);
        return channel;
    }

    private EmbeddedChannel fast() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channels.add(channel);
        return channel;
    }

    @Test
    void consoleTextBecomesBothFramesOnceCountedPerEventAndSkippedForASlowChannel() {
        Metrics metrics = new Metrics();
        Subscribers subscribers = new Subscribers(metrics);
        subscribers.console("unheard\n");
        assertThat(metrics.consoleEvents()).as("nothing is built or counted without subscribers").isZero();
        AtomicLong skipped = new AtomicLong();
        EmbeddedChannel a = fast();
        EmbeddedChannel b = fast();
        EmbeddedChannel slow = slow(skipped);
        add(subscribers, a);
        add(subscribers, b);
        add(subscribers, slow);

        subscribers.console("hi\n");

        byte[] console = OutboundEvents.console("hi\n");
        byte[] duplicate = OutboundEvents.consoleDuplicate("hi\n");
        for (EmbeddedChannel c : List.of(a, b)) {
            assertThat(payloadsOf(c.readOutbound())).as("both frames in one write")
                    .containsExactly(console, duplicate);
            assertThat((Object) c.readOutbound()).isNull();
        }
        assertThat((Object) slow.readOutbound()).isNull();
        assertThat(skipped.get()).as("told once it drains").isEqualTo(1);
        int frameBytes = SharedFrames.headerLength(console.length) + console.length
                + SharedFrames.headerLength(duplicate.length) + duplicate.length;
        assertThat(metrics.consoleEvents()).isEqualTo(1);
        assertThat(metrics.consoleMessages()).isEqualTo(3);
        assertThat(metrics.consoleBytes()).isEqualTo(3L * frameBytes);
        assertThat(metrics.framesDropped()).isEqualTo(2);
        subscribers.throttled(5);
        assertThat(metrics.throttledLines()).isEqualTo(5);
        assertThat((Object) a.readOutbound()).as("a count, not a frame").isNull();
    }

    @Test
    void statsAreDroppedForASlowChannelSilentlyAndEventsNever() {
        Metrics metrics = new Metrics();
        Subscribers subscribers = new Subscribers(metrics);
        AtomicLong skipped = new AtomicLong();
        EmbeddedChannel slow = slow(skipped);
        add(subscribers, slow);
        byte[] stats = json("stats", "{}");
        byte[] state = json("status", "running");

        subscribers.stats(stats);
        subscribers.event(state);

        assertThat(payloadOf(slow.readOutbound())).isEqualTo(state);
        assertThat((Object) slow.readOutbound()).isNull();
        assertThat(skipped.get()).as("a stats sample is not a skipped console message").isZero();
        assertThat(metrics.framesDropped()).isEqualTo(1);
        assertThat(metrics.consoleEvents()).isZero();
    }

    /** The subscriber learns that its stats are stale, so that the hub can send it the latest once it drains. */
    @Test
    void aDroppedStatsFrameMarksItsSubscriberStaleAndAConsoleMessageDoesNot() {
        Subscribers subscribers = new Subscribers(new Metrics());
        EmbeddedChannel channel = new EmbeddedChannel();
        channels.add(channel);
        AtomicLong skipped = new AtomicLong();
        AtomicLong stale = new AtomicLong();
        subscribers.add(new Subscriber() {
            @Override
            public Channel channel() {
                return channel;
            }

            @Override
            public ChannelOutboundInvoker frameWriter() {
                return channel;
            }

            @Override
            public void skipped() {
                skipped.incrementAndGet();
            }

            @Override
            public void statsSkipped() {
                stale.incrementAndGet();
            }
        });
        assertThat(subscribers.contains(Subscriber.of(channel))).isTrue();
        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);

        subscribers.console("line");
        assertThat(stale.get()).as("after a console message").isZero();
        assertThat(skipped.get()).isEqualTo(1);
        subscribers.stats(json("stats", "{}"));
        assertThat(stale.get()).as("after a stats frame").isEqualTo(1);
        assertThat((Object) channel.readOutbound()).isNull();
    }

    /** What one subscriber is told alone enters its pipeline where shared frames do, and is never dropped. */
    @Test
    void sendToWritesAtTheFrameWriterOfOneChannel() {
        List<Object> passedTheSession = new ArrayList<>();
        ChannelOutboundHandlerAdapter encoder = new ChannelOutboundHandlerAdapter();
        EmbeddedChannel channel = new EmbeddedChannel(encoder, new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                passedTheSession.add(msg);
                ctx.write(msg, promise);
            }
        });
        channels.add(channel);
        Subscriber subscriber = new Counting(channel, channel.pipeline().context(encoder), new AtomicLong());
        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        EmbeddedChannel other = fast();
        Subscribers subscribers = new Subscribers(new Metrics());
        subscribers.add(subscriber);
        subscribers.add(other);
        byte[] state = json("status", "running");
        byte[] stats = json("stats", "{}");

        subscribers.sendTo(subscriber, state, stats);

        assertThat(payloadOf(channel.readOutbound())).isEqualTo(state);
        assertThat(payloadOf(channel.readOutbound())).isEqualTo(stats);
        assertThat(passedTheSession).isEmpty();
        assertThat((Object) other.readOutbound()).as("to that channel only").isNull();
    }

    private static byte[] json(String event, String arg) {
        return ("{\"event\":\"" + event + "\",\"args\":[\"" + arg + "\"]}").getBytes(StandardCharsets.UTF_8);
    }

    /** The JSON of the frames in one written buffer, which is released. */
    private static List<byte[]> payloadsOf(Object written) {
        ByteBuf frames = (ByteBuf) written;
        try {
            return SharedFrames.payloads(frames);
        } finally {
            frames.release();
        }
    }

    /** The JSON of a written frame, which is released. */
    private static byte[] payloadOf(Object written) {
        ByteBuf frame = (ByteBuf) written;
        try {
            return SharedFrames.payload(frame);
        } finally {
            frame.release();
        }
    }

    private static byte[] bytes(Object written) {
        ByteBuf buf = (ByteBuf) written;
        try {
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    /**
     * A write that fails closes its channel, and the session leaves the hub on the same loop while
     * the broadcast is still running: the channels of the other loops still get the frame.
     */
    @Test
    void aSubscriberLeavingDuringABroadcastDoesNotStopItForTheOthers() {
        Subscribers subscribers = new Subscribers(new Metrics());
        EmbeddedChannel leaving = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ReferenceCountUtil.release(msg);
                subscribers.remove(ctx.channel());
                ctx.close();
            }
        });
        EmbeddedChannel staying = new EmbeddedChannel();
        subscribers.add(leaving);
        subscribers.add(staying);

        subscribers.broadcast(Unpooled.copiedBuffer("frame", StandardCharsets.UTF_8), 1, false, false);

        ByteBuf received = staying.readOutbound();
        assertThat(received.toString(StandardCharsets.UTF_8)).isEqualTo("frame");
        received.release();
        assertThat(subscribers.remove(leaving)).isFalse();
        assertThat(subscribers.remove(staying)).isTrue();
        assertThat(subscribers.isEmpty()).isTrue();
        staying.finishAndReleaseAll();
        leaving.finishAndReleaseAll();
    }
}
