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
import io.lightd.server.fanout.Delivery;
import io.lightd.server.logging.ContainerLog;
import io.lightd.server.metrics.Metrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import java.net.SocketAddress;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One console session: after the upgrade it joins the container's hub, routes the client's
 * commands, power actions and log requests (the same path REST takes), enforces the inbound rate
 * limit, tells the client about skipped output, and has its token's expiry instant (4001) kept by
 * the connection's {@link SessionLifecycleHandler}, which also pings, closes and drops what follows
 * a close; on its {@link SessionLifecycleHandler.Closing} event the session leaves its hub. A
 * command or power action the token's permissions do not allow is answered with
 * {@code Error: permission denied (<permission>)} to this client alone and goes no further.
 * Confined to the connection's event loop.
 */
public final class ConsoleSessionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(ConsoleSessionHandler.class);

    private final String containerId;
    private final TokenStore.Grant grant;
    private final ContainerManager manager;
    private final LiveSessions sessions;
    private final Supplier<InboundRateLimiter> rateLimits;
    /** Made on the first frame the client sends: an idle console carries none. */
    private InboundRateLimiter rateLimiter;
    private ContainerHub hub;
    private boolean closing;
    private boolean logsInFlight;
    private InboundEvent.RequestLogs waitingLogs;
    private final AtomicLong skipped = new AtomicLong();

    /**
     * @param containerId the container's internal id, canonical
     * @param grant what the token allows, and until when
     * @param manager the hubs: where the session subscribes and sends commands and power actions
     * @param sessions the live sessions, where this one is registered under its grant
     * @param rateLimits makes this connection's own inbound rate limit (shared by every console)
     */
    public ConsoleSessionHandler(String containerId, TokenStore.Grant grant, ContainerManager manager,
                                 LiveSessions sessions, Supplier<InboundRateLimiter> rateLimits) {
        this.containerId = containerId;
        this.grant = grant;
        this.manager = manager;
        this.sessions = sessions;
        this.rateLimits = rateLimits;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            open(ctx);
        } else if (evt instanceof SessionLifecycleHandler.Closing closingEvent) {
            // Nothing may follow the close frame: leave the hub first, otherwise the next broadcast
            // would reach a connection that has sent its close.
            closing = true;
            ctx.channel().attr(Delivery.FRAME_WRITER).set(null);
            leaveHub(ctx.channel());
            if (closingEvent.cause() != null) {
                log().info("ws {} {}, closing", remote(ctx.channel()), closingEvent.cause());
            }
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    private void open(ChannelHandlerContext ctx) {
        Channel channel = ctx.channel();
        channel.attr(Delivery.SKIPPED).set(skipped);
        channel.attr(Delivery.FRAME_WRITER).set(ctx.pipeline().context(WebSocketFrameEncoder.class));
        // Master sessions too: replacing the master token closes them as revoked.
        sessions.register(grant, channel);
        if (!grant.isMaster()) {
            SessionLifecycleHandler.of(ctx.pipeline()).expireAt(grant.expiresAt());
        }
        hub = manager.subscribe(containerId, channel);
        log().info("ws {} connected ({} token)", remote(channel), grant.kind().name().toLowerCase(Locale.ROOT));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DecodeResult result)) {
            ReferenceCountUtil.release(msg);
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
                ctx.writeAndFlush(OutboundEvents.daemonMessage("Error: rate limited"));
                return;
            }
            case ACCEPT -> { }
        }
        if (result instanceof DecodeResult.Invalid invalid) {
            manager.metrics().inboundError(invalid.kind());
            ctx.writeAndFlush(OutboundEvents.daemonMessage(invalid.message()));
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
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        Channel channel = ctx.channel();
        if (channel.isWritable()) {
            long n = skipped.getAndSet(0);
            if (n > 0) {
                ctx.writeAndFlush(OutboundEvents.daemonMessage("Error: skipped " + n
                        + " console messages (slow connection)"));
            }
            answerWaitingLogs(channel);
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        leaveHub(ctx.channel());
        log().info("ws {} disconnected", remote(ctx.channel()));
        super.channelInactive(ctx);
    }

    private void leaveHub(Channel channel) {
        if (hub != null) {
            manager.unsubscribe(hub, channel);
            hub = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (closing) {
            log().debug("ws {} error while closing: {}", remote(ctx.channel()), cause.toString());
            return;
        }
        if (cause instanceof TooLongFrameException) {
            manager.metrics().inboundRefused(Metrics.InboundRefusal.TOO_BIG);
            SessionLifecycleHandler.close(ctx.channel(), WebSocketCloseStatus.MESSAGE_TOO_BIG.code(), "message too big");
            return;
        }
        log().debug("ws {} closing after error: {}", remote(ctx.channel()), cause.toString());
        ctx.close();
    }

    private static SocketAddress remote(Channel channel) {
        return channel.remoteAddress();
    }

    /** A log marked with the container; made per use (sessions log rarely), so an idle session carries none. */
    private ContainerLog log() {
        return new ContainerLog(LOG, containerId);
    }
}
