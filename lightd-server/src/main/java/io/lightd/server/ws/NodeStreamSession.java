package io.lightd.server.ws;

import io.lightd.server.auth.TokenStore;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node stream connection after its upgrade: joins the {@link NodeStream} (which sends the
 * snapshot and the batches) and is counted among the live sessions under the master token
 * (replacing that token closes it with 4003, a shutdown with 1001). Pings, the pong timeout, the
 * slow-client close (1008) and the closing handshake are the connection's
 * {@link SessionLifecycleHandler}'s, as for console sessions; on its
 * {@link SessionLifecycleHandler.Closing} event the stream is left, and a batch already on its way
 * is dropped. What the client sends is read and dropped. Confined to the connection's event loop.
 */
public final class NodeStreamSession extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(NodeStreamSession.class);

    private final TokenStore.Grant grant;
    private final NodeStream stream;
    private final LiveSessions sessions;
    private boolean joined;
    private boolean closing;

    /**
     * @param grant the master token's grant, under whose hash the session is registered
     * @param stream the node stream the connection joins once upgraded
     * @param sessions the live sessions
     */
    public NodeStreamSession(TokenStore.Grant grant, NodeStream stream, LiveSessions sessions) {
        this.grant = grant;
        this.stream = stream;
        this.sessions = sessions;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            sessions.register(grant.hash(), ctx.channel());
            stream.join(ctx.channel());
            joined = true;
            log.info("node stream {} connected", ctx.channel().remoteAddress());
        } else if (evt instanceof SessionLifecycleHandler.Closing closingEvent) {
            closing = true;
            leave(ctx.channel());
            if (closingEvent.cause() != null) {
                log.info("node stream {} {}, closing", ctx.channel().remoteAddress(), closingEvent.cause());
            }
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    /** Nothing follows a close frame: a batch written once the session is closing is dropped. */
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (closing && msg instanceof TextWebSocketFrame) {
            ReferenceCountUtil.release(msg);
            promise.setSuccess();
            return;
        }
        super.write(ctx, msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        leave(ctx.channel());
        log.info("node stream {} disconnected", ctx.channel().remoteAddress());
        super.channelInactive(ctx);
    }

    private void leave(Channel channel) {
        if (joined) {
            joined = false;
            stream.leave(channel);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("node stream {} closing after error: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
