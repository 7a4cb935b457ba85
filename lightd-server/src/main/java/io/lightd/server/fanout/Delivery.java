package io.lightd.server.fanout;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.AttributeKey;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How hubs deliver frames to a subscriber channel: frames that may be dropped (console, stats) are
 * skipped while the channel is unwritable, and counted on the channel so its session can tell the
 * client once it drains.
 */
public final class Delivery {

    /**
     * Where shared, already encoded frames enter this channel's pipeline: the context of its
     * WebSocket frame encoder, so they pass straight to the socket without being encoded again.
     * Absent until the upgrade is done, and removed once a close frame is on its way.
     */
    public static final AttributeKey<ChannelHandlerContext> FRAME_WRITER = AttributeKey.valueOf("lightd.frameWriter");

    /** Console messages skipped for this channel since the client was last told. */
    public static final AttributeKey<AtomicLong> SKIPPED = AttributeKey.valueOf("lightd.skipped");

    private Delivery() {
    }

    /** True when a droppable frame may be written now; otherwise counts one skipped message. */
    static boolean admitDroppable(Channel channel, boolean countSkip) {
        if (channel.isWritable()) {
            return true;
        }
        if (countSkip) {
            AtomicLong skipped = channel.attr(SKIPPED).get();
            if (skipped != null) {
                skipped.incrementAndGet();
            }
        }
        return false;
    }
}
