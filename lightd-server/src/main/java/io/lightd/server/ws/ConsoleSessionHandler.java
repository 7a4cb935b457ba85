package io.lightd.server.ws;

import io.lightd.protocol.ActionOutcome;
import io.lightd.protocol.DecodeResult;
import io.lightd.protocol.InboundEvent;
import io.lightd.protocol.OutboundEvents;
import io.lightd.server.auth.Permission;
import io.lightd.server.auth.TokenStore;
import io.lightd.server.hub.ActionResult;
import io.lightd.server.hub.ContainerHub;
import io.lightd.server.hub.ContainerManager;
import io.lightd.server.fanout.Subscriber;
import io.lightd.server.logging.ContainerLog;
import io.lightd.server.metrics.Metrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.channel.unix.Socket;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.ssl.SslHandler;
import java.net.SocketAddress;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One console session, the one lightd handler of its connection after the upgrade: what every
 * session does ({@link WebSocketSession}: pings, expiry (4001), the slow-client close, the closing
 * handshake, whole messages from fragments, UTF-8) and, once the upgrade is done, the console's own
 * work: it joins the container's hub as its own {@link Subscriber} (shared frames enter at its
 * context, straight to the frame encoder; skipped console messages are counted here), routes the
 * client's commands, power actions and log requests (the same path REST takes; messages decoded by
 * the shared {@link EventFrameCodec}), enforces the inbound rate limit and tells the client about
 * skipped output; when lightd closes the session it leaves its hub before the close frame. A
 * command or power action the token's permissions do not allow is answered with
 * {@code Error: permission denied (<permission>)} to this client alone and goes no further.
 * Confined to the connection's event loop.
 */
public final class ConsoleSessionHandler extends WebSocketSession implements Subscriber, LiveSessions.Session {

    private static final Logger LOG = LoggerFactory.getLogger(ConsoleSessionHandler.class);

    private final String containerId;
    private final TokenStore.Grant grant;
    private final ContainerManager manager;
    private final LiveSessions sessions;
    private final EventFrameCodec codec;
    private final Supplier<InboundRateLimiter> rateLimits;
    /** Made on the first frame the client sends: an idle console carries none. */
    private InboundRateLimiter rateLimiter;
    private ContainerHub hub;
    private boolean registered;
    private boolean closing;
    /** No TLS handler in the pipeline: shared frames may go straight to the socket ({@link #directSocket}). */
    private boolean plain;
    private boolean logsInFlight;
    private InboundEvent.RequestLogs waitingLogs;
    /** Console messages skipped since the client was last told; written and read on the channel's loop. */
    private long skipped;
    /** A stats frame was dropped since the connection was last writable; channel's loop. */
    private boolean statsStale;

    /**
     * @param settings shared by every console: timers, the metrics, the frame decoder's limits
     * @param containerId the container's internal id, canonical
     * @param grant what the token allows, and until when
     * @param manager the hubs: where the session subscribes and sends commands and power actions
     * @param sessions the live sessions, where this one is registered under its grant
     * @param codec messages to events (shared by every console)
     * @param rateLimits makes this connection's own inbound rate limit (shared by every console)
     */
    public ConsoleSessionHandler(Settings settings, String containerId, TokenStore.Grant grant,
                                 ContainerManager manager, LiveSessions sessions, EventFrameCodec codec,
                                 Supplier<InboundRateLimiter> rateLimits) {
        super(settings);
        this.containerId = containerId;
        this.grant = grant;
        this.manager = manager;
        this.sessions = sessions;
        this.codec = codec;
        this.rateLimits = rateLimits;
    }

    @Override
    public Channel channel() {
        return context().channel();
    }

    /** The session's own context (right behind the frame encoder) until it closes, then the channel. */
    @Override
    public ChannelOutboundInvoker frameWriter() {
        ChannelHandlerContext ctx = context();
        return closing ? ctx.channel() : ctx;
    }

    /** The epoll socket while the session is open and the connection has no TLS; null otherwise. */
    @Override
    public Socket directSocket() {
        return plain && !closing ? Subscriber.epollSocket(context().channel()) : null;
    }

    @Override
    public void skipped() {
        skipped++;
    }

    @Override
    public void statsSkipped() {
        statsStale = true;
    }

    @Override
    public boolean leavesOnClose() {
        return true;
    }

    @Override
    public TokenStore.Grant revocable() {
        return grant;
    }

    @Override
    protected void onClosing(ChannelHandlerContext ctx, Closing closingEvent) {
        // Nothing may follow the close frame: leave the hub first, otherwise the next broadcast
        // would reach a connection that has sent its close.
        closing = true;
        leaveHub();
        if (closingEvent.cause() != null) {
            log().info("ws {} {}, closing", remote(ctx.channel()), closingEvent.cause());
        }
    }

    @Override
    protected void opened(ChannelHandlerContext ctx) {
        Channel channel = ctx.channel();
        plain = ctx.pipeline().get(SslHandler.class) == null;
        // Master sessions too: replacing the master token closes them as revoked.
        sessions.register(grant.hash(), this);
        registered = true;
        if (!grant.isMaster()) {
            expireAt(grant.expiresAt());
        }
        hub = manager.subscribe(containerId, this);
        log().info("ws {} connected ({} token)", remote(channel), grant.kind().name().toLowerCase(Locale.ROOT));
    }

    @Override
    protected void closed(Channel channel) {
        leaveHub();
        if (registered) {
            registered = false;
            sessions.unregister(grant.hash(), this);
        }
    }

