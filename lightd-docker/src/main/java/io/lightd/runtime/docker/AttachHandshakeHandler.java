package io.lightd.runtime.docker;

import io.lightd.runtime.ContainerNotFoundException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Asks the engine to hijack the connection for an attach ({@code Connection: Upgrade},
 * {@code Upgrade: tcp}) and waits for {@code 101}. Then it removes the HTTP codec and itself, so
 * the channel is a raw stream both ways, and completes {@code upgraded}. Any other answer fails
 * {@code upgraded} ({@code 404} with {@link ContainerNotFoundException}) and closes the channel; so
 * does no answer within the timeout, or a connection closed before the answer.
 *
 * <p>Bytes the engine sends right behind the 101 head pass through (the codec forwards them raw
 * once upgraded, and hands on what it still holds when removed). One instance per channel, used
 * only on its event loop.
 */
final class AttachHandshakeHandler extends ChannelInboundHandlerAdapter {

    private static final int MAX_ERROR_BODY = 2048;

    private final String uri;
    private final String hostHeader;
    private final String internalId;
    private final Duration timeout;
    private final CompletableFuture<Void> upgraded;
    private ScheduledFuture<?> timer;
    private HttpResponseStatus status;
    private final StringBuilder errorBody = new StringBuilder();

    AttachHandshakeHandler(String uri, String hostHeader, String internalId, Duration timeout,
                           CompletableFuture<Void> upgraded) {
        this.uri = uri;
        this.hostHeader = hostHeader;
        this.internalId = internalId;
        this.timeout = timeout;
        this.upgraded = upgraded;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri);
        request.headers()
                .set(HttpHeaderNames.HOST, hostHeader)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE)
                .set(HttpHeaderNames.UPGRADE, "tcp")
                .set(HttpHeaderNames.CONTENT_LENGTH, 0);
        ctx.writeAndFlush(request).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
        timer = ctx.executor().schedule(() -> fail(ctx, new TimeoutException(
                "attach to " + internalId + ": the engine did not switch protocols within " + timeout.toMillis() + " ms")),
                timeout.toMillis(), TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpResponse response) {
            status = response.status();
        }
        if (!(msg instanceof HttpContent) && !(msg instanceof HttpResponse)) {
            ctx.fireChannelRead(msg); // raw bytes behind the 101 head
            return;
        }
        try {
            if (msg instanceof HttpContent content && status != null
                    && status.code() != HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
                ByteBuf body = content.content();
                int room = MAX_ERROR_BODY - errorBody.length();
                if (room > 0) {
                    errorBody.append(body.toString(body.readerIndex(), Math.min(room, body.readableBytes()),
                            StandardCharsets.UTF_8));
                }
            }
            if (msg instanceof LastHttpContent) {
                if (status.code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
                    cancelTimer();
                    ctx.pipeline().remove(HttpClientCodec.class);
                    ctx.pipeline().remove(this);
                    upgraded.complete(null);
                } else if (status.code() == HttpResponseStatus.NOT_FOUND.code()) {
                    fail(ctx, new ContainerNotFoundException(internalId));
                } else {
                    fail(ctx, new IllegalStateException("attach to " + internalId + " failed: HTTP " + status.code()
                            + " " + errorBody.toString().trim()));
                }
            }
        } finally {
            io.netty.util.ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        fail(ctx, new IllegalStateException("attach to " + internalId
                + ": the engine closed the connection before switching protocols"));
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, new IllegalStateException("attach to " + internalId + " failed: " + cause, cause));
    }

    private void fail(ChannelHandlerContext ctx, Throwable cause) {
        cancelTimer();
        if (upgraded.completeExceptionally(cause)) {
            ctx.close();
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
