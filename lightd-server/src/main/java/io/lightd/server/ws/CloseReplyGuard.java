package io.lightd.server.ws;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * Ends the closing handshake lightd started. Netty's WebSocket protocol handler, which this one
 * sits in front of, answers every close frame it receives with one of its own; when lightd has
 * already sent its close (revoked, expired, too slow) and the client's reply arrives before the
 * connection is gone, that answer would be a second close frame, which browsers report as a
 * protocol error (and then the page cannot tell a revoked token from a dropped connection). Here
 * the reply completes the handshake: it is dropped and the connection closed. Stateless, shared.
 */
@ChannelHandler.Sharable
public final class CloseReplyGuard extends ChannelInboundHandlerAdapter {

    public static final CloseReplyGuard INSTANCE = new CloseReplyGuard();

    private CloseReplyGuard() {
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof CloseWebSocketFrame && ctx.channel().hasAttr(LiveSessions.CLOSE_SENT)) {
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
