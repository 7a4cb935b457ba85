package io.lightd.runtime.docker;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes the body of an engine error answer (status 300 and up) away from docker-java's handlers
 * and keeps its message in the channel attribute {@link #ERROR_MESSAGE}; docker-java then sees an
 * empty body. Why: docker-java 3.5.1's {@code HttpResponseHandler} copies an error body into a
 * buffer of the default allocator (direct, off-heap) that it never releases, one leak per error
 * answer. With an empty body it copies nothing. The runtime reads the message from the attribute
 * (see {@link SharedGroupExecFactory#lastErrorMessage()}).
 *
 * <p>One instance per channel, on its event loop.
 */
final class EngineErrorBodyHandler extends ChannelInboundHandlerAdapter {

    static final AttributeKey<String> ERROR_MESSAGE = AttributeKey.valueOf(EngineErrorBodyHandler.class, "errorMessage");
    private static final int MAX_BODY = 4096;
    private static final Pattern MESSAGE = Pattern.compile("\"message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

    private StringBuilder errorBody;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpResponse response) {
            int code = response.status().code();
            errorBody = code >= 300 ? new StringBuilder() : null;
        }
        if (errorBody == null || !(msg instanceof HttpContent content)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            ByteBuf body = content.content();
            int room = MAX_BODY - errorBody.length();
            if (room > 0) {
                errorBody.append(body.toString(body.readerIndex(), Math.min(room, body.readableBytes()),
                        StandardCharsets.UTF_8));
            }
            if (content instanceof LastHttpContent) {
                ctx.channel().attr(ERROR_MESSAGE).set(message(errorBody.toString()));
                errorBody = null;
                ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /** The engine's {@code {"message": "..."}}, or the body as it is. */
    static String message(String body) {
        Matcher matcher = MESSAGE.matcher(body);
        if (matcher.find()) {
            return matcher.group(1).replace("\\\"", "\"").replace("\\n", " ").replace("\\\\", "\\").trim();
        }
        return body.trim();
    }

    /** The error message of the last error answer on {@code channel}, or null. */
    static String errorMessage(Channel channel) {
        return channel == null ? null : channel.attr(ERROR_MESSAGE).get();
    }
}
