package io.lightd.server.hub;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SubscribersTest {

    /**
     * A write that fails closes its channel, and the session leaves the hub on the same loop while
     * the broadcast is still running: the channels of the other loops still get the frame.
     */
    @Test
    void aSubscriberLeavingDuringABroadcastDoesNotStopItForTheOthers() {
        Subscribers subscribers = new Subscribers();
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

        subscribers.broadcast(Unpooled.copiedBuffer("frame", StandardCharsets.UTF_8), null, false, false);

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
