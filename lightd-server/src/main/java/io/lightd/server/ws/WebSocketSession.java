package io.lightd.server.ws;

import io.lightd.server.metrics.Metrics;
import io.lightd.server.metrics.Metrics.PingOutcome;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.lightd.runtime.TimerGrid;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket session after its upgrade: the one lightd handler of the connection, last in its
 * pipeline, right behind Netty's frame decoder and encoder (see
 * {@code io.lightd.server.pipeline.LightdPipeline} for the whole order). It owns what every kind of
 * session shares, consoles and the node stream alike; a subclass adds its own messages
 * ({@link #opened}, {@link #onMessage}, {@link #onClosing}, {@link #closed}).
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
 *       drains (RFC 6455 5.5.3). What became of each ping is counted
 *       ({@code lightd_websocket_pings_total}). Pongs are dropped.</li>
 *   <li><b>Messages</b> (RFC 6455 5.4): a text or binary frame and its continuation frames are
 *       gathered into one message of at most {@link Settings#maxMessageBytes}; a longer one is
 *       refused as a {@link TooLongFrameException} (see {@link #tooLong}), and the rest of it is
 *       dropped. A text message that is not UTF-8 closes the connection with 1007 (RFC 6455 8.1).</li>
 *   <li><b>What the frame decoder refuses</b> ({@link SessionFrameDecoder}: a protocol violation,
 *       1002, among them a close frame whose body is not valid; a frame over the limit, 1009) it
 *       reports without writing anything; the session answers with the connection's one close
 *       frame, that status and the decoder's words as its reason, and the connection closes once
 *       the frame is out (the decoder reads nothing more, so no answer is waited for). The session
 *       hears of it first ({@link #onClosing}) and counts it ({@link #refused}).</li>
 *   <li><b>A close the client starts</b> is answered with a close frame echoing its status, then the
 *       connection closes (RFC 6455 5.5.1).</li>
 *   <li><b>Closing handshake lightd starts</b> (RFC 6455 7.1.2), {@link #close(Channel, int, String)}:
 *       one close frame per session however many reasons meet. First the session hears of it
 *       ({@link #onClosing}) so it stops taking output (it leaves its hub or the node stream), then the
 *       frame is written through the whole pipeline. The connection ends when the client answers
 *       with its own close frame, when the client ends it, or at the latest
 *       {@link #FORCED_CLOSE_SECONDS} later. It does not end when the frame is written: the frame may
 *       still wait in the kernel behind output the client has not read, the client may meanwhile
 *       send (a pong, a command typed), and bytes arriving at a closed socket make the kernel answer
 *       with a reset that discards what was not yet delivered, the close frame among it (the client
 *       would see 1006, not the code). From then on every frame the client sends is dropped
 *       unread.</li>
 *   <li><b>Nothing follows a close frame</b>: once any close frame has been written through this
 *       handler, later writes through it fail with {@link ClosedChannelException} and are released.
 *       A close of the channel before any close frame sends 1000 first.</li>
 *   <li><b>Outbound events</b> already encoded as UTF-8 JSON ({@code byte[]}, from
 *       {@link io.lightd.protocol.OutboundEvents}) become text frames.</li>
 *   <li><b>Its connection's end</b> (the channel goes inactive, or its pipeline is taken down): it
 *       gives back the connection's place under the caps ({@link #holdPlace}) and lets its subclass
 *       leave what it joined ({@link #closed}), once. No listener is put on the channel's close
 *       future for it: an idle session holds no listener object of its own.</li>
 * </ul>
 *
 * One instance per connection, confined to its event loop; {@link #close(Channel, int, String)} and
 * {@link #close(int, String)} may be called from any thread.
 */
public abstract class WebSocketSession extends ChannelDuplexHandler implements Runnable, ChannelFutureListener {

    /**
     * How long, in seconds, a close frame may wait behind unread output and for the client's
     * answer before the connection is cut.
     */
    public static final long FORCED_CLOSE_SECONDS = 10;

    /** The reason of the 1007 close for a text message that is not UTF-8 (Netty's validator's words). */
    static final String NOT_UTF8 = "bytes are not UTF-8";

    /** Composite buffers of a fragmented message consolidate above this many fragments. */
    private static final int MAX_FRAGMENTS = 1024;

    /**
     * A ping is sent when the silence is within this much of the interval (and within a tenth of
     * it), rather than the timer set again for the rest: see {@link #run()}.
     */
    private static final long MAX_PING_SLACK_NANOS = TimeUnit.SECONDS.toNanos(1);

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
     * @param decoder Netty's frame decoder configuration for the handshake (largest frame payload,
     *                no extensions, protocol violations closed); its largest payload, in bytes, is
     *                also the largest message gathered from fragments
     */
    public record Settings(Metrics metrics, int pingIntervalSeconds, int pongTimeoutSeconds,
                           int slowClientCloseSeconds, Clock clock, WebSocketDecoderConfig decoder) {

        /** The largest message, in bytes, gathered from a frame and its continuation frames. */
        public int maxMessageBytes() {
            return decoder.maxFramePayloadLength();
        }
    }

    /**
     * What {@link #onClosing} hears right before lightd's close frame is written: nothing may follow
     * that frame, so the session stops taking output there.
     *
     * @param code the close code about to be sent
     * @param reason the close reason about to be sent
     * @param cause why lightd closes, for the session's log line ({@code "token expired"},
     *              {@code "no pong for 60 s"}, {@code "unwritable for 30000 ms"}); null when the
     *              caller logged it itself (a revocation, a shutdown, an oversized message)
     */
    public record Closing(int code, String reason, String cause) {
    }

    /** Shared by every session of its kind. */
    protected final Settings settings;
    private ChannelHandlerContext ctx;
    private Future<?> idleTimer;
    /** When {@link #idleTimer} is due, on the timer grid, in ns of the loop's ticker. */
    private long idleDueNanos;
    private Future<?> expiry;
    private Future<?> slowClose;
    private Future<?> forcedClose;
    private long lastReadNanos;
    private int idleEvents;
    /** lightd has started the closing handshake. */
    private boolean closeSent;
    /** A close frame (lightd's, or the echo of the client's) has been written through this handler. */
    private boolean closeWritten;
    /** The rest of a message over the limit is being dropped. */
    private boolean discarding;
    /** The connection has ended ({@link #end}). */
    private boolean ended;
    private ByteBuf unanswered;
    /** The message being gathered from fragments, or null. */
    private WebSocketFrame partial;
    private ConnectionLimiter places;
    private String placeKey;

    /** @param settings shared by every session of its kind */
    protected WebSocketSession(Settings settings) {
        this.settings = settings;
    }

    /**
     * Starts the closing handshake on {@code channel}'s session with {@code code} and
     * {@code reason} (see the class comment). Only the first close of a session sends a frame. A
     * channel without a session (not yet upgraded) is closed at once. Callable from any thread.
     */
    public static void close(Channel channel, int code, String reason) {
        WebSocketSession session = channel.pipeline().get(WebSocketSession.class);
        if (session == null) {
            channel.close();
        } else {
            session.close(code, reason);
        }
    }

    /**
     * Starts the closing handshake with {@code code} and {@code reason} (see the class comment); only
     * the first close of a session sends a frame. Callable from any thread: off the channel's loop
     * it hops there, and a loop that is shutting down closes the channel at once.
     */
    public void close(int code, String reason) {
        ChannelHandlerContext c = ctx;
        if (c == null) {
            return;
        }
        Channel channel = c.channel();
        if (channel.eventLoop().inEventLoop()) {
            close(code, reason, null);
        } else {
            try {
                channel.eventLoop().execute(() -> close(code, reason, null));
            } catch (RejectedExecutionException shuttingDown) {
                channel.close();
            }
        }
    }

    /**
     * Holds the connection's place under the caps (taken by {@link HandshakeGate#enter}) until the
     * connection ends, also when it ends before or during the upgrade. Called once, by the handshake's
     * guard when it admits the connection, with this session already in the pipeline; channel loop.
     *
     * @param limiter the caps the place was taken from
     * @param key the key it was taken under (a container id, or the node stream's)
     */
    void holdPlace(ConnectionLimiter limiter, String key) {
        if (ended) {
            limiter.release(key);
            return;
        }
        this.places = limiter;
        this.placeKey = key;
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

    /** The connection's handler context; null before the session is in a pipeline. */
    protected final ChannelHandlerContext context() {
        return ctx;
    }

    // ---- what a kind of session adds ---------------------------------------------------------------

    /** The upgrade's 101 has been written: the session starts. Channel loop. */
    protected abstract void opened(ChannelHandlerContext ctx);

    /**
     * One whole message from the client: a {@link TextWebSocketFrame} (valid UTF-8) or a
     * {@link BinaryWebSocketFrame}, final, at most {@link Settings#maxMessageBytes}. The session
     * owns it and releases it. Channel loop.
     */
    protected abstract void onMessage(ChannelHandlerContext ctx, WebSocketFrame message);

    /** lightd's close frame is about to be written: stop taking output. Channel loop. */
    protected abstract void onClosing(ChannelHandlerContext ctx, Closing closing);

    /**
     * The connection has ended (inactive, or its pipeline taken down): leave what the session joined.
     * Channel loop, once; before the subclass's own {@code channelInactive} work goes on.
     */
    protected abstract void closed(Channel channel);

    /** The connection became writable again (after this handler's own work on it). Channel loop. */
    protected void writable(ChannelHandlerContext ctx) {
    }

    /**
     * A message over {@link Settings#maxMessageBytes}: closes with 1009 {@code message too big}. A
     * subclass may count it first. Channel loop.
     */
    protected void tooLong(ChannelHandlerContext ctx) {
        close(WebSocketCloseStatus.MESSAGE_TOO_BIG.code(), "message too big", null);
    }

    /**
     * The frame decoder ({@link SessionFrameDecoder}) refused what the client sent (a protocol
     * violation: 1002; a frame over the limit: 1009), wrote nothing, and reads nothing more. The
     * session answers with the one close frame of the connection, through {@link #answerWithClose}
     * (it leaves what it joined first, nothing follows the frame, the connection closes once it is
     * out) and counts the refusal. When a close frame is already out or on its way, no second one
     * is written: the connection closes once what is queued is out, as the client's answer will not
     * be read. Channel loop.
     */
    private void refusedByDecoder(ChannelHandlerContext ctx, CorruptedWebSocketFrameException refused) {
        if (closeSent || closeWritten) {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        WebSocketCloseStatus status = refused.closeStatus() == null ? WebSocketCloseStatus.PROTOCOL_ERROR
                : refused.closeStatus();
        String reason = refused.getMessage() == null ? status.reasonText() : refused.getMessage();
        answerWithClose(ctx, new CloseWebSocketFrame(status.code(), reason));
        refused(ctx, status.code());
    }

    /**
     * A hook for what the frame decoder refused with {@code code} (1002 or 1009): the close frame is
     * already on its way. Does nothing here. Channel loop.
     */
    protected void refused(ChannelHandlerContext ctx, int code) {
    }

    /** Any other exception: closed (through the pipeline, so a close frame goes first). Channel loop. */
    protected void failed(ChannelHandlerContext ctx, Throwable cause) {
        ctx.channel().close();
    }

    // ---- the handler -----------------------------------------------------------------------------

    /**
     * The upgrade's 101 has been written (the session opens) or could not be (the connection closes).
     * Channel loop.
     */
    @Override
    public void operationComplete(ChannelFuture future) {
        Channel channel = future.channel();
        if (future.isSuccess()) {
            if (ctx != null && !ended && channel.isActive()) {
                opened(ctx);
            }
        } else {
            channel.close();
        }
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
        onClosing(ctx, new Closing(code, reason, cause));
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
        release(ctx);
    }

    /** Timers, a ping not yet answered, a partial message, the place under the caps: all let go. */
    private void release(ChannelHandlerContext ctx) {
        cancelTimers();
        cancel(forcedClose);
        forgetUnanswered(PingOutcome.ABANDONED);
        dropPartial();
        end(ctx.channel());
    }

    /** The connection has ended: its place under the caps back, and the subclass leaves. Once. */
    private void end(Channel channel) {
        if (ended) {
            return;
        }
        ended = true;
        if (places != null) {
            places.release(placeKey);
            places = null;
        }
        closed(channel);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastReadNanos = ticks();
        idleEvents = 0;
        if (!(msg instanceof WebSocketFrame frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (closeSent || closeWritten) {
            // A close frame is on its way (lightd's, the echo of the client's, or a 1007): the client's
            // reply completes the handshake; anything else is not acted upon.
            frame.release();
            if (frame instanceof CloseWebSocketFrame) {
                ctx.close();
            }
            return;
        }
        if (frame instanceof PingWebSocketFrame ping) {
            forgetUnanswered(PingOutcome.SUPERSEDED);
            if (ctx.channel().isWritable()) {
                pong(ping.content());
            } else {
                unanswered = ping.content();
            }
        } else if (frame instanceof PongWebSocketFrame) {
            frame.release();
        } else if (frame instanceof CloseWebSocketFrame close) {
            // Echoes the client's status and reason, then ends the connection.
            answerWithClose(ctx, close);
        } else {
            gather(ctx, frame);
        }
    }

    /** Text, binary and continuation frames into whole messages (RFC 6455 5.4). */
    private void gather(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame instanceof ContinuationWebSocketFrame) {
            if (discarding || partial == null) {
                discarding &= !frame.isFinalFragment();
                frame.release();
                return;
            }
            CompositeByteBuf content = (CompositeByteBuf) partial.content();
            if (content.readableBytes() > settings.maxMessageBytes() - frame.content().readableBytes()) {
                frame.release();
                dropPartial();
                discarding = !frame.isFinalFragment();
                tooLong(ctx);
                return;
            }
            content.addComponent(true, frame.content().retain());
            boolean last = frame.isFinalFragment();
            frame.release();
            if (last) {
                WebSocketFrame message = partial;
                partial = null;
                deliver(ctx, message);
            }
            return;
        }
        dropPartial();
        discarding = false;
        if (frame.isFinalFragment()) {
            deliver(ctx, frame);
            return;
        }
        CompositeByteBuf content = ctx.alloc().compositeBuffer(MAX_FRAGMENTS);
        content.addComponent(true, frame.content().retain());
        partial = frame instanceof TextWebSocketFrame ? new TextWebSocketFrame(true, 0, content)
                : new BinaryWebSocketFrame(true, 0, content);
        frame.release();
    }

    private void deliver(ChannelHandlerContext ctx, WebSocketFrame message) {
        if (message instanceof TextWebSocketFrame && !ByteBufUtil.isText(message.content(), StandardCharsets.UTF_8)) {
            message.release();
            answerWithClose(ctx, new CloseWebSocketFrame(WebSocketCloseStatus.INVALID_PAYLOAD_DATA.code(), NOT_UTF8));
            return;
        }
        onMessage(ctx, message);
    }

    /**
     * A close frame lightd writes in answer to the client (its own close echoed, a 1007, or what the
     * frame decoder refused): the
     * session leaves what it joined first, so that no broadcast follows the frame; the frame goes
     * through this handler (nothing after it, and no second close frame when the channel closes);
     * the connection ends once it is out, not before (closing at once would let bytes the client
     * sends meanwhile reset the connection and lose the frame). Frames read after it are dropped.
     */
    private void answerWithClose(ChannelHandlerContext ctx, CloseWebSocketFrame frame) {
        if (!closeSent) {
            closeSent = true;
            cancelTimers();
            onClosing(ctx, new Closing(frame.statusCode(), frame.reasonText(), null));
        }
        ctx.channel().writeAndFlush(frame).addListener(ChannelFutureListener.CLOSE);
    }

    private void dropPartial() {
        if (partial != null) {
            partial.release();
            partial = null;
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (closeWritten) {
            ReferenceCountUtil.release(msg);
            promise.setFailure(new ClosedChannelException());
            return;
        }
        if (msg instanceof byte[] json) {
            ctx.write(EventFrameCodec.frame(json), promise);
            return;
        }
        if (msg instanceof CloseWebSocketFrame) {
            closeWritten = true;
        }
        ctx.write(msg, promise);
    }

    /** A close of an open connection that has sent no close frame sends 1000 first. */
    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (!closeWritten && ctx.channel().isActive()) {
            closeWritten = true;
            ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE, ctx.alloc()))
                    .addListener(f -> ctx.close(promise));
            return;
        }
        ctx.close(promise);
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
            writable(ctx);
        } else if (slowClose == null && !closeSent) {
            long millis = TimeUnit.SECONDS.toMillis(settings.slowClientCloseSeconds());
            slowClose = ctx.executor().schedule(() -> close(WebSocketCloseStatus.POLICY_VIOLATION.code(),
                    "connection too slow", "unwritable for " + millis + " ms"), millis, TimeUnit.MILLISECONDS);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release(ctx);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof CorruptedWebSocketFrameException refused) {
            refusedByDecoder(ctx, refused);
        } else if (cause instanceof TooLongFrameException && !closeSent) {
            tooLong(ctx);
        } else {
            failed(ctx, cause);
        }
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
        // A client that answered the last ping did so a moment after it was sent, so the silence is
        // that moment short of the interval when the timer fires: ping now rather than wake the loop
        // again for the rest (one timer per interval per idle connection, not two).
        if (left > Math.min(MAX_PING_SLACK_NANOS, intervalNanos / 10)) {
            scheduleIdle(left);
            return;
        }
        // The next ping one interval after this timer was due, not after it ran (a moment later).
        long now = ticks();
        idleDueNanos = TimerGrid.nextDue(idleDueNanos, intervalNanos, now);
        idleTimer = ctx.executor().schedule(this, idleDueNanos - now, TimeUnit.NANOSECONDS);
        idleEvents++;
        long idleSeconds = (long) idleEvents * settings.pingIntervalSeconds();
        if (idleSeconds >= settings.pongTimeoutSeconds()) {
            close(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE.code(), "ping timeout", "no pong for " + idleSeconds + " s");
            return;
        }
        ctx.channel().writeAndFlush(new PingWebSocketFrame());
    }

    /** On the timer grid: the pings of a loop's idle connections that fall in one second share a wake-up. */
    private void scheduleIdle(long delayNanos) {
        long now = ticks();
        idleDueNanos = TimerGrid.stepAtOrAfter(now + delayNanos);
        idleTimer = ctx.executor().schedule(this, idleDueNanos - now, TimeUnit.NANOSECONDS);
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
