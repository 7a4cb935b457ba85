package io.lightd.server.ws;

import io.lightd.server.metrics.Metrics;
import io.lightd.server.metrics.Metrics.PingOutcome;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;

/**
 * Answers the client's pings without ever queueing pongs behind output the client does not read:
 * while the connection is unwritable only the latest ping is kept, and it is answered once the
 * connection drains (RFC 6455 5.5.3 allows answering only the most recent ping). Netty's WebSocket
 * protocol handler, which this one sits in front of, answers every ping at once, so a client that
 * pings without reading would make the daemon queue one pong per ping without bound. What became
 * of each ping is counted in {@link Metrics} ({@code lightd_websocket_pings_total}). Confined to
 * the connection's event loop.
 */
public final class PingResponder extends ChannelInboundHandlerAdapter {

    private final Metrics metrics;
    private ByteBuf unanswered;

    /** @param metrics where each ping's {@link PingOutcome} is counted */
    public PingResponder(Metrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof PingWebSocketFrame ping)) {
            ctx.fireChannelRead(msg);
            return;
        }
        forgetUnanswered(PingOutcome.SUPERSEDED);
        if (ctx.channel().isWritable()) {
            pong(ctx, ping.content());
        } else {
            unanswered = ping.content();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (unanswered != null && ctx.channel().isWritable()) {
            ByteBuf payload = unanswered;
            unanswered = null;
            pong(ctx, payload);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        forgetUnanswered(PingOutcome.ABANDONED);
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        forgetUnanswered(PingOutcome.ABANDONED);
    }

    /** Through the whole pipeline, so that nothing follows a close frame once one is on its way. */
    private void pong(ChannelHandlerContext ctx, ByteBuf payload) {
        metrics.ping(PingOutcome.ANSWERED);
        ctx.channel().writeAndFlush(new PongWebSocketFrame(payload));
    }

    private void forgetUnanswered(PingOutcome outcome) {
        if (unanswered != null) {
            unanswered.release();
            unanswered = null;
            metrics.ping(outcome);
        }
    }
}
