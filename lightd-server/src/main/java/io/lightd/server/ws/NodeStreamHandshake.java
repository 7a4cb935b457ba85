package io.lightd.server.ws;

import io.lightd.server.auth.Authenticator;
import io.lightd.server.auth.TokenStore;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.http.message.HttpResponses;
import io.lightd.server.http.message.RequestTarget;
import io.lightd.server.limit.AuthFailureLimiter;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.LoggerFactory;

/**
 * Guards {@code GET /node/stream}, the admin node stream: the checks every handshake passes
 * ({@link HandshakeGate}: method 405, handshake headers 400 or 426, origin 403, recent failed
 * logins 429, connection caps 429; the node streams count as connections, and as many of them are
 * allowed as consoles of one container), then the token from {@code ?token=} or
 * {@code Authorization: Bearer}: none or a wrong one is 401 (counted as a failure), a console token
 * 403, for the stream shows every server of the node. All before any upgrade. On success it has
 * the stream's handlers built after itself ({@link WebSocketUpgrade#nodeStream}), removes itself
 * and answers the upgrade ({@link HandshakeGuard}). Stateless and shared.
 */
@ChannelHandler.Sharable
public final class NodeStreamHandshake extends HandshakeGuard {

    /** The node stream's path; a query ({@code ?token=}) may follow. */
    public static final String PATH = "/node/stream";
    /** The key the node streams are counted under in the per-container cap; never a valid internal id. */
    static final String CAP_KEY = PATH;
    private static final HandshakeGate.Guard GUARD = new HandshakeGate.Guard(
            LoggerFactory.getLogger(NodeStreamHandshake.class), "node stream");

    private final Authenticator authenticator;
    private final HandshakeGate gate;
    private final WebSocketUpgrade upgrade;

    /**
     * @param authenticator where the presented token is checked (only the master token is admitted;
     *                      a single-use console token is not used up here)
     * @param gate the checks before the token, shared with the consoles' guard
     * @param upgrade builds the stream's handlers once the connection is admitted
     */
    public NodeStreamHandshake(Authenticator authenticator, HandshakeGate gate, WebSocketUpgrade upgrade) {
        this.authenticator = authenticator;
        this.gate = gate;
        this.upgrade = upgrade;
    }

    /** True for the requests this handler takes: {@code path}, the checked raw path of the request target, is {@link #PATH}. */
    public static boolean owns(String path) {
        return path.equals(PATH);
    }

    @Override
    void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        RequestTarget uri = RequestTarget.of(ctx.channel(), request);
        if (!gate.enter(ctx, request, CAP_KEY, null, GUARD, null)) {
            return;
        }
        Authenticator.Result result = authenticator.authenticate(TokenHandshakeHandler.presentedToken(request, uri), false);
        if (!(result instanceof Authenticator.Result.Accepted accepted)) {
            gate.refuse(ctx, request, CAP_KEY, true, HttpResponseStatus.UNAUTHORIZED, "invalid or expired token",
                    GUARD, null);
            return;
        }
        if (!accepted.grant().isMaster()) {
            gate.refuse(ctx, request, CAP_KEY, false, HttpResponseStatus.FORBIDDEN,
                    "the node stream needs the master token", GUARD, null);
            return;
        }
        WebSocketSession session = upgrade.nodeStream(ctx, accepted.grant());
        gate.admitted(CAP_KEY, session);
        upgrade(ctx, request, session);
    }
}
