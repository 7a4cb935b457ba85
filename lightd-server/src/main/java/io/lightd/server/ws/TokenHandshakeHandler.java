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
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.LoggerFactory;
import java.util.List;

/**
 * Guards {@code GET /ws/{id}}: the method (405), the id (400), then the checks every handshake
 * passes ({@link HandshakeGate}: handshake headers 400 or 426, origin 403, recent failed logins
 * 429, connection caps 429), then the token from {@code ?token=} or {@code Authorization: Bearer}
 * (401, counted as a failure; a master token, an issued token or a panel-signed JWT), and whether
 * that token covers this container (403), all before any upgrade. A single-use token is used up
 * only by a handshake that passes every check. On success it has the console's handlers built
 * after itself ({@link WebSocketUpgrade#console}), removes itself and answers the
 * upgrade ({@link HandshakeGuard}). Stateless and shared by all connections.
 */
@ChannelHandler.Sharable
public final class TokenHandshakeHandler extends HandshakeGuard {

    /** The path prefix of console WebSockets: {@code /ws/} followed by the container's internal id. */
    public static final String WS_PREFIX = "/ws/";
    private static final HandshakeGate.Guard GUARD = new HandshakeGate.Guard(
            LoggerFactory.getLogger(TokenHandshakeHandler.class), "ws");

    private final Authenticator tokens;
    private final ContainerManager manager;
    private final HandshakeGate gate;
    private final WebSocketUpgrade upgrade;

    /**
     * @param tokens where the presented token is checked
     * @param manager the hubs, for the container id as it is known ({@link ContainerManager#canonicalId})
     * @param gate the checks before the token, shared with the node stream's guard
     * @param upgrade builds the console's handlers once the connection is admitted
     */
    public TokenHandshakeHandler(Authenticator tokens, ContainerManager manager, HandshakeGate gate,
                                 WebSocketUpgrade upgrade) {
        this.tokens = tokens;
        this.manager = manager;
        this.gate = gate;
        this.upgrade = upgrade;
    }

    @Override
    void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        RequestTarget uri = RequestTarget.of(ctx.channel(), request);
        // The one segment after /ws/, split on the raw slashes: an escaped slash never separates.
        String id = uri.segments().size() == 2 ? uri.segments().get(1) : uri.rawPath().substring(WS_PREFIX.length());
        String subject = "container " + id;
        if (!gate.enter(ctx, request, id, InternalIds.isValid(id) ? null : InternalIds.problem(), GUARD, subject)) {
            return;
        }
        String token = presentedToken(request, uri);
        // Looked at first without using it up: a token refused for this container stays usable.
        Authenticator.Result result = tokens.authenticate(token, false);
        if (result instanceof Authenticator.Result.Accepted looked && !looked.grant().scope().covers(id)) {
            gate.refuse(ctx, request, id, false, HttpResponseStatus.FORBIDDEN, "token does not cover container " + id,
                    GUARD, subject);
            return;
        }
        if (result instanceof Authenticator.Result.Accepted) {
            result = tokens.authenticate(token, true);
        }
        if (!(result instanceof Authenticator.Result.Accepted accepted)) {
            String reason = ((Authenticator.Result.Refused) result).reason();
            gate.refuse(ctx, request, id, true, HttpResponseStatus.UNAUTHORIZED, reason.startsWith("signed token")
                    ? "invalid " + reason : "invalid or expired token", GUARD, subject);
            return;
        }
        String canonical = manager.canonicalId(id);
        WebSocketSession session = upgrade.console(ctx, canonical, accepted.grant());
        // The hub's own id string when it is the same key, so the session keeps no copy of its own.
        gate.admitted(canonical.equals(id) ? canonical : id, session);
        upgrade(ctx, request, session);
    }

    /**
     * The token a handshake presents: the {@code Authorization: Bearer} header's, else the first
     * {@code ?token=} query parameter of the checked request target; null when there is none.
     */
    static String presentedToken(FullHttpRequest request, RequestTarget uri) {
        String bearer = BearerAuth.bearerToken(request.headers());
        if (bearer != null) {
            return bearer;
        }
        List<String> query = uri.parameters().get("token");
        return query == null || query.isEmpty() ? null : query.get(0);
    }
}
