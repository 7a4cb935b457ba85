package io.lightd.server.http;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers what the HTTP decoder could not read, with the fitting status and a JSON error, then
 * closes the connection: a request line over {@link #MAX_REQUEST_LINE_BYTES} is 414, headers over
 * {@link #MAX_HEADER_BYTES} are 431, anything else malformed is 400. (After a failure the decoder
 * discards the rest of the connection's input, so nothing follows.) Sits between the HTTP codec
 * and the aggregator. Stateless and shared.
 */
@ChannelHandler.Sharable
public final class BadRequestHandler extends ChannelInboundHandlerAdapter {

    public static final int MAX_REQUEST_LINE_BYTES = 4096;
    public static final int MAX_HEADER_BYTES = 8192;
    public static final BadRequestHandler INSTANCE = new BadRequestHandler();
    private static final Logger log = LoggerFactory.getLogger(BadRequestHandler.class);

    private BadRequestHandler() {
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DecoderResultProvider provider) || provider.decoderResult().isSuccess()) {
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
}
