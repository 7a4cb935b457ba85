package io.lightd.server.ws;

import io.lightd.protocol.DecodeResult;
import io.lightd.protocol.InboundDecoder;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.List;

/**
 * Inbound: a data frame becomes a {@link DecodeResult} (an event, or the error text for that
 * client, which is also what a command over the configured length gets); binary frames are an
 * error too. Outbound: an event already encoded as UTF-8 JSON bytes (a session's own reply)
 * becomes a text frame; any other message passes by unchanged. What a container's hub sends does
 * not come here: the {@code fanout} package writes it already framed
 * ({@link io.lightd.server.fanout.SharedFrames}) at the frame encoder's context
 * ({@link io.lightd.server.fanout.Delivery#FRAME_WRITER}), past this codec.
 */
public final class EventFrameCodec extends MessageToMessageCodec<WebSocketFrame, byte[]> {

    static final DecodeResult BINARY = new DecodeResult.Invalid(DecodeResult.Kind.BINARY_FRAME,
            "Error: binary frames are not supported; send JSON text");

    private final int maxCommandBytes;

    /** {@code maxCommandBytes}: {@code limits.max_command_bytes}, the longest command written to stdin. */
    public EventFrameCodec(int maxCommandBytes) {
        this.maxCommandBytes = maxCommandBytes;
    }

    @Override
    public boolean acceptInboundMessage(Object msg) {
        return msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, WebSocketFrame frame, List<Object> out) {
        if (frame instanceof TextWebSocketFrame text) {
            out.add(InboundDecoder.decode(text.text(), maxCommandBytes));
        } else {
            out.add(BINARY);
        }
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, byte[] json, List<Object> out) {
        out.add(new TextWebSocketFrame(Unpooled.wrappedBuffer(json)));
    }
}
