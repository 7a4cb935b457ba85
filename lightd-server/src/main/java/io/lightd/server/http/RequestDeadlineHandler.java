package io.lightd.server.http;

import io.lightd.server.http.message.HttpResponses;
import io.lightd.server.logging.FaultLog;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives a connection {@code limits.handshake_timeout_seconds} to deliver a whole request, counted
 * from its opening (TLS handshake included) or from the end of its previous response: a client
 * trickling its request line, headers or body, or keeping an idle connection open, is closed. The
 * deadline is absolute, so bytes arriving slowly do not extend it. A client caught halfway through
 * a request gets a 408 first; an idle one is closed silently, because a 408 racing a request the
 * client is just sending would be taken as that request's answer.
 *
 * <p>No request leaves the connection without a deadline: once a request is whole, the answer
 * deadline ({@code limits.response_timeout_seconds}, longer, so a slow engine or disk may still
 * answer) replaces the request deadline, and a request still unanswered when it ends gets a 503
 * (or, when its answer had begun, a close). So a route that fails to answer, for whatever reason,
 * cannot keep a connection open; the work it started is not cancelled. Requests a client pipelines
 * behind an unanswered one do not extend that answer's deadline; each next answer gets the whole
 * answer deadline from the end of the previous one. An answer counts as given when it is written;
 * until the socket has taken it, the answer deadline still runs (each answer taken starts it anew),
 * and a connection whose client does not take its answers in that time is closed at once (DEBUG:
 * the client's doing), its unsent output discarded. Backpressure: while the channel is unwritable
 * no further bytes are read (auto-read off until it drains), and requests already read are held
 * unrouted, at most {@link #MAX_HELD_REQUESTS}; the rest are dropped and the connection closes
 * once the held ones are answered. Once a 101 upgrade goes out the handler leaves
 * the pipeline (WebSocket idleness is the pings' business). {@link #awaitingResponse()} tells the
 * pipeline's last handler whether an error may still be answered. Once a response that closes the
 * connection (an error, or one the client asked to be the last) has begun, requests the client had
 * already sent behind it are dropped unread rather than routed. Sits right after the HTTP codec;
 * one per connection, confined to its event loop.
 */
public final class RequestDeadlineHandler extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(RequestDeadlineHandler.class);
    /**
     * Most requests held (read, not routed) while the channel is unwritable; requests a client
     * pipelines beyond them are dropped unread, and the connection is closed after the held ones
     * are answered.
     */
    public static final int MAX_HELD_REQUESTS = 16;

    private final long requestNanos;
    private final long responseNanos;
    private ScheduledFuture<?> deadline;
    /** A request head has arrived and its end has not. */
    private boolean partial;
    /** Complete requests not yet answered. */
    private int unanswered;
    /** A response head went out and its end has not. */
    private boolean responding;
    /** A response that closes the connection went out: nothing read after it is routed. */
    private boolean closing;
    /** Answers written whose last bytes the socket has not yet accepted. */
    private int unflushed;
    /** Requests read while the channel was unwritable, held until it drains; see {@link #MAX_HELD_REQUESTS}. */
    private final ArrayDeque<Object> held = new ArrayDeque<>();
    private int heldRequests;
    /** More than {@link #MAX_HELD_REQUESTS} were held: the rest were dropped, and the connection closes once the held ones are answered. */
    private boolean overflowed;
    private final FaultLog faults;

    /**
     * With a fault log of its own (for tests): {@code requestTimeout} to receive each request,
     * {@code responseTimeout} to answer it, both in {@code unit}.
     *
     * @param requestTimeout  time to receive each whole request ({@code limits.handshake_timeout_seconds})
     * @param responseTimeout time to answer each request ({@code limits.response_timeout_seconds})
     * @param unit            the unit of both timeouts
     */
    public RequestDeadlineHandler(long requestTimeout, long responseTimeout, TimeUnit unit) {
        this(requestTimeout, responseTimeout, unit, new FaultLog(log));
    }

    /**
     * {@code requestTimeout} to receive each request and {@code responseTimeout} to answer it, both
     * in {@code unit}; {@code faults} reports unanswered requests, shared by all connections so the
     * reports stay bounded.
     *
     * @param requestTimeout  time to receive each whole request ({@code limits.handshake_timeout_seconds})
     * @param responseTimeout time to answer each request ({@code limits.response_timeout_seconds})
     * @param unit            the unit of both timeouts
     * @param faults          the fault log shared by every connection
     */
    public RequestDeadlineHandler(long requestTimeout, long responseTimeout, TimeUnit unit, FaultLog faults) {
        this.requestNanos = unit.toNanos(requestTimeout);
        this.responseNanos = unit.toNanos(responseTimeout);
        this.faults = faults;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        arm(ctx, requestNanos);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        disarm();
        releaseHeld();
        // Reading was this handler's to stop; after an upgrade the WebSocket handlers own it.
        if (ctx.channel().isActive() && !ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        disarm();
        releaseHeld();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (closing || overflowed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!held.isEmpty() || !ctx.channel().isWritable() && !partial && msg instanceof HttpRequest) {
            hold(ctx, msg);
            return;
        }
        route(ctx, msg);
    }

    /** Hands one message on to be routed, counting the requests it completes. */
    private void route(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            partial = true;
        }
        if (msg instanceof LastHttpContent) {
            partial = false;
            if (++unanswered == 1 && unflushed == 0) {
                // The first request owed an answer: its answer deadline replaces the request deadline.
                arm(ctx, responseNanos);
            }
        }
        ctx.fireChannelRead(msg);
    }

    /**
     * Keeps a message read while the channel is unwritable (a client pipelining requests and not
     * reading the answers): reading stops until the channel drains, and past
     * {@link #MAX_HELD_REQUESTS} held requests the rest are dropped.
     */
    private void hold(ChannelHandlerContext ctx, Object msg) {
        ctx.channel().config().setAutoRead(false);
        if (msg instanceof HttpRequest) {
            if (heldRequests == MAX_HELD_REQUESTS) {
                overflowed = true;
                log.debug("http {}: more than {} pipelined requests held while the answers are not read; "
                        + "dropping the rest", ctx.channel().remoteAddress(), MAX_HELD_REQUESTS);
                ReferenceCountUtil.release(msg);
                return;
            }
            heldRequests++;
        }
        held.add(msg);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable()) {
            drain(ctx);
        } else {
            // Backpressure: read no further requests while the answers already written are not taken.
            ctx.channel().config().setAutoRead(false);
        }
        super.channelWritabilityChanged(ctx);
    }

    /** Routes the held messages while the channel stays writable; reading resumes once none is left. */
    private void drain(ChannelHandlerContext ctx) {
        while (!held.isEmpty() && ctx.channel().isWritable() && !closing) {
            Object msg = held.poll();
            if (msg instanceof HttpRequest) {
                heldRequests--;
            }
            route(ctx, msg);
        }
        if (!held.isEmpty() && closing) {
            releaseHeld();
        }
        if (held.isEmpty() && ctx.channel().isActive()) {
            if (overflowed) {
                // The requests dropped will never be answered: end the connection after the answers owed.
                closing = true;
                if (unanswered == 0) {
                    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                }
            } else if (ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(true);
            }
        }
    }

    private void releaseHeld() {
        for (Object msg; (msg = held.poll()) != null; ) {
            ReferenceCountUtil.release(msg);
        }
        heldRequests = 0;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (msg instanceof HttpResponse response && response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
            super.write(ctx, msg, promise);
            if (response.status().equals(HttpResponseStatus.SWITCHING_PROTOCOLS)) {
                ctx.pipeline().remove(this);
            }
            return;
        }
        if (msg instanceof HttpResponse response) {
            responding = true;
            closing |= !HttpUtil.isKeepAlive(response);
        }
        if (!(msg instanceof LastHttpContent)) {
            super.write(ctx, msg, promise);
            return;
        }
        responding = false;
        // An answer counts as given once it is written, not once the socket takes it: a deadline that
        // ends while it waits in the outbound buffer must not draw a second answer for its request.
        unanswered = Math.max(0, unanswered - 1);
        unflushed++;
        ChannelPromise written = promise.unvoid();
        written.addListener(f -> {
            unflushed--;
            if (!ctx.isRemoved() && ctx.channel().isActive()) {
                // Progress: the next answer, or the next request, gets its whole time from here.
                rearm(ctx);
            }
        });
        super.write(ctx, msg, written);
        if (!ctx.isRemoved() && ctx.channel().isActive()) {
            rearm(ctx);
        }
        if (closing && unanswered == 0 && overflowed) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * The deadline now in force: the answer deadline while an answer is owed or written but not yet
     * taken by the socket, else the request deadline for the next request.
     */
    private void rearm(ChannelHandlerContext ctx) {
        arm(ctx, unanswered > 0 || responding || unflushed > 0 ? responseNanos : requestNanos);
    }

    /**
     * True while the connection owes an answer and none has begun: a request has arrived (whole or
     * in part) and no response head was written for it. Then an error may still be answered with a
     * status; otherwise the only clean end is to close. On the channel's event loop.
     *
     * @return whether an error may still be answered with a status
     */
    public boolean awaitingResponse() {
        return (partial || unanswered > 0) && !responding;
    }

    /**
     * True once lightd has ended the connection's HTTP exchange itself: a response that closes it
     * went out, or a deadline closed it. What breaks after that (the aggregator cut off, a reset)
     * is the consequence of that close, already reported once, and is not reported again. On the
     * channel's event loop.
     *
     * @return whether lightd has begun closing the connection
     */
    public boolean closing() {
        return closing;
    }

    private void arm(ChannelHandlerContext ctx, long nanos) {
        disarm();
        deadline = ctx.executor().schedule(() -> expire(ctx), nanos, TimeUnit.NANOSECONDS);
    }

    private void disarm() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    private void expire(ChannelHandlerContext ctx) {
        deadline = null;
        long answerMillis = TimeUnit.NANOSECONDS.toMillis(responseNanos);
        if (unflushed > 0 || responding) {
            // An answer is under way or waits for the client to take it: the client is not reading.
            // Nothing more can reach it, so the connection ends here (a 503 would queue behind it).
            log.debug("http {}: an answer not taken within {} ms, closing", ctx.channel().remoteAddress(),
                    answerMillis);
            closeNow(ctx);
            return;
        }
        if (unanswered > 0) {
            // The answer deadline: an answer is owed first, so a request behind it is not the one timed out.
            faults.warn("unanswered", "http " + ctx.channel().remoteAddress()
                    + ": a request was not answered within " + answerMillis + " ms, answering 503");
            closing = true;
            releaseHeld();
            HttpResponses.sendError(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "request not answered in time",
                    false);
            return;
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(requestNanos);
        if (partial) {
            log.debug("http {}: no complete request within {} ms, answering 408", ctx.channel().remoteAddress(),
                    millis);
            closing = true;
            HttpResponses.sendError(ctx, HttpResponseStatus.REQUEST_TIMEOUT, "request not received in time", false);
        } else {
            log.debug("http {}: nothing within {} ms, closing", ctx.channel().remoteAddress(), millis);
            closeNow(ctx);
        }
    }

    /** Closes a connection this handler ends; nothing it still sends is read or reported. */
    private void closeNow(ChannelHandlerContext ctx) {
        closing = true;
        releaseHeld();
        ctx.close();
    }
}
