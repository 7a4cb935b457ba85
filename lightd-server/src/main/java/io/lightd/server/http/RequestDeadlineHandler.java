package io.lightd.server.http;

import io.lightd.server.logging.FaultLog;
import io.netty.channel.ChannelDuplexHandler;
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
 * answer deadline from the end of the previous one. Once a 101 upgrade goes out the handler leaves
 * the pipeline (WebSocket idleness is the pings' business). {@link #awaitingResponse()} tells the
 * pipeline's last handler whether an error may still be answered. Once a response that closes the
 * connection (an error, or one the client asked to be the last) has begun, requests the client had
 * already sent behind it are dropped unread rather than routed. Sits right after the HTTP codec;
 * one per connection, confined to its event loop.
 */
public final class RequestDeadlineHandler extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(RequestDeadlineHandler.class);

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
    private final FaultLog faults;

    /**
     * With a fault log of its own (for tests): {@code requestTimeout} to receive each request,
     * {@code responseTimeout} to answer it, both in {@code unit}.
     */
    public RequestDeadlineHandler(long requestTimeout, long responseTimeout, TimeUnit unit) {
        this(requestTimeout, responseTimeout, unit, new FaultLog(log));
    }

    /**
     * {@code requestTimeout} to receive each request and {@code responseTimeout} to answer it, both
     * in {@code unit}; {@code faults} reports unanswered requests, shared by all connections so the
     * reports stay bounded.
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
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        disarm();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest) {
            partial = true;
        }
        if (msg instanceof LastHttpContent) {
            partial = false;
            if (++unanswered == 1) {
                // The first request owed an answer: its answer deadline replaces the request deadline.
                arm(ctx, responseNanos);
            }
        }
        super.channelRead(ctx, msg);
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
        ChannelPromise written = promise.unvoid();
        super.write(ctx, msg, written);
        written.addListener(f -> {
            unanswered = Math.max(0, unanswered - 1);
            if (!ctx.isRemoved() && ctx.channel().isActive()) {
                // The next pipelined request's answer, or the next request, gets its whole time from here.
                arm(ctx, unanswered > 0 ? responseNanos : requestNanos);
            }
        });
    }

    /**
     * True while the connection owes an answer and none has begun: a request has arrived (whole or
     * in part) and no response head was written for it. Then an error may still be answered with a
     * status; otherwise the only clean end is to close.
     */
    public boolean awaitingResponse() {
        return (partial || unanswered > 0) && !responding;
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
        if (unanswered > 0) {
            // The answer deadline: an answer is owed first, so a request behind it is not the one timed out.
            long millis = TimeUnit.NANOSECONDS.toMillis(responseNanos);
            if (responding) {
                log.debug("http {}: an answer not finished within {} ms, closing", ctx.channel().remoteAddress(),
                        millis);
                ctx.close();
            } else {
                faults.warn("unanswered", "http " + ctx.channel().remoteAddress()
                        + ": a request was not answered within " + millis + " ms, answering 503");
                HttpResponses.sendError(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "request not answered in time",
                        false);
            }
            return;
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(requestNanos);
        if (partial) {
            log.debug("http {}: no complete request within {} ms, answering 408", ctx.channel().remoteAddress(),
                    millis);
            HttpResponses.sendError(ctx, HttpResponseStatus.REQUEST_TIMEOUT, "request not received in time", false);
        } else {
            log.debug("http {}: nothing within {} ms, closing", ctx.channel().remoteAddress(), millis);
            ctx.close();
        }
    }
}
