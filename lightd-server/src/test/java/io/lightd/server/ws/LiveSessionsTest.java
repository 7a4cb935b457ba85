package io.lightd.server.ws;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A close lightd starts ends the connection even when the client never reads the close frame. */
class LiveSessionsTest {

    @Test
    void aCloseFrameStuckBehindUnreadOutputStillEndsTheConnection() {
        // Writes never complete, as on a socket whose client stopped reading.
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ReferenceCountUtil.release(msg);
            }
        });
        ch.freezeTime(); // only the test moves the clock: the last second before the forced close is exact
        LiveSessions.close(ch, 1001, "ping timeout");
        ch.advanceTimeBy(LiveSessions.FORCED_CLOSE_SECONDS - 1, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).as("the close frame still has time to get through").isTrue();
        ch.advanceTimeBy(1, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }
}
