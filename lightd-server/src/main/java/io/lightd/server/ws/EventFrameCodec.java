package io.lightd.server.ws;

import io.lightd.protocol.DecodeResult;
import io.lightd.protocol.InboundDecoder;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;

/**
 * Inbound: a data frame becomes a {@link DecodeResult} (an event, or the error text for that
 * client, which is also what a command over the configured length gets) and the frame is
 * released; binary frames are an error too; other messages pass by. Outbound: an event already
 * encoded as UTF-8 JSON bytes ({@code byte[]}, from {@link io.lightd.protocol.OutboundEvents})
 * becomes a text frame; everything else passes by. What a container's hub sends does not come
 * here: the {@code fanout} package writes it already framed
 * ({@link io.lightd.server.fanout.SharedFrames}) at the frame encoder's context
 * ({@link io.lightd.server.fanout.Delivery#FRAME_WRITER}), past this codec. Holds no
 * per-connection state: one instance is shared by every console.
 */
@ChannelHandler.Sharable
public final class EventFrameCodec extends ChannelDuplexHandler {

    static final DecodeResult BINARY = new DecodeResult.Invalid(DecodeResult.Kind.BINARY_FRAME,
            "Error: binary frames are not supported; send JSON text");

    private final int maxCommandBytes;

    /** {@code maxCommandBytes}: {@code limits.max_command_bytes}, the longest command written to stdin. */
    public EventFrameCodec(int maxCommandBytes) {
        this.maxCommandBytes = maxCommandBytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof TextWebSocketFrame text) {
            DecodeResult result;
            try {
                result = InboundDecoder.decode(text.text(), maxCommandBytes);
            } finally {
                text.release();
            }
            ctx.fireChannelRead(result);
        } else if (msg instanceof BinaryWebSocketFrame binary) {
            binary.release();
            ctx.fireChannelRead(BINARY);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof byte[] json) {
            ctx.write(new TextWebSocketFrame(Unpooled.wrappedBuffer(json)), promise);
        } else {
            ctx.write(msg, promise);
        }
    }
}
