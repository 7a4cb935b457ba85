package io.lightd.server.ws;

import io.lightd.server.auth.TokenStore;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node stream connection after its upgrade, the one lightd handler of its connection: what
 * every session does ({@link WebSocketSession}: pings, the pong timeout, the slow-client close
 * (1008), the closing handshake), and, once upgraded, it joins the {@link NodeStream} (which sends
 * the snapshot and the batches) and is counted among the live sessions under the master token
 * (replacing that token closes it with 4003, a shutdown with 1001). When lightd closes the session
 * the stream is left, and a batch already on its way is dropped. What the client sends is read and
 * dropped. Confined to the connection's event loop.
 */
public final class NodeStreamSession extends WebSocketSession implements LiveSessions.Session {

    private static final Logger log = LoggerFactory.getLogger(NodeStreamSession.class);

    private final TokenStore.Grant grant;
    private final NodeStream stream;
    private final LiveSessions sessions;
    private boolean joined;
    private boolean registered;
    private boolean closing;

    /**
     * @param settings shared by every node stream: timers, the metrics, the frame decoder's limits
     * @param grant the master token's grant, under whose hash the session is registered
     * @param stream the node stream the connection joins once upgraded
     * @param sessions the live sessions
     */
    public NodeStreamSession(Settings settings, TokenStore.Grant grant, NodeStream stream, LiveSessions sessions) {
        super(settings);
        this.grant = grant;
        this.stream = stream;
        this.sessions = sessions;
    }

    /** None: a revocation by {@code jti} or subject never reaches the master token's stream. */
    @Override
    public TokenStore.Grant revocable() {
        return null;
    }

    @Override
    public Channel channel() {
        return context().channel();
    }

    @Override
    protected void opened(ChannelHandlerContext ctx) {
        sessions.register(grant.hash(), this);
        registered = true;
        stream.join(ctx.channel());
        joined = true;
        log.info("node stream {} connected", ctx.channel().remoteAddress());
    }

    @Override
    protected void onClosing(ChannelHandlerContext ctx, Closing closingEvent) {
        closing = true;
        leave(ctx.channel());
        if (closingEvent.cause() != null) {
            log.info("node stream {} {}, closing", ctx.channel().remoteAddress(), closingEvent.cause());
        }
    }

    @Override
    protected void onMessage(ChannelHandlerContext ctx, WebSocketFrame message) {
        message.release();
    }

    @Override
    protected void closed(Channel channel) {
        if (registered) {
            registered = false;
            sessions.unregister(grant.hash(), this);
        }
    }

    /** Nothing follows a close frame: a batch written once the session is closing is dropped. */
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (closing && msg instanceof TextWebSocketFrame) {
            ReferenceCountUtil.release(msg);
            promise.setSuccess();
            return;
        }
        super.write(ctx, msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
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
    protected void failed(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("node stream {} closing after error: {}", ctx.channel().remoteAddress(), cause.toString());
        super.failed(ctx, cause);
    }
}
