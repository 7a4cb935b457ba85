package io.lightd.server.pipeline;

import io.lightd.server.auth.TokenStore;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.http.AttemptRefusalHandler;
import io.lightd.server.http.BadRequestHandler;
import io.lightd.server.http.BodyLimitAggregator;
import io.lightd.server.http.ExceptionResponder;
import io.lightd.server.http.RequestDeadlineHandler;
import io.lightd.server.http.RequestRouter;
import io.lightd.server.hub.ContainerManager;
import io.lightd.server.limit.ConnectionAttemptLimiter;
import io.lightd.server.logging.FaultLog;
import io.lightd.server.ws.ConsoleSessionHandler;
import io.lightd.server.ws.EventFrameCodec;
import io.lightd.server.ws.InboundRateLimiter;
import io.lightd.server.ws.LiveSessions;
import io.lightd.server.ws.NodeStream;
import io.lightd.server.ws.NodeStreamHandshake;
import io.lightd.server.ws.NodeStreamSession;
import io.lightd.server.ws.TokenHandshakeHandler;
import io.lightd.server.ws.WebSocketSession;
import io.lightd.server.ws.WebSocketUpgrade;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.ssl.SslContext;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The one place that builds every channel's pipeline: the names of lightd's handlers (each a
 * constant here, used nowhere else), the HTTP pipeline of an accepted connection, and the WebSocket
 * pipelines a console or the node stream becomes after its guard admits it. Each connection's
 * pipeline, head first (inbound reads go down this list, writes up it):
 *
 * <pre>
 * An accepted connection (REST, the pages, /metrics, and every handshake until its upgrade):
 *
 *   {@value #TLS}                 SslHandler               only with server.ssl.enabled
 *   {@value #HTTP_CODEC}                HttpServerCodec          request line and header limits of BadRequestHandler
 *   {@value #REQUEST_DEADLINE}    RequestDeadlineHandler   per connection; removes itself on a 101
 *   {@value #ATTEMPT_REFUSED}             AttemptRefusalHandler    only over the address's attempt rate: 429, and nothing below
 *   {@value #BAD_REQUEST}         BadRequestHandler        shared
 *   {@value #HTTP_AGGREGATOR}     BodyLimitAggregator      per connection
 *   {@value #ROUTER}              RequestRouter            shared; a handshake request puts its guard in its place:
 *   {@value #HANDSHAKE_GUARD}     TokenHandshakeHandler (/ws/{id}) or NodeStreamHandshake (/node/stream), shared
 *   {@value #EXCEPTION_RESPONDER} ExceptionResponder       shared
 *
 * A console after its upgrade (/ws/{id}): the guard builds its session after itself through
 * {@link #console}, removes {@value #BAD_REQUEST} and {@value #EXCEPTION_RESPONDER} (nothing
 * reaches them any more) and itself, and answers the upgrade with Netty's handshaker, which puts its
 * frame encoder and decoder in place of {@value #HTTP_CODEC} and takes out the aggregator;
 * {@value #REQUEST_DEADLINE} leaves on the 101:
 *
 *   {@value #TLS}                 SslHandler               only with server.ssl.enabled
 *   wsencoder           WebSocket13FrameEncoder  Netty's name; hubs write shared frames straight to it
 *   wsdecoder           SessionFrameDecoder      Netty's name and RFC 6455 decoder; frames at most limits.max_frame_bytes;
 *                                                refusals (1002/1009) reported to the session, which sends the close
 *   {@value #CONSOLE_SESSION}     ConsoleSessionHandler    a WebSocketSession: pings, pong timeout, expiry, slow close,
 *                                                the closing handshake, close replies, messages from fragments,
 *                                                UTF-8 (1007); then the hub, commands, power, logs
 *
 * The node stream after its upgrade (/node/stream), built by {@link #nodeStream}:
 *
 *   {@value #TLS}, wsencoder, wsdecoder (frames at most 1,024 bytes),
 *   {@value #NODE_SESSION}        NodeStreamSession        a WebSocketSession; the stream's snapshot and batches
 * </pre>
 *
 * The shared handlers and configurations are made once, here; what a connection holds of its own
 * is the per-connection handlers above and their contexts (the density figure of
 * {@code benchmarks/RESULTS.md}). Thread-safe; its methods run on the connection's event loop.
 */
public final class LightdPipeline implements WebSocketUpgrade, RequestRouter.Handoff {

    /** TLS, first of all: Netty's {@code SslHandler}, with {@code server.ssl.enabled} true. */
    public static final String TLS = "tls";
    /** HTTP/1.1 decoding and encoding: Netty's {@code HttpServerCodec}. */
    public static final String HTTP_CODEC = "http";
    /** The handshake and response deadlines and pipelined requests: {@link RequestDeadlineHandler}. */
    public static final String REQUEST_DEADLINE = "request-deadline";
    /** An address over its connection attempt rate: {@link AttemptRefusalHandler}, the last handler. */
    public static final String ATTEMPT_REFUSED = "refused";
    /** What the HTTP decoder could not read, answered 400: {@link BadRequestHandler}. */
    public static final String BAD_REQUEST = "bad-request";
    /** A request with its body, at most {@code limits.http_max_body_bytes}: {@link BodyLimitAggregator}. */
    public static final String HTTP_AGGREGATOR = "http-aggregator";
    /** The routes: {@link RequestRouter}. */
    public static final String ROUTER = "router";
    /** A handshake's guard in the router's place: {@link TokenHandshakeHandler} or {@link NodeStreamHandshake}. */
    public static final String HANDSHAKE_GUARD = "handshake-guard";
    /** Exceptions no handler took, answered and logged: {@link ExceptionResponder}. */
    public static final String EXCEPTION_RESPONDER = "exception-responder";
    /** A console session: {@link ConsoleSessionHandler}. */
    public static final String CONSOLE_SESSION = "console-session";
    /** A node stream session: {@link NodeStreamSession}. */
    public static final String NODE_SESSION = "node-session";

    /** Clients send nothing but control frames on the node stream; a larger frame closes it (1009). */
    static final int NODE_STREAM_MAX_FRAME_BYTES = 1024;

    /**
     * What the HTTP pipeline of an accepted connection is made of.
     *
     * @param tls the TLS context, or null to serve plain HTTP
     * @param attempts the per-address connection attempt rate; an address over it gets 429
     * @param router the routes (shared)
     * @param exceptionResponder the last handler (shared)
     * @param faults where the request deadline handler reports lightd's own faults (shared)
     * @param connections every accepted connection is added here, for the shutdown
     */
    public record Http(SslContext tls, ConnectionAttemptLimiter attempts, RequestRouter router,
                       ExceptionResponder exceptionResponder, FaultLog faults, ChannelGroup connections) {
    }

    private final LightdConfig.Limits limits;
    private final ContainerManager manager;
    private final LiveSessions sessions;
    private final NodeStream nodeStream;
    private final HttpDecoderConfig httpDecoder;
    private final WebSocketSession.Settings consoleSession;
    private final WebSocketSession.Settings nodeSession;
    private final EventFrameCodec eventCodec;
    private final Supplier<InboundRateLimiter> rateLimits;

    /**
     * @param limits the {@code limits} section: frame and command sizes, handshake timeout, ping,
     *               pong and slow-client settings, inbound rate
     * @param manager the hubs, for console sessions (and the metrics consoles count into)
     * @param sessions the live sessions, where every session is registered
     * @param nodeStream the node stream its connections join
     * @param clock what token expiry instants are read against
     */
    public LightdPipeline(LightdConfig.Limits limits, ContainerManager manager, LiveSessions sessions,
                          NodeStream nodeStream, Clock clock) {
        this.limits = limits;
        this.manager = manager;
        this.sessions = sessions;
        this.nodeStream = nodeStream;
        this.httpDecoder = new HttpDecoderConfig()
                .setMaxInitialLineLength(BadRequestHandler.MAX_REQUEST_LINE_BYTES)
                .setMaxHeaderSize(BadRequestHandler.MAX_HEADER_BYTES);
        // One configuration per kind of session, shared by all its connections.
        this.consoleSession = new WebSocketSession.Settings(manager.metrics(), limits.pingIntervalSeconds(),
                limits.pongTimeoutSeconds(), limits.slowClientCloseSeconds(), clock, decoder(limits.maxFrameBytes()));
        this.nodeSession = new WebSocketSession.Settings(manager.metrics(), limits.pingIntervalSeconds(),
                limits.pongTimeoutSeconds(), limits.slowClientCloseSeconds(), clock,
                decoder(NODE_STREAM_MAX_FRAME_BYTES));
        this.eventCodec = new EventFrameCodec(limits.maxCommandBytes());
        this.rateLimits = () -> new InboundRateLimiter(limits.inboundRatePerSecond(), limits.inboundBurst(),
                System::nanoTime);
    }

    /**
     * The frame decoder's configuration: frames of at most {@code maxFrameBytes}, no extensions; a
     * violation (1002, 1009) is reported to the session, which writes the one close frame and closes
     * (the decoder writing a close of its own would make two).
     */
    private static WebSocketDecoderConfig decoder(int maxFrameBytes) {
        return WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(maxFrameBytes)
                .allowExtensions(false)
                .closeOnProtocolViolation(false)
                .build();
    }

    /**
     * The initializer of every accepted connection: the HTTP pipeline drawn in the class comment.
     * Runs on the connection's event loop when it is registered.
     */
    public ChannelInitializer<Channel> initializer(Http http) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                http(ch, http);
            }
        };
    }

    /** Builds {@code ch}'s HTTP pipeline (the first of the class comment). Channel loop. */
    void http(Channel ch, Http http) {
        http.connections().add(ch);
        long retryAfter = http.attempts().acquire(ch.remoteAddress());
        ChannelPipeline p = ch.pipeline();
        if (http.tls() != null) {
            p.addLast(TLS, http.tls().newHandler(ch.alloc()));
        }
        p.addLast(HTTP_CODEC, new HttpServerCodec(httpDecoder))
                .addLast(REQUEST_DEADLINE, new RequestDeadlineHandler(limits.handshakeTimeoutSeconds(),
                        limits.responseTimeoutSeconds(), TimeUnit.SECONDS, http.faults()));
        if (retryAfter > 0) {
            p.addLast(ATTEMPT_REFUSED, new AttemptRefusalHandler(retryAfter));
            return;
        }
        p.addLast(BAD_REQUEST, BadRequestHandler.INSTANCE)
                .addLast(HTTP_AGGREGATOR, new BodyLimitAggregator(limits.httpMaxBodyBytes()))
                .addLast(ROUTER, http.router())
                .addLast(EXCEPTION_RESPONDER, http.exceptionResponder());
    }

    /** Puts {@code guard} in the router's place ({@value #HANDSHAKE_GUARD}). Channel loop. */
    @Override
    public void toGuard(ChannelHandlerContext router, ChannelHandler guard) {
        router.pipeline().addAfter(router.name(), HANDSHAKE_GUARD, guard);
        router.pipeline().remove(router.handler());
    }

    /** Builds a console's session after {@code guard} (the second drawing above). Channel loop. */
    @Override
    public WebSocketSession console(ChannelHandlerContext guard, String containerId, TokenStore.Grant grant) {
        ConsoleSessionHandler session = new ConsoleSessionHandler(consoleSession, containerId, grant, manager,
                sessions, eventCodec, rateLimits);
        leaveHttp(guard).addAfter(guard.name(), CONSOLE_SESSION, session);
        return session;
    }

    /** Builds the node stream's session after {@code guard} (the third drawing above). Channel loop. */
    @Override
    public WebSocketSession nodeStream(ChannelHandlerContext guard, TokenStore.Grant grant) {
        NodeStreamSession session = new NodeStreamSession(nodeSession, grant, nodeStream, sessions);
        leaveHttp(guard).addAfter(guard.name(), NODE_SESSION, session);
        return session;
    }

    /**
     * Takes out the HTTP handlers nothing reaches after an upgrade, so an idle session does not
     * carry their contexts: what the HTTP decoder could not read is answered before the upgrade,
     * and every exception of a session is taken by its session handler.
     */
    private static ChannelPipeline leaveHttp(ChannelHandlerContext guard) {
        ChannelPipeline p = guard.pipeline();
        if (p.get(BAD_REQUEST) != null) {
            p.remove(BAD_REQUEST);
        }
        if (p.get(EXCEPTION_RESPONDER) != null) {
            p.remove(EXCEPTION_RESPONDER);
        }
        return p;
    }
}
