package io.lightd.server.ws;

import io.lightd.server.auth.TokenStore;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node stream connection after its upgrade: joins the {@link NodeStream} (which sends the
 * snapshot and the batches), is counted among the live sessions under the master token (replacing
 * that token closes it with 4003, a shutdown with 1001), pings an idle client and closes one that
 * stays silent, and closes a client that stays unwritable too long (1008), as console sessions do.
 * What the client sends is read and dropped. Confined to the connection's event loop.
 */
public final class NodeStreamSession extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(NodeStreamSession.class);

    private final TokenStore.Grant grant;
    private final NodeStream stream;
    private final LiveSessions sessions;
    private final int pingIntervalSeconds;
    private final int pongTimeoutSeconds;
    private final long slowCloseMillis;
    private boolean joined;
    private boolean closing;
    private int idleEvents;
    private ScheduledFuture<?> slowClose;

    NodeStreamSession(TokenStore.Grant grant, NodeStream stream, LiveSessions sessions, int pingIntervalSeconds,
                      int pongTimeoutSeconds, int slowClientCloseSeconds) {
        this.grant = grant;
        this.stream = stream;
        this.sessions = sessions;
        this.pingIntervalSeconds = pingIntervalSeconds;
        this.pongTimeoutSeconds = pongTimeoutSeconds;
        this.slowCloseMillis = TimeUnit.SECONDS.toMillis(slowClientCloseSeconds);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            sessions.register(grant.hash(), ctx.channel());
            stream.join(ctx.channel());
            joined = true;
            log.info("node stream {} connected", ctx.channel().remoteAddress());
        } else if (evt instanceof IdleStateEvent idle && idle.state() == IdleState.READER_IDLE) {
            idleEvents = idle.isFirst() ? 1 : idleEvents + 1;
            if ((long) idleEvents * pingIntervalSeconds >= pongTimeoutSeconds) {
                LiveSessions.close(ctx.channel(), WebSocketCloseStatus.ENDPOINT_UNAVAILABLE.code(), "ping timeout");
            } else {
                ctx.writeAndFlush(new PingWebSocketFrame());
            }
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    /** Nothing follows a close frame: the stream is left first, and a batch already on its way is dropped. */
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof CloseWebSocketFrame && !closing) {
            closing = true;
            leave(ctx.channel());
        } else if (closing && msg instanceof TextWebSocketFrame) {
            ReferenceCountUtil.release(msg);
            promise.setSuccess();
            return;
        }
        super.write(ctx, msg, promise);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        Channel channel = ctx.channel();
        if (channel.isWritable()) {
            if (slowClose != null) {
                slowClose.cancel(false);
                slowClose = null;
            }
        } else if (slowClose == null) {
            slowClose = ctx.executor().schedule(() -> LiveSessions.close(channel,
                    WebSocketCloseStatus.POLICY_VIOLATION.code(), "connection too slow"),
                    slowCloseMillis, TimeUnit.MILLISECONDS);
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (slowClose != null) {
            slowClose.cancel(false);
        }
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
