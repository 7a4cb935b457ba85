package io.lightd.server.http;

import io.lightd.server.http.message.HttpResponses;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole application side of a connection refused by the per-IP connection attempt limit: the
 * first request is answered 429 with {@code Retry-After}, without being routed or aggregated, and
 * the connection is closed. One per refused connection.
 */
public final class AttemptRefusalHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(AttemptRefusalHandler.class);

    private final long retryAfterSeconds;
    private boolean answered;

    /**
     * Creates the handler of one refused connection.
     *
     * @param retryAfterSeconds the {@code Retry-After} value, in whole seconds: when the client's
     *                          address may connect again (from the connection attempt limiter)
     */
    public AttemptRefusalHandler(long retryAfterSeconds) {
        this.retryAfterSeconds = retryAfterSeconds;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
        if (msg instanceof HttpRequest && !answered) {
            answered = true;
            HttpResponses.sendTooManyRequests(ctx, "too many connection attempts", retryAfterSeconds);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("http {}: closing refused connection after error: {}", ctx.channel().remoteAddress(),
                cause.toString());
        ctx.close();
    }
}
