package io.lightd.server.ws;

import io.lightd.server.metrics.Metrics;
import io.lightd.server.metrics.Metrics.PingOutcome;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The one owner of a WebSocket session's life on its connection, for consoles and the node stream
 * alike: keepalive pings and the pong timeout, the token's expiry instant, the slow-client close,
 * the client's pings, and the closing handshake lightd starts. It sits in front of Netty's
 * {@code WebSocketServerProtocolHandler}, so it sees every frame the client sends before that
 * handler does (see {@code io.lightd.server.pipeline.LightdPipeline} for the whole order).
 *
 * <ul>
 *   <li><b>Reader idle.</b> Every {@link Settings#pingIntervalSeconds} without a frame from the
 *       client (pongs count) it sends a ping; once the silence reaches
 *       {@link Settings#pongTimeoutSeconds} it closes with 1001 {@code ping timeout}.</li>
 *   <li><b>Expiry.</b> {@link #expireAt} (called by the session when it opens) closes the session
 *       with 4001 {@code token expired} at that instant of {@link Settings#clock}.</li>
 *   <li><b>Slow client.</b> A connection unwritable for {@link Settings#slowClientCloseSeconds} is
 *       closed with 1008 {@code connection too slow}.</li>
 *   <li><b>Client pings</b> are answered without ever queueing pongs behind output the client does
 *       not read: while unwritable only the latest ping is kept and answered once the connection
 *       drains (RFC 6455 5.5.3). Netty's protocol handler would answer every ping at once. What
 *       became of each ping is counted ({@code lightd_websocket_pings_total}).</li>
 *   <li><b>Closing handshake</b> (RFC 6455 7.1.2), {@link #close(Channel, int, String)}: one close
 *       frame per session however many reasons meet. First a {@link Closing} event goes down the
 *       pipeline so the session stops taking output (it leaves its hub or the node stream), then
 *       the frame is written through the whole pipeline. The connection ends when the client
 *       answers with its own close frame (dropped here, so Netty's handler does not answer it with a
 *       second one, which browsers report as a protocol error), when the client ends it, or at the
 *       latest {@link #FORCED_CLOSE_SECONDS} later. It does not end when the frame is written: the
 *       frame may still wait in the kernel behind output the client has not read, the client may
 *       meanwhile send (a pong, a command typed), and bytes arriving at a closed socket make the
 *       kernel answer with a reset that discards what was not yet delivered, the close frame among
 *       it (the client would see 1006, not the code). From then on every frame the client sends is
 *       dropped unread.</li>
 * </ul>
 *
 * One instance per connection, confined to its event loop; {@link #close(Channel, int, String)} may
 * be called from any thread.
 */
public final class SessionLifecycleHandler extends ChannelDuplexHandler implements Runnable {

    /**
     * How long, in seconds, a close frame may wait behind unread output and for the client's
     * answer before the connection is cut.
     */
    public static final long FORCED_CLOSE_SECONDS = 10;

    /**
     * What one kind of session (consoles, or the node stream) shares: one instance for all its
     * connections, so an idle connection carries none of it.
     *
     * @param metrics where each ping's {@link PingOutcome} is counted
     * @param pingIntervalSeconds {@code limits.ping_interval_seconds}: silence before each ping (at least 1)
     * @param pongTimeoutSeconds {@code limits.pong_timeout_seconds}: silence that closes the session
     * @param slowClientCloseSeconds {@code limits.slow_client_close_seconds}: how long a connection
     *                               may stay unwritable
     * @param clock what the token's expiry instant is read against
     */
    public record Settings(Metrics metrics, int pingIntervalSeconds, int pongTimeoutSeconds,
                           int slowClientCloseSeconds, Clock clock) {
    }

    /**
     * Fired down the pipeline, from this handler towards the session, right before lightd's close
     * frame is written: nothing may follow that frame, so the session stops taking output here.
     *
     * @param code the close code about to be sent
     * @param reason the close reason about to be sent
     * @param cause why lightd closes, for the session's log line ({@code "token expired"},
     *              {@code "no pong for 60 s"}, {@code "unwritable for 30000 ms"}); null when the
     *              caller logged it itself (a revocation, a shutdown, an oversized frame)
     */
    public record Closing(int code, String reason, String cause) {
    }

    private final Settings settings;
    private ChannelHandlerContext ctx;
    private Future<?> idleTimer;
    private Future<?> expiry;
    private Future<?> slowClose;
    private Future<?> forcedClose;
    private long lastReadNanos;
    private int idleEvents;
    private boolean closeSent;
    private ByteBuf unanswered;

    /** @param settings shared by every session of its kind */
    public SessionLifecycleHandler(Settings settings) {
        this.settings = settings;
    }

    /**
     * Starts the closing handshake on {@code channel}'s session with {@code code} and
     * {@code reason} (see the class comment). Only the first close of a session sends a frame. A
     * channel without this handler (not yet upgraded) is closed at once. Callable from any thread.
     */
    public static void close(Channel channel, int code, String reason) {
        SessionLifecycleHandler handler = channel.pipeline().get(SessionLifecycleHandler.class);
        if (handler == null) {
            channel.close();
        } else if (channel.eventLoop().inEventLoop()) {
            handler.close(code, reason, null);
        } else {
            try {
                channel.eventLoop().execute(() -> handler.close(code, reason, null));
            } catch (RejectedExecutionException shuttingDown) {
                channel.close();
            }
        }
    }

    /**
     * The handler of the session {@code pipeline} belongs to.
     *
     * @throws IllegalStateException when the pipeline has none (it is not a WebSocket session's)
     */
    public static SessionLifecycleHandler of(ChannelPipeline pipeline) {
        SessionLifecycleHandler handler = pipeline.get(SessionLifecycleHandler.class);
        if (handler == null) {
            throw new IllegalStateException("not a WebSocket session's pipeline: " + pipeline.names());
        }
        return handler;
    }

    /** Whether lightd has sent this session its close frame. Channel loop only. */
    public boolean closeSent() {
        return closeSent;
    }

    /**
     * Closes the session with 4001 {@code token expired} at {@code expiresAt} (now if it has passed);
     * null (a master token) never expires. Called once, by the session when it opens; channel loop only.
     */
    public void expireAt(Instant expiresAt) {
        if (expiresAt == null || closeSent) {
            return;
        }
        long delayMillis = Math.max(0, Duration.between(settings.clock().instant(), expiresAt).toMillis());
        expiry = ctx.executor().schedule(() -> close(LiveSessions.CLOSE_TOKEN_EXPIRED, "token expired",
                "token expired"), delayMillis, TimeUnit.MILLISECONDS);
    }

    /** Channel loop only. */
    private void close(int code, String reason, String cause) {
        if (ctx == null) {
            return;
        }
        Channel channel = ctx.channel();
        if (closeSent || !channel.isActive()) {
            return;
        }
        closeSent = true;
        cancelTimers();
        ctx.fireUserEventTriggered(new Closing(code, reason, cause));
        channel.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        // The frame queues behind whatever the client has not read; a client that reads nothing
        // more would keep the connection (and its place under the caps) for ever.
        forcedClose = ctx.executor().schedule(() -> channel.close(), FORCED_CLOSE_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        lastReadNanos = ticks();
        if (ctx.channel().isActive()) {
            scheduleIdle(TimeUnit.SECONDS.toNanos(settings.pingIntervalSeconds()));
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimers();
        cancel(forcedClose);
        forgetUnanswered(PingOutcome.ABANDONED);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastReadNanos = ticks();
        idleEvents = 0;
        if (closeSent && msg instanceof WebSocketFrame) {
            // The client's reply completes the handshake; anything else is not acted upon.
            ReferenceCountUtil.release(msg);
            if (msg instanceof CloseWebSocketFrame) {
                ctx.close();
            }
            return;
        }
        if (msg instanceof PingWebSocketFrame ping) {
            forgetUnanswered(PingOutcome.SUPERSEDED);
            if (ctx.channel().isWritable()) {
                pong(ping.content());
            } else {
                unanswered = ping.content();
            }
            return;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            cancel(slowClose);
            slowClose = null;
            if (unanswered != null) {
                ByteBuf payload = unanswered;
                unanswered = null;
                pong(payload);
            }
        } else if (slowClose == null && !closeSent) {
            long millis = TimeUnit.SECONDS.toMillis(settings.slowClientCloseSeconds());
            slowClose = ctx.executor().schedule(() -> close(WebSocketCloseStatus.POLICY_VIOLATION.code(),
                    "connection too slow", "unwritable for " + millis + " ms"), millis, TimeUnit.MILLISECONDS);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimers();
        cancel(forcedClose);
        forgetUnanswered(PingOutcome.ABANDONED);
        ctx.fireChannelInactive();
    }

    /** The reader-idle timer (this handler is its task, so the timer costs no object of its own). */
    @Override
    public void run() {
        idleTimer = null;
        if (closeSent || !ctx.channel().isOpen()) {
            return;
        }
        long intervalNanos = TimeUnit.SECONDS.toNanos(settings.pingIntervalSeconds());
        long left = intervalNanos - (ticks() - lastReadNanos);
        if (left > 0) {
            scheduleIdle(left);
            return;
        }
        scheduleIdle(intervalNanos);
        idleEvents++;
        long idleSeconds = (long) idleEvents * settings.pingIntervalSeconds();
        if (idleSeconds >= settings.pongTimeoutSeconds()) {
            close(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE.code(), "ping timeout", "no pong for " + idleSeconds + " s");
            return;
        }
        ctx.channel().writeAndFlush(new PingWebSocketFrame());
    }

    private void scheduleIdle(long delayNanos) {
        idleTimer = ctx.executor().schedule(this, delayNanos, TimeUnit.NANOSECONDS);
    }

    /** Through the whole pipeline, so that nothing follows a close frame once one is on its way. */
    private void pong(ByteBuf payload) {
        settings.metrics().ping(PingOutcome.ANSWERED);
        ctx.channel().writeAndFlush(new PongWebSocketFrame(payload));
    }

    private void forgetUnanswered(PingOutcome outcome) {
        if (unanswered != null) {
            unanswered.release();
            unanswered = null;
            settings.metrics().ping(outcome);
        }
    }

    private void cancelTimers() {
        cancel(idleTimer);
        idleTimer = null;
        cancel(expiry);
        expiry = null;
        cancel(slowClose);
        slowClose = null;
    }

    private static void cancel(Future<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    private long ticks() {
        return ctx.executor().ticker().nanoTime();
    }
}
