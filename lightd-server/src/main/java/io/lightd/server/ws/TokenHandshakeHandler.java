package io.lightd.server.ws;

import io.lightd.server.auth.Authenticator;
import io.lightd.server.auth.TokenStore;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.http.message.BearerAuth;
import io.lightd.server.http.message.HttpResponses;
import io.lightd.server.http.message.RequestTarget;
import io.lightd.server.hub.ContainerManager;
import io.lightd.server.limit.AuthFailureLimiter;
import io.lightd.server.record.InternalIds;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guards {@code GET /ws/{id}}: validates the id (400), the handshake headers (400, or 426 for a
 * version other than 13), the browser origin (403), the caller's
 * recent failed authentications (429), the connection caps (429) and the token from
 * {@code ?token=} or {@code Authorization: Bearer} (401, counted as a failure; a master token,
 * an issued token or a panel-signed JWT), and whether that token covers this container (403), all
 * before any upgrade. A single-use token is used up only by a handshake that passes every check. On success it builds the WebSocket part of this connection's pipeline and
 * hands the request on for the upgrade. Stateless and shared by all connections.
 */
@ChannelHandler.Sharable
public final class TokenHandshakeHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    public static final String WS_PREFIX = "/ws/";
    /** The pipeline name of {@link io.lightd.server.http.BadRequestHandler}, which the upgrade removes. */
    static final String BAD_REQUEST_NAME = "bad-request";
    private static final Logger log = LoggerFactory.getLogger(TokenHandshakeHandler.class);

    private final Authenticator tokens;
    private final ContainerManager manager;
    private final ConnectionLimiter limiter;
    private final LiveSessions sessions;
    private final AuthFailureLimiter authFailures;
    private final LightdConfig.Limits limits;
    private final List<String> allowedOrigins;
    private final Clock clock;
    /**
     * One protocol configuration for every console: it names the path prefix ({@code /ws}, matched
     * as a prefix) rather than each connection's own path, so an idle connection does not carry a
     * configuration, a decoder configuration and a path string of its own.
     */
    private final WebSocketServerProtocolConfig protocolConfig;

    public TokenHandshakeHandler(Authenticator tokens, ContainerManager manager, ConnectionLimiter limiter,
                                 LiveSessions sessions, AuthFailureLimiter authFailures, LightdConfig config,
                                 Clock clock) {
        super(false);
        this.tokens = tokens;
        this.manager = manager;
        this.limiter = limiter;
        this.sessions = sessions;
        this.authFailures = authFailures;
        this.limits = config.limits();
        this.allowedOrigins = config.allowedOrigins();
        this.clock = clock;
        this.protocolConfig = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(WS_PREFIX.substring(0, WS_PREFIX.length() - 1))
                .checkStartsWith(true)
                .handleCloseFrames(true)
                .dropPongFrames(true)
                .handshakeTimeoutMillis(TimeUnit.SECONDS.toMillis(limits.handshakeTimeoutSeconds()))
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(limits.maxFrameBytes())
                        .allowExtensions(false)
                        .closeOnProtocolViolation(true)
                        .build())
                .build();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        try {
            handle(ctx, request);
        } catch (RuntimeException e) {
            request.release();
            throw e;
        }
    }

    private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        RequestTarget uri = RequestTarget.of(ctx.channel(), request);
        // The one segment after /ws/, split on the raw slashes: an escaped slash never separates.
        String id = uri.segments().size() == 2 ? uri.segments().get(1) : uri.rawPath().substring(WS_PREFIX.length());
        if (!HttpMethod.GET.equals(request.method())) {
            reject(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "use GET to open a WebSocket", id);
            return;
        }
        if (!InternalIds.isValid(id)) {
            reject(ctx, request, HttpResponseStatus.BAD_REQUEST, InternalIds.problem(), "(invalid)");
            return;
        }
        HandshakeHeaders.Refusal notHandshake = HandshakeHeaders.check(request.headers());
        if (notHandshake != null) {
            request.release();
            log.info("ws {} container {}: refused with {} ({})", ctx.channel().remoteAddress(), id,
                    notHandshake.status().code(), notHandshake.message());
            notHandshake.send(ctx);
            return;
        }
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (origin != null && !allowedOrigins.isEmpty() && !allowedOrigins.contains(origin)) {
            reject(ctx, request, HttpResponseStatus.FORBIDDEN, "origin not allowed", id);
            return;
        }
        long blocked = authFailures.blockedSeconds(ctx.channel().remoteAddress());
        if (blocked > 0) {
            // Not logged per attempt: the limiter logs the episode once.
            request.release();
            HttpResponses.sendTooManyRequests(ctx, "too many failed authentications", blocked);
            return;
        }
        if (!limiter.tryAcquire(id)) {
            reject(ctx, request, HttpResponseStatus.TOO_MANY_REQUESTS, "too many connections", id);
            return;
        }
        String token = presentedToken(request, uri);
        // Looked at first without using it up: a token refused for this container stays usable.
        Authenticator.Result result = tokens.authenticate(token, false);
        if (result instanceof Authenticator.Result.Accepted looked && !looked.grant().scope().covers(id)) {
            limiter.release(id);
            reject(ctx, request, HttpResponseStatus.FORBIDDEN, "token does not cover container " + id, id);
            return;
        }
        if (result instanceof Authenticator.Result.Accepted) {
            result = tokens.authenticate(token, true);
        }
        if (!(result instanceof Authenticator.Result.Accepted accepted)) {
            limiter.release(id);
            authFailures.recordFailure(ctx.channel().remoteAddress());
            String reason = ((Authenticator.Result.Refused) result).reason();
            reject(ctx, request, HttpResponseStatus.UNAUTHORIZED, reason.startsWith("signed token")
                    ? "invalid " + reason : "invalid or expired token", id);
            return;
        }
        ctx.channel().closeFuture().addListener(f -> limiter.release(id));
        installWebSocket(ctx.pipeline(), ctx.name(), manager.canonicalId(id), accepted.grant());
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(request);
    }

    private void installWebSocket(ChannelPipeline pipeline, String after, String id, TokenStore.Grant grant) {
        // What the HTTP decoder could not read is answered before an upgrade; after it, WebSocket
        // frames would only pass through, and every idle console would carry its context.
        if (pipeline.get(BAD_REQUEST_NAME) != null) {
            pipeline.remove(BAD_REQUEST_NAME);
        }
        InboundRateLimiter rateLimiter = new InboundRateLimiter(limits.inboundRatePerSecond(), limits.inboundBurst(),
                System::nanoTime);
        pipeline.addAfter(after, "idle", new IdleStateHandler(limits.pingIntervalSeconds(), 0, 0, TimeUnit.SECONDS));
        pipeline.addAfter("idle", "ping-responder", new PingResponder(manager.metrics()));
        pipeline.addAfter("ping-responder", "close-reply", CloseReplyGuard.INSTANCE);
        pipeline.addAfter("close-reply", "ws-protocol", new WebSocketServerProtocolHandler(protocolConfig));
        pipeline.addAfter("ws-protocol", "ws-aggregator", new WebSocketFrameAggregator(limits.maxFrameBytes()));
        pipeline.addAfter("ws-aggregator", "event-codec", new EventFrameCodec(limits.maxCommandBytes()));
        pipeline.addAfter("event-codec", "console-session", new ConsoleSessionHandler(id, grant, manager, sessions,
                clock, rateLimiter, limits.pingIntervalSeconds(), limits.pongTimeoutSeconds(),
                limits.slowClientCloseSeconds()));
    }

    static String presentedToken(FullHttpRequest request, RequestTarget uri) {
        String bearer = BearerAuth.bearerToken(request.headers());
        if (bearer != null) {
            return bearer;
        }
        List<String> query = uri.parameters().get("token");
        return query == null || query.isEmpty() ? null : query.get(0);
    }

    private static void reject(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                               String message, String id) {
        request.release();
        log.info("ws {} container {}: refused with {} ({})", ctx.channel().remoteAddress(), id, status.code(), message);
        HttpResponses.sendError(ctx, status, message, false);
    }
}
