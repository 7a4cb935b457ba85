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
    private final Handoff handoff;

    /**
     * How the router hands a WebSocket handshake request on to its guard: puts {@code guard} right
     * after the router in the connection's pipeline and takes the router out, so the request read
     * next from the router's context reaches the guard. Implemented where every pipeline is built
     * ({@code io.lightd.server.pipeline.LightdPipeline}). Channel loop.
     */
    @FunctionalInterface
    public interface Handoff {

        /**
         * @param router the router's context in the connection's pipeline
         * @param guard the shared handshake guard of the requested path
         */
        void toGuard(ChannelHandlerContext router, ChannelHandler guard);
    }

    /**
     * The node page and the guard of its stream; both stateless and shared.
     *
     * @param page   serves {@code /} and {@code /node/assets/...}
     * @param stream the handshake guard of {@code /node/stream}
     */
    public record Node(NodePage page, NodeStreamHandshake stream) {
    }

    /**
     * @param rest the REST routes, for every path no other route owns
     * @param handshake the guard of {@code /ws/{id}}
     * @param console the browser console page ({@code /console/...})
     * @param metrics the scrape ({@code /metrics})
     * @param node the node page and the guard of its stream
     * @param handoff puts a guard in the router's place for a handshake request
     */
    public RequestRouter(RestHandler rest, TokenHandshakeHandler handshake, ConsolePage console,
                         MetricsRoute metrics, Node node, Handoff handoff) {
        super(false);
        this.handoff = handoff;
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
            handoff.toGuard(ctx, handshake);
            ctx.fireChannelRead(request);
            return;
        }
        if (NodeStreamHandshake.owns(path)) {
            handoff.toGuard(ctx, node.stream());
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
