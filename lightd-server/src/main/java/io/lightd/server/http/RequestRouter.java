package io.lightd.server.http;

import io.lightd.server.ws.TokenHandshakeHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;

/**
 * The fork in every connection's pipeline: {@code /ws/...} requests go to the WebSocket handshake
 * guard (and this connection becomes a WebSocket), {@code /metrics} to the scrape, everything else
 * to the REST routes. Shared.
 */
@ChannelHandler.Sharable
public final class RequestRouter extends SimpleChannelInboundHandler<FullHttpRequest> {

    private final RestHandler rest;
    private final TokenHandshakeHandler handshake;
    private final MetricsRoute metrics;

    public RequestRouter(RestHandler rest, TokenHandshakeHandler handshake, MetricsRoute metrics) {
        super(false);
        this.rest = rest;
        this.handshake = handshake;
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
        try {
            if (new QueryStringDecoder(request.uri()).rawPath().equals(MetricsRoute.PATH)) {
                metrics.handle(ctx, request);
            } else {
                rest.handle(ctx, request);
            }
        } finally {
            request.release();
        }
    }
}
