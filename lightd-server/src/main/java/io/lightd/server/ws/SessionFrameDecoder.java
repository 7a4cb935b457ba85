package io.lightd.server.ws;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker13;

/**
 * Netty's RFC 6455 frame decoder ({@code wsdecoder}) as a {@link WebSocketSession} needs it. It
 * writes nothing itself: what it refuses (a protocol violation, a frame over the limit) it only
 * reports, as a {@link CorruptedWebSocketFrameException} carrying the close status, and reads
 * nothing more; the session writes the connection's one close frame (RFC 6455 5.5.1 allows one per
 * side) and closes. Netty's own decoder would write its close frame past the session and close the
 * channel before the session heard why, and the session, closing a connection that had sent no close
 * frame as far as it knew, would add a 1000 after it.
 *
 * <p>A close frame from the client whose body is not valid (a code RFC 6455 7.4 does not allow on the
 * wire, a reason that is not UTF-8) is refused as a protocol error, 1002 (RFC 6455 5.5.1, 7.4, 8.1);
 * Netty reports the reason as 1007 and, having read a close, would send nothing but its close of the
 * connection.
 *
 * <p>One instance per connection, made by {@link Handshaker}; channel loop.
 */
final class SessionFrameDecoder extends WebSocket13FrameDecoder {

    /**
     * @param config the session's decoder configuration; it must not have Netty's decoder close on
     *               a protocol violation ({@code closeOnProtocolViolation} false): the session does
     */
    SessionFrameDecoder(WebSocketDecoderConfig config) {
        super(config);
        if (config.closeOnProtocolViolation()) {
            throw new IllegalArgumentException("the session closes on protocol violations, not the decoder");
        }
    }

    @Override
    protected void checkCloseFrameBody(ChannelHandlerContext ctx, ByteBuf body) {
        int length = body == null ? 0 : body.readableBytes();
        int code = length >= 2 ? body.getUnsignedShort(body.readerIndex()) : -1;
        try {
            super.checkCloseFrameBody(ctx, body);
        } catch (CorruptedWebSocketFrameException invalid) {
            String reason = length < 2 ? "close frame body of 1 byte"
                    : WebSocketCloseStatus.isValidStatusCode(code) ? "close reason not UTF-8"
                    : "invalid close code " + code;
            throw new CorruptedWebSocketFrameException(WebSocketCloseStatus.PROTOCOL_ERROR, reason, invalid);
        }
    }

    /**
     * Netty's RFC 6455 handshaker (version 13, the only one lightd speaks), with a
     * {@link SessionFrameDecoder} as {@code wsdecoder}. Made per upgrade and let go once it has
     * answered; channel loop.
     */
    static final class Handshaker extends WebSocketServerHandshaker13 {

        /**
         * @param location the WebSocket URL the upgrade was asked for ({@code ws://host/path})
         * @param config the session's decoder configuration (see {@link SessionFrameDecoder})
         */
        Handshaker(String location, WebSocketDecoderConfig config) {
            super(location, null, config);
        }

        @Override
        protected WebSocketFrameDecoder newWebsocketDecoder() {
            return new SessionFrameDecoder(decoderConfig());
        }
    }
}
