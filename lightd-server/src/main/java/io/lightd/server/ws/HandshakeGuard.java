package io.lightd.server.ws;

import io.lightd.server.http.message.RequestTarget;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.ssl.SslHandler;

/**
 * What the two handshake guards ({@link TokenHandshakeHandler}, {@link NodeStreamHandshake}) share
 * as handlers: the request is theirs to release (also when a check throws), and an admitted one is
 * answered here, after the guard has taken itself out of the pipeline, by Netty's
 * {@link WebSocketServerHandshaker} (RFC 6455 4.2.2: the 101, and the frame encoder and decoder in
 * place of the HTTP codec), with the session's decoder configuration and lightd's decoder
 * ({@link SessionFrameDecoder}: it leaves the close frame to the session). No handshaker, protocol
 * handler or channel attribute stays for the connection's life; the session opens when the 101 has
 * been written. Channel loop.
 */
abstract class HandshakeGuard extends SimpleChannelInboundHandler<FullHttpRequest> {

    HandshakeGuard() {
        super(false);
    }

    @Override
    protected final void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        try {
            handle(ctx, request);
        } catch (RuntimeException e) {
            if (request.refCnt() > 0) {
                request.release();
            }
            throw e;
        }
    }

    /** Checks {@code request}: refuses it (answering and releasing it) or admits it through {@link #upgrade}. */
    abstract void handle(ChannelHandlerContext ctx, FullHttpRequest request);

    /**
     * Takes this guard out and answers the admitted {@code request} with the upgrade, then releases
     * it; the checked request target is let go first, as nothing after the upgrade reads it.
     * {@code session}, already built after the guard, opens once the 101 is written; a failed write
     * closes the connection.
     */
    final void upgrade(ChannelHandlerContext ctx, FullHttpRequest request, WebSocketSession session) {
        RequestTarget.detach(ctx.channel());
        ctx.pipeline().remove(this);
        try {
            // HandshakeHeaders has checked the version (13), the one this handshaker speaks.
            WebSocketServerHandshaker handshaker = new SessionFrameDecoder.Handshaker(location(ctx, request),
                    session.settings.decoder());
            handshaker.handshake(ctx.channel(), request).addListener(session);
        } finally {
            request.release();
        }
    }

    private static String location(ChannelHandlerContext ctx, FullHttpRequest request) {
        String scheme = ctx.pipeline().get(SslHandler.class) != null ? "wss" : "ws";
        String uri = request.uri();
        int query = uri.indexOf('?');
        return scheme + "://" + request.headers().get(HttpHeaderNames.HOST) + (query < 0 ? uri : uri.substring(0, query));
    }
}
