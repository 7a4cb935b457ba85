package io.lightd.runtime.docker;

import io.lightd.runtime.ContainerNotFoundException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * Reads the end of the log of a container created with a TTY ({@code GET /containers/{name}/logs}),
 * whose body the engine sends raw, not multiplexed, spoken directly on the server's loop.
 *
 * <p>Why not docker-java's logs for these: its frame decoder (3.5.1) takes the first bytes of a raw
 * stream for a frame header, and when the first chunk is shorter than a header (a first line of a
 * few bytes) it hands on the start of the header array again in place of the bytes that completed
 * it, so the log comes back altered. Containers without a TTY keep docker-java's reader.
 *
 * <p>Stateless; the read runs on one channel of the connector's group and completes from its loop.
 */
final class RawLogTail {

    private static final int MAX_ERROR_BODY = 2048;

    private RawLogTail() {
    }

    /**
     * The last {@code maxBytes} (at most) of the last {@code lines} lines of stdout and stderr. Fails
     * with {@link ContainerNotFoundException} on 404, with {@link EngineUnreachableException} when no
     * connection can be made, and with the engine's status and message otherwise.
     */
    static CompletableFuture<byte[]> read(EngineConnector connector, EngineClient engine, String containerName,
                                          String internalId, int lines, int maxBytes) {
        String uri = engine.apiPath("/containers/" + containerName + "/logs?stdout=1&stderr=1&follow=0&tail=" + lines);
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        ChannelFuture connect = connector.connect(null, null, new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpClientCodec(),
                        new Reader(uri, connector.hostHeader(), internalId, maxBytes, result));
            }
        });
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(new EngineUnreachableException(connector.dockerHost(), f.cause()));
            }
        });
        result.whenComplete((bytes, error) -> connect.channel().close());
        return result;
    }

    /** Sends the request, keeps the tail of a 200 body, and completes at its end. One per channel. */
    private static final class Reader extends SimpleChannelInboundHandler<HttpObject> {
        private final String uri;
        private final String hostHeader;
        private final String internalId;
        private final LogTailBuffer tail;
        private final CompletableFuture<byte[]> result;
        private final StringBuilder errorBody = new StringBuilder();
        private HttpResponseStatus status;

        Reader(String uri, String hostHeader, String internalId, int maxBytes, CompletableFuture<byte[]> result) {
            this.uri = uri;
            this.hostHeader = hostHeader;
            this.internalId = internalId;
            this.tail = new LogTailBuffer(maxBytes);
            this.result = result;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
            request.headers().set(HttpHeaderNames.HOST, hostHeader).set(HttpHeaderNames.CONTENT_LENGTH, 0);
            ctx.writeAndFlush(request).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
            ctx.fireChannelActive();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg instanceof HttpResponse response) {
                status = response.status();
            }
            if (msg instanceof HttpContent content && status != null) {
                ByteBuf body = content.content();
                if (status.code() == HttpResponseStatus.OK.code()) {
                    byte[] bytes = new byte[body.readableBytes()];
                    body.getBytes(body.readerIndex(), bytes);
                    if (bytes.length > 0) {
                        tail.add(bytes);
                    }
                } else if (errorBody.length() < MAX_ERROR_BODY) {
                    int n = Math.min(MAX_ERROR_BODY - errorBody.length(), body.readableBytes());
                    errorBody.append(body.toString(body.readerIndex(), n, StandardCharsets.UTF_8));
                }
            }
            if (msg instanceof LastHttpContent && status != null) {
                if (status.code() == HttpResponseStatus.OK.code()) {
                    result.complete(tail.toByteArray());
                } else if (status.code() == HttpResponseStatus.NOT_FOUND.code()) {
                    result.completeExceptionally(new ContainerNotFoundException(internalId));
                } else {
                    result.completeExceptionally(new IllegalStateException("logs of " + internalId + " failed: HTTP "
                            + status.code() + " " + errorBody.toString().trim()));
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            result.completeExceptionally(new IllegalStateException("logs of " + internalId
                    + ": the engine closed the connection before the end of the answer"));
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            result.completeExceptionally(new IllegalStateException("logs of " + internalId + " failed: " + cause, cause));
            ctx.close();
        }
    }
}
