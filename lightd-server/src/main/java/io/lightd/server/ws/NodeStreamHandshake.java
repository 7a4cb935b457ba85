package io.lightd.server.ws;

import io.lightd.server.auth.Authenticator;
import io.lightd.server.auth.TokenStore;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.http.message.HttpResponses;
import io.lightd.server.http.message.RequestTarget;
import io.lightd.server.limit.AuthFailureLimiter;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guards {@code GET /node/stream}, the admin node stream: the handshake headers (400, or 426 for a
 * version other than 13; the same check as {@code /ws/{id}}'s, {@link HandshakeHeaders}), the browser origin (403), the caller's
 * recent failed authentications (429), the connection caps (429; the node streams count as
 * connections, and as many of them are allowed as consoles of one container), and the token from
 * {@code ?token=} or {@code Authorization: Bearer}: none or a wrong one is 401 (counted as a
 * failure), a console token 403, for the stream shows every server of the node. All before any
 * upgrade. On success it builds the WebSocket part of the pipeline ({@link NodeStreamSession}
 * last) and hands the request on for the upgrade. Stateless and shared.
 */
@ChannelHandler.Sharable
public final class NodeStreamHandshake extends SimpleChannelInboundHandler<FullHttpRequest> {

    /** The node stream's path; a query ({@code ?token=}) may follow. */
    public static final String PATH = "/node/stream";
    /** The key the node streams are counted under in the per-container cap; never a valid internal id. */
    static final String CAP_KEY = PATH;
    private static final Logger log = LoggerFactory.getLogger(NodeStreamHandshake.class);
    /** Clients send nothing but control frames here; anything larger than this closes the connection. */
    private static final int MAX_INBOUND_FRAME_BYTES = 1024;

    private final Authenticator authenticator;
    private final ConnectionLimiter limiter;
    private final LiveSessions sessions;
    private final AuthFailureLimiter authFailures;
    private final NodeStream stream;
    private final LightdConfig.Limits limits;
    private final List<String> allowedOrigins;

    /**
     * @param authenticator where the presented token is checked (only the master token is admitted;
     *                      a single-use console token is not used up here)
     * @param limiter the WebSocket connection caps, shared with the console sessions
     * @param sessions the live sessions, where an admitted stream is registered under the token's hash
     * @param authFailures the per-address count of failed logins, shared with REST and the consoles
     * @param stream the node stream an admitted connection joins
     * @param config origins, handshake timeout, ping and slow-client settings
     */
    public NodeStreamHandshake(Authenticator authenticator, ConnectionLimiter limiter, LiveSessions sessions,
                               AuthFailureLimiter authFailures, NodeStream stream, LightdConfig config) {
        super(false);
        this.authenticator = authenticator;
        this.limiter = limiter;
        this.sessions = sessions;
        this.authFailures = authFailures;
        this.stream = stream;
        this.limits = config.limits();
        this.allowedOrigins = config.allowedOrigins();
    }

    /** True for the requests this handler takes: {@code path}, the checked raw path of the request target, is {@link #PATH}. */
    public static boolean owns(String path) {
        return path.equals(PATH);
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
        if (!HttpMethod.GET.equals(request.method())) {
            reject(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "use GET to open a WebSocket");
            return;
        }
        HandshakeHeaders.Refusal notHandshake = HandshakeHeaders.check(request.headers());
        if (notHandshake != null) {
            request.release();
            log.info("node stream {}: refused with {} ({})", ctx.channel().remoteAddress(),
                    notHandshake.status().code(), notHandshake.message());
            notHandshake.send(ctx);
            return;
        }
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (origin != null && !allowedOrigins.isEmpty() && !allowedOrigins.contains(origin)) {
            reject(ctx, request, HttpResponseStatus.FORBIDDEN, "origin not allowed");
            return;
        }
        long blocked = authFailures.blockedSeconds(ctx.channel().remoteAddress());
        if (blocked > 0) {
            request.release();
            HttpResponses.sendTooManyRequests(ctx, "too many failed authentications", blocked);
            return;
        }
        if (!limiter.tryAcquire(CAP_KEY)) {
            reject(ctx, request, HttpResponseStatus.TOO_MANY_REQUESTS, "too many connections");
            return;
        }
        Authenticator.Result result = authenticator.authenticate(TokenHandshakeHandler.presentedToken(request, uri), false);
        if (!(result instanceof Authenticator.Result.Accepted accepted)) {
            limiter.release(CAP_KEY);
            authFailures.recordFailure(ctx.channel().remoteAddress());
            reject(ctx, request, HttpResponseStatus.UNAUTHORIZED, "invalid or expired token");
            return;
        }
        if (!accepted.grant().isMaster()) {
            limiter.release(CAP_KEY);
            reject(ctx, request, HttpResponseStatus.FORBIDDEN, "the node stream needs the master token");
            return;
        }
        ctx.channel().closeFuture().addListener(f -> limiter.release(CAP_KEY));
        install(ctx.pipeline(), ctx.name(), accepted.grant());
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(request);
    }

    private void install(ChannelPipeline pipeline, String after, TokenStore.Grant grant) {
        WebSocketServerProtocolConfig config = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(PATH)
                .checkStartsWith(true)
                .handleCloseFrames(true)
                .dropPongFrames(true)
                .handshakeTimeoutMillis(TimeUnit.SECONDS.toMillis(limits.handshakeTimeoutSeconds()))
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(MAX_INBOUND_FRAME_BYTES)
                        .allowExtensions(false)
                        .closeOnProtocolViolation(true)
                        .build())
                .build();
        pipeline.addAfter(after, "idle", new IdleStateHandler(limits.pingIntervalSeconds(), 0, 0, TimeUnit.SECONDS));
        pipeline.addAfter("idle", "ping-responder", new PingResponder(stream.metrics()));
        pipeline.addAfter("ping-responder", "close-reply", CloseReplyGuard.INSTANCE);
        pipeline.addAfter("close-reply", "ws-protocol", new WebSocketServerProtocolHandler(config));
        pipeline.addAfter("ws-protocol", "node-session", new NodeStreamSession(grant, stream, sessions,
                limits.pingIntervalSeconds(), limits.pongTimeoutSeconds(), limits.slowClientCloseSeconds()));
    }

    private static void reject(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                               String message) {
        request.release();
        log.info("node stream {}: refused with {} ({})", ctx.channel().remoteAddress(), status.code(), message);
        HttpResponses.sendError(ctx, status, message, false);
    }
}
