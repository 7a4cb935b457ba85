package io.lightd.server.http.message;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** JSON responses, the {@code {"error": "..."}} shape of every HTTP error, and the one way a response is written. */
public final class HttpResponses {

    private HttpResponses() {
    }

    /**
     * The body of every HTTP error.
     *
     * @param message the user-facing text, short and specific (e.g. {@code unknown container})
     * @return a new {@code {"error": message}}
     */
    public static JsonObject error(String message) {
        JsonObject o = new JsonObject();
        o.addProperty("error", message);
        return o;
    }

    /**
     * The body of an answer that only confirms something.
     *
     * @param message the text, e.g. {@code Container creation started}
     * @return a new {@code {"message": message}}
     */
    public static JsonObject message(String message) {
        JsonObject o = new JsonObject();
        o.addProperty("message", message);
        return o;
    }

    /**
     * A JSON response, marked {@code Connection: close} unless {@code keepAlive}. Any thread.
     *
     * @param status    the HTTP status
     * @param body      the JSON body, serialized compactly as UTF-8 with {@code Content-Type:
     *                  application/json} and {@code Content-Length}
     * @param keepAlive whether the connection may stay open after it
     * @return a new HTTP/1.1 response owning an unpooled buffer; whoever does not write it releases it
     */
    public static FullHttpResponse response(HttpResponseStatus status, JsonElement body, boolean keepAlive) {
        byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(bytes));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }

    /**
     * Writes a JSON response; closes the connection after it unless {@code keepAlive} (an error
     * always closes it, as {@link #write} says). On the channel's event loop.
     *
     * @param ctx       the handler context to write through
     * @param status    the HTTP status
     * @param body      the JSON body
     * @param keepAlive whether the connection may stay open after a success
     * @return the future of the write
     */
    public static ChannelFuture send(ChannelHandlerContext ctx, HttpResponseStatus status, JsonElement body,
                                     boolean keepAlive) {
        return write(ctx, response(status, body, keepAlive), keepAlive);
    }

    /**
     * Writes a complete response; closes the connection after it unless {@code keepAlive}. An error
     * (4xx, 5xx) always closes it: a client whose request was refused starts again on a fresh
     * connection, so nothing it sent after the refused request is ever read. On the channel's event
     * loop.
     *
     * @param ctx       the handler context to write through
     * @param response  the response; ownership passes to the write
     * @param keepAlive whether the connection may stay open after a success (status below 400)
     * @return the future of the write; the close, when there is one, follows its completion
     */
    public static ChannelFuture write(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        keepAlive &= response.status().code() < 400;
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ChannelFuture f = ctx.writeAndFlush(response);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
        return f;
    }

    /**
     * A 429 with {@code Retry-After}, then the connection is closed. On the channel's event loop.
     *
     * @param ctx               the handler context to write through
     * @param message           the error text for the {@code {"error": ...}} body
     * @param retryAfterSeconds the {@code Retry-After} value, in whole seconds
     * @return the future of the write
     */
    public static ChannelFuture sendTooManyRequests(ChannelHandlerContext ctx, String message, long retryAfterSeconds) {
        FullHttpResponse response = response(HttpResponseStatus.TOO_MANY_REQUESTS, error(message), false);
        response.headers().set(HttpHeaderNames.RETRY_AFTER, retryAfterSeconds);
        return write(ctx, response, false);
    }

    /**
     * Writes a {@code {"error": message}} response; an error status always closes the connection
     * ({@link #write}). On the channel's event loop.
     *
     * @param ctx       the handler context to write through
     * @param status    the HTTP status
     * @param message   the user-facing error text
     * @param keepAlive whether the connection may stay open (only honoured below status 400)
     * @return the future of the write
     */
    public static ChannelFuture sendError(ChannelHandlerContext ctx, HttpResponseStatus status, String message,
                                          boolean keepAlive) {
        return send(ctx, status, error(message), keepAlive);
    }
}
