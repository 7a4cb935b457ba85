package io.lightd.server.ws;

import io.lightd.protocol.DecodeResult;
import io.lightd.protocol.InboundDecoder;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * Between WebSocket messages and lightd's events, for a console session: a text message becomes a
 * {@link DecodeResult} (an event, or the error text for that client, which is also what a command
 * over the configured length gets); a binary message is an error too. An event already encoded as
 * UTF-8 JSON bytes ({@code byte[]}, from {@link io.lightd.protocol.OutboundEvents}) becomes a text
 * frame. What a container's hub sends does not come here: the {@code fanout} package writes it
 * already framed ({@link io.lightd.server.fanout.SharedFrames}) past the session, straight to the
 * frame encoder. Holds no per-connection state: one instance is shared by every console.
 * Thread-safe.
 */
public final class EventFrameCodec {

    static final DecodeResult BINARY = new DecodeResult.Invalid(DecodeResult.Kind.BINARY_FRAME,
            "Error: binary frames are not supported; send JSON text");

    private final int maxCommandBytes;

    /** {@code maxCommandBytes}: {@code limits.max_command_bytes}, the longest command written to stdin. */
    public EventFrameCodec(int maxCommandBytes) {
        this.maxCommandBytes = maxCommandBytes;
    }

    /**
     * What a whole message means: a text message decoded, a binary one the binary-frame error. Does
     * not release {@code message}; null for any other kind of frame.
     */
    public DecodeResult decode(WebSocketFrame message) {
        if (message instanceof TextWebSocketFrame text) {
            return InboundDecoder.decode(text.text(), maxCommandBytes);
        }
        if (message instanceof BinaryWebSocketFrame) {
            return BINARY;
        }
        return null;
    }

    /** An encoded event as one text frame, wrapping {@code json} (not copied). */
    public static TextWebSocketFrame frame(byte[] json) {
        return new TextWebSocketFrame(Unpooled.wrappedBuffer(json));
    }
}
