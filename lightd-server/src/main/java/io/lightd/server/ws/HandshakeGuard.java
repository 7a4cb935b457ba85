package io.lightd.server.ws;

import io.lightd.server.http.message.RequestTarget;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;

/**
 * What the two handshake guards ({@link TokenHandshakeHandler}, {@link NodeStreamHandshake}) share
 * as handlers: the request is theirs to release when they refuse it (also when a check throws), and
 * an admitted one is handed on, after the guard has taken itself out of the pipeline, to Netty's
 * protocol handler for the upgrade. Channel loop.
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
            request.release();
            throw e;
        }
    }

    /** Checks {@code request}: refuses it (answering and releasing it) or admits it through {@link #upgrade}. */
    abstract void handle(ChannelHandlerContext ctx, FullHttpRequest request);

    /**
     * Takes this guard out and passes the admitted {@code request} on to be upgraded; the checked
     * request target is let go first, as nothing after the upgrade reads it.
     */
    final void upgrade(ChannelHandlerContext ctx, FullHttpRequest request) {
        RequestTarget.detach(ctx.channel());
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(request);
    }
}
