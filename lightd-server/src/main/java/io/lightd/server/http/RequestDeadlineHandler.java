package io.lightd.server.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
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
 * client is just sending would be taken as that request's answer. While a request is being
 * answered no deadline runs, and once a 101 upgrade goes out the handler leaves the pipeline
 * (WebSocket idleness is the pings' business). Sits right after the HTTP codec; one per
 * connection, confined to its event loop.
 */
public final class RequestDeadlineHandler extends ChannelDuplexHandler {

    private static final Logger log = LoggerFactory.getLogger(RequestDeadlineHandler.class);

    private final long timeoutNanos;
    private ScheduledFuture<?> deadline;
    /** A request head has arrived and its end has not. */
    private boolean partial;
    /** Complete requests not yet answered. */
    private int unanswered;

    public RequestDeadlineHandler(long timeout, TimeUnit unit) {
        this.timeoutNanos = unit.toNanos(timeout);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        arm(ctx);
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
        if (msg instanceof HttpRequest) {
            partial = true;
        }
        if (msg instanceof LastHttpContent) {
            partial = false;
            unanswered++;
            disarm();
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
        if (!(msg instanceof LastHttpContent)) {
            super.write(ctx, msg, promise);
            return;
        }
        ChannelPromise written = promise.unvoid();
        super.write(ctx, msg, written);
        written.addListener(f -> {
            unanswered = Math.max(0, unanswered - 1);
            if (unanswered == 0 && !ctx.isRemoved() && ctx.channel().isActive()) {
                arm(ctx);
            }
        });
    }

    private void arm(ChannelHandlerContext ctx) {
        disarm();
        deadline = ctx.executor().schedule(() -> expire(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void disarm() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    private void expire(ChannelHandlerContext ctx) {
        deadline = null;
        log.debug("http {}: no complete request within {} ms, closing", ctx.channel().remoteAddress(),
                TimeUnit.NANOSECONDS.toMillis(timeoutNanos));
        if (partial) {
            HttpResponses.sendError(ctx, HttpResponseStatus.REQUEST_TIMEOUT, "request not received in time", false);
        } else {
            ctx.close();
        }
    }
}
