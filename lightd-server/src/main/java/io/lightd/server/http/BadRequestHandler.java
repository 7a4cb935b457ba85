package io.lightd.server.http;

import io.lightd.server.http.message.HttpResponses;
import io.lightd.server.http.message.RequestTarget;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers what the HTTP decoder could not read, and request heads no route can serve (an HTTP
 * version other than 1.x: 505; a malformed request-target: 400, checked as the head arrives, before
 * any body or {@code 100 Continue}), with the fitting status and a JSON error, then closes the
 * connection: a request line over {@link #MAX_REQUEST_LINE_BYTES} is 414, headers over
 * {@link #MAX_HEADER_BYTES} are 431, anything else malformed is 400. (After a failure the decoder
 * discards the rest of the connection's input, so nothing follows.) Sits between the HTTP codec
 * and the aggregator. Stateless and shared.
 */
@ChannelHandler.Sharable
public final class BadRequestHandler extends ChannelInboundHandlerAdapter {

    /** The longest request line the HTTP decoder reads, in bytes (its {@code maxInitialLineLength}); longer is 414. */
    public static final int MAX_REQUEST_LINE_BYTES = 4096;
    /** The most header bytes the HTTP decoder reads (its {@code maxHeaderSize}); more is 431. */
    public static final int MAX_HEADER_BYTES = 8192;
    /** The one instance, shared by every channel. */
    public static final BadRequestHandler INSTANCE = new BadRequestHandler();
    private static final Logger log = LoggerFactory.getLogger(BadRequestHandler.class);

    private BadRequestHandler() {
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DecoderResultProvider provider) || provider.decoderResult().isSuccess()) {
            if (msg instanceof HttpRequest head && refusedHead(ctx, head)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            ctx.fireChannelRead(msg);
            return;
        }
        Throwable cause = provider.decoderResult().cause();
        ReferenceCountUtil.release(msg);
        log.debug("http {}: unreadable request: {}", ctx.channel().remoteAddress(), cause.toString());
        if (cause instanceof TooLongHttpLineException) {
            HttpResponses.sendError(ctx, HttpResponseStatus.REQUEST_URI_TOO_LONG,
                    "request line longer than " + MAX_REQUEST_LINE_BYTES + " bytes", false);
        } else if (cause instanceof TooLongHttpHeaderException) {
            HttpResponses.sendError(ctx, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "request headers larger than " + MAX_HEADER_BYTES + " bytes", false);
        } else {
            HttpResponses.sendError(ctx, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request", false);
        }
    }

    /**
     * Answers a request head that no route can serve, before the aggregator waits for its body or
     * answers its {@code Expect: 100-continue}: an HTTP version other than 1.0 and 1.1 is 505, a
     * malformed request-target ({@link RequestTarget#parse}, the router's own check) is 400. The
     * answer closes the connection, so the body that may follow is never read.
     */
    private static boolean refusedHead(ChannelHandlerContext ctx, HttpRequest head) {
        HttpVersion version = head.protocolVersion();
        if (version.majorVersion() != 1 || version.minorVersion() > 1) {
            log.debug("http {}: refused with 505 ({})", ctx.channel().remoteAddress(), version);
            HttpResponses.sendError(ctx, HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
                    "HTTP version not supported; use HTTP/1.1", false);
            return true;
        }
        if (RequestTarget.parse(head.uri()) instanceof RequestTarget.Malformed malformed) {
            log.debug("http {}: refused with 400 ({})", ctx.channel().remoteAddress(), malformed.problem());
            HttpResponses.sendError(ctx, HttpResponseStatus.BAD_REQUEST, malformed.problem(), false);
            return true;
        }
        return false;
    }
}
