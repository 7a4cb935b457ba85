package io.lightd.server.http;

import io.lightd.server.http.message.HttpResponses;
import io.lightd.server.http.message.RequestTarget;
import io.lightd.server.ws.NodeStreamHandshake;
import io.lightd.server.ws.TokenHandshakeHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fork in every connection's pipeline. First the request-target is read and checked, once, by
 * {@link RequestTarget}: a malformed one is answered 400 with the JSON error and the connection is
 * closed, before any route sees it. Then {@code /ws/...} requests go to the WebSocket handshake
 * guard (and this connection becomes a WebSocket), {@code /console/...} to the browser console
 * page, {@code /metrics} to the scrape, everything else to the REST routes; each reads the checked
 * target with {@link RequestTarget#of}. An exception a route throws goes on down the pipeline to
 * the {@link ExceptionResponder}. The node page
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

    /**
     * The node page and the guard of its stream; both stateless and shared.
     *
     * @param page   serves {@code /} and {@code /node/assets/...}
     * @param stream the handshake guard of {@code /node/stream}
     */
    public record Node(NodePage page, NodeStreamHandshake stream) {
    }

    /**
     * Creates the router; one instance serves every connection.
     *
     * @param rest      the REST routes
     * @param handshake the guard of WebSocket upgrades to {@code /ws/{id}}
     * @param console   the browser console under {@code /console/}
     * @param metrics   the metrics route
     * @param node      the node page and its stream
     */
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
        RequestTarget.Result parsed = RequestTarget.parse(request.uri());
        if (parsed instanceof RequestTarget.Malformed malformed) {
            request.release();
            log.debug("http {}: refused with 400 ({})", ctx.channel().remoteAddress(), malformed.problem());
            HttpResponses.sendError(ctx, HttpResponseStatus.BAD_REQUEST, malformed.problem(), false);
            return;
        }
        RequestTarget target = ((RequestTarget.Valid) parsed).target();
        if (!target.originForm().equals(request.uri())) {
            request.setUri(target.originForm());
        }
        RequestTarget.attach(ctx.channel(), target);
        String path = target.rawPath();
        if (path.startsWith(TokenHandshakeHandler.WS_PREFIX)) {
            ctx.pipeline().addAfter(ctx.name(), "ws-handshake", handshake);
            ctx.pipeline().remove(this);
            ctx.fireChannelRead(request);
            return;
        }
        if (NodeStreamHandshake.owns(path)) {
            ctx.pipeline().addAfter(ctx.name(), "node-handshake", node.stream());
            ctx.pipeline().remove(this);
            ctx.fireChannelRead(request);
            return;
        }
        try {
            if (ConsolePage.owns(path)) {
                console.serve(ctx, request);
            } else if (NodePage.owns(path)) {
                node.page().serve(ctx, request);
            } else if (path.equals(MetricsRoute.PATH)) {
                metrics.handle(ctx, request);
            } else {
                rest.handle(ctx, request);
            }
        } finally {
            request.release();
        }
    }
}