    @Override
    protected void onMessage(ChannelHandlerContext ctx, WebSocketFrame message) {
        DecodeResult result;
        try {
            result = codec.decode(message);
        } finally {
            message.release();
        }
        if (result == null) {
            return;
        }
        if (rateLimiter == null) {
            rateLimiter = rateLimits.get();
        }
        switch (rateLimiter.onFrame()) {
            case DROP -> {
                manager.metrics().inboundRefused(Metrics.InboundRefusal.RATE_LIMITED);
                return;
            }
            case DROP_AND_NOTIFY -> {
                manager.metrics().inboundRefused(Metrics.InboundRefusal.RATE_LIMITED);
                ctx.channel().writeAndFlush(OutboundEvents.daemonMessage("Error: rate limited"));
                return;
            }
            case ACCEPT -> { }
        }
        if (result instanceof DecodeResult.Invalid invalid) {
            manager.metrics().inboundError(invalid.kind());
            ctx.channel().writeAndFlush(OutboundEvents.daemonMessage(invalid.message()));
        } else if (result instanceof DecodeResult.Decoded decoded) {
            route(ctx.channel(), decoded.event());
        }
    }

    private void route(Channel channel, InboundEvent event) {
        if (event instanceof InboundEvent.SendCommand command) {
            if (permitted(channel, Permission.COMMAND)) {
                reply(channel, manager.command(containerId, command.command()));
            }
        } else if (event instanceof InboundEvent.Power power) {
            if (permitted(channel, Permission.forPower(power.action()))) {
                reply(channel, manager.power(containerId, power.action()));
            }
        } else if (event instanceof InboundEvent.RequestLogs request && hub != null) {
            requestLogs(channel, request);
        }
    }

    private boolean permitted(Channel channel, Permission permission) {
        if (grant.scope().allows(permission)) {
            return true;
        }
        log().debug("ws {} {} refused: the token lacks it", remote(channel), permission.wireName());
        channel.writeAndFlush(OutboundEvents.daemonMessage("Error: permission denied (" + permission.wireName() + ")"));
        return false;
    }

    /**
     * A history reply may be half a megabyte and is never dropped, so a client that asks for it
     * without reading could make the daemon hold many of them. One reply is in flight at a time,
     * and none is started while the connection is unwritable: such requests wait, the latest one
     * wins, and it is answered once the earlier output has drained. Channel loop only.
     */
    private void requestLogs(Channel channel, InboundEvent.RequestLogs request) {
        if (hub == null) {
            waitingLogs = null; // the session has left its hub: a close frame is on its way
            return;
        }
        if (logsInFlight || !channel.isWritable()) {
            waitingLogs = request;
            return;
        }
        logsInFlight = true;
        hub.logs(request.lines()).whenComplete((history, error) -> channel.eventLoop().execute(() -> {
            logsInFlight = false;
            if (history != null && channel.isActive()) {
                channel.writeAndFlush(OutboundEvents.logs(history));
            }
            answerWaitingLogs(channel);
        }));
    }

    private void answerWaitingLogs(Channel channel) {
        InboundEvent.RequestLogs request = waitingLogs;
        if (request != null && !logsInFlight && channel.isWritable()) {
            waitingLogs = null;
            requestLogs(channel, request);
        }
    }

    /** Refusals go to the requester only; actions on an unknown container stay silent, as the protocol says. */
    private static void reply(Channel channel, CompletableFuture<ActionResult> result) {
        result.thenAccept(r -> {
            if (!r.accepted() && r.outcome() != ActionOutcome.NOT_FOUND) {
                channel.writeAndFlush(OutboundEvents.daemonMessage("Error: " + r.error()));
            }
        });
    }

    @Override
    protected void writable(ChannelHandlerContext ctx) {
        Channel channel = ctx.channel();
        long n = skipped;
        skipped = 0;
        if (n > 0) {
            channel.writeAndFlush(OutboundEvents.daemonMessage("Error: skipped " + n
                    + " console messages (slow connection)"));
        }
        if (statsStale && hub != null) {
            statsStale = false;
            hub.resendStats(this);
        }
        answerWaitingLogs(channel);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        leaveHub();
        log().info("ws {} disconnected", remote(ctx.channel()));
        super.channelInactive(ctx);
    }

    private void leaveHub() {
        if (hub != null) {
            manager.unsubscribe(hub, this);
            hub = null;
        }
    }

    @Override
    protected void tooLong(ChannelHandlerContext ctx) {
        manager.metrics().inboundRefused(Metrics.InboundRefusal.TOO_BIG);
        super.tooLong(ctx);
    }

    /** A frame over {@code limits.max_frame_bytes} is counted as too big, as a message over it is. */
    @Override
    protected void refused(ChannelHandlerContext ctx, int code) {
        if (code == WebSocketCloseStatus.MESSAGE_TOO_BIG.code()) {
            manager.metrics().inboundRefused(Metrics.InboundRefusal.TOO_BIG);
        }
    }

    @Override
    protected void failed(ChannelHandlerContext ctx, Throwable cause) {
        if (closing) {
            log().debug("ws {} error while closing: {}", remote(ctx.channel()), cause.toString());
            return;
        }
        log().debug("ws {} closing after error: {}", remote(ctx.channel()), cause.toString());
        super.failed(ctx, cause);
    }

    private static SocketAddress remote(Channel channel) {
        return channel.remoteAddress();
    }

    /** A log marked with the container; made per use (sessions log rarely), so an idle session carries none. */
    private ContainerLog log() {
        return new ContainerLog(LOG, containerId);
    }
}
