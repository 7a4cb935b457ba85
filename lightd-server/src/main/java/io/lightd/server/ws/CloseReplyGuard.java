package io.lightd.server.ws;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * Ends the closing handshake lightd started ({@link LiveSessions#close}). Netty's WebSocket
 * protocol handler, which this one sits in front of, answers every close frame it receives with one
 * of its own; when lightd has already sent its close (revoked, expired, too slow) and the client's
 * reply arrives, that answer would be a second close frame, which browsers report as a protocol
 * error (and then the page cannot tell a revoked token from a dropped connection). Here the reply
 * completes the handshake: it is dropped and the connection closed. Every other frame the client
 * sends once lightd's close is on its way (a command typed under a token just revoked) is dropped
 * unread: a session being closed acts on nothing more. Pings are answered before this handler
 * ({@link PingResponder}) and their pongs refused behind the close frame. Stateless, shared.
 */
@ChannelHandler.Sharable
public final class CloseReplyGuard extends ChannelInboundHandlerAdapter {

    public static final CloseReplyGuard INSTANCE = new CloseReplyGuard();

    private CloseReplyGuard() {
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof WebSocketFrame && ctx.channel().hasAttr(LiveSessions.CLOSE_SENT)) {
            ReferenceCountUtil.release(msg);
            if (msg instanceof CloseWebSocketFrame) {
                ctx.close();
            }
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
