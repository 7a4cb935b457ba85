package io.lightd.server.http;

import io.lightd.server.ws.NodeStreamHandshake;
import io.lightd.server.ws.TokenHandshakeHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fork in every connection's pipeline: {@code /ws/...} requests go to the WebSocket handshake
 * guard (and this connection becomes a WebSocket), {@code /console/...} to the browser console
 * page, {@code /metrics} to the scrape, everything else to the REST routes. The node page
 * ({@code /}, {@code /node/assets/...}) and its admin stream ({@code /node/stream}, a WebSocket
 * behind its own guard) are the {@link Node} part. Shared.
 */
@ChannelHandler.Sharable
public final class RequestRouter extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(RequestRouter.class);

    private final RestHandler rest;
    private final TokenHandshakeHandler handshake;
    private final ConsolePage console;
    private final MetricsRoute metrics;
    private final Node node;

    /** The node page and the guard of its stream; both stateless and shared. */
    public record Node(NodePage page, NodeStreamHandshake stream) {
    }

    public RequestRouter(RestHandler rest, TokenHandshakeHandler handshake, ConsolePage console,
                         MetricsRoute metrics, Node node) {
        super(false);
        this.node = node;
        this.rest = rest;
        this.handshake = handshake;
        this.console = console;
        this.metrics = metrics;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (request.uri().startsWith(TokenHandshakeHandler.WS_PREFIX)) {
            ctx.pipeline().addAfter(ctx.name(), "ws-handshake", handshake);
            ctx.pipeline().remove(this);
            ctx.fireChannelRead(request);
            return;
        }
        if (NodeStreamHandshake.owns(request.uri())) {
            ctx.pipeline().addAfter(ctx.name(), "node-handshake", node.stream());
            ctx.pipeline().remove(this);
            ctx.fireChannelRead(request);
            return;
        }
        try {
            if (ConsolePage.owns(request.uri())) {
                console.serve(ctx, request);
            } else if (NodePage.owns(request.uri())) {
                node.page().serve(ctx, request);
            } else if (new QueryStringDecoder(request.uri()).rawPath().equals(MetricsRoute.PATH)) {
                metrics.handle(ctx, request);
            } else {
                rest.handle(ctx, request);
            }
        } finally {
            request.release();
        }
    }

    /**
     * A connection that fails before its request is whole (reset, closed mid-request, a bad TLS
     * handshake) is what vanished or hostile clients do: it is closed with a debug line, not a
     * stack trace per connection. Anything else is lightd's own error and is logged as one.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException || cause instanceof DecoderException) {
            log.debug("{}: closing after error: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("{}: closing after an unexpected error", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }
}
