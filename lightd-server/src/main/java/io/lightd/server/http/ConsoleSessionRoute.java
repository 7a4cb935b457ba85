package io.lightd.server.http;

import com.google.gson.JsonObject;
import io.lightd.server.auth.Authenticator;
import io.lightd.server.auth.TokenStore;
import io.lightd.server.http.message.BearerAuth;
import io.lightd.server.http.message.HttpResponses;
import io.lightd.server.limit.AuthFailureLimiter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /console/{id}/session} with {@code Authorization: Bearer <token>} (the header only: a
 * token in the address would land in logs and histories): tells the browser
 * console what its token may do there, so it shows only the controls that will work, without
 * adding anything to the WebSocket protocol. Answers 200
 * {@code {"internal_id": "...", "permissions": ["console", ...], "expires_at": "<RFC 3339>"|null}}
 * ({@code expires_at}: when the session will close with 4001, {@link TokenStore.Grant#expiresAt});
 * 401 for a missing or refused token (counted as a failed login), 403 when the token does not cover
 * the container, 429 for an address over its failed-login limit — the same checks, in the same
 * order, as the WebSocket handshake. It never uses up a single-use token. Stateless and shared.
 */
public final class ConsoleSessionRoute {

    /** The last path segment, after {@code /console/{id}}. */
    public static final String SUFFIX = "/session";
    private static final Logger log = LoggerFactory.getLogger(ConsoleSessionRoute.class);

    private final Authenticator tokens;
    private final AuthFailureLimiter failures;

    /**
     * Creates the route.
     *
     * @param tokens   checks the bearer token (without consuming a single-use one)
     * @param failures counts failed authentications per client address and blocks with 429 past its limit
     */
    public ConsoleSessionRoute(Authenticator tokens, AuthFailureLimiter failures) {
        this.tokens = tokens;
        this.failures = failures;
    }

    /** Answers for the container {@code id} (already validated); the caller releases the request. */
    void answer(ChannelHandlerContext ctx, FullHttpRequest request, String id) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        long blocked = failures.blockedSeconds(ctx.channel().remoteAddress());
        if (blocked > 0) {
            HttpResponses.sendTooManyRequests(ctx, "too many failed authentications", blocked);
            return;
        }
        Authenticator.Result result = tokens.authenticate(BearerAuth.bearerToken(request.headers()), false);
        if (!(result instanceof Authenticator.Result.Accepted accepted)) {
            failures.recordFailure(ctx.channel().remoteAddress());
            String reason = ((Authenticator.Result.Refused) result).reason();
            log.info("console session {} container {}: refused with 401 ({})", ctx.channel().remoteAddress(), id,
                    reason);
            HttpResponses.sendError(ctx, HttpResponseStatus.UNAUTHORIZED, reason.startsWith("signed token")
                    ? "invalid " + reason : "invalid or expired token", keepAlive);
            return;
        }
        TokenStore.Grant grant = accepted.grant();
        if (!grant.scope().covers(id)) {
            HttpResponses.sendError(ctx, HttpResponseStatus.FORBIDDEN, "token does not cover container " + id,
                    keepAlive);
            return;
        }
        JsonObject o = new JsonObject();
        o.addProperty("internal_id", id);
        o.add("permissions", grant.scope().permissionsJson());
        o.addProperty("expires_at", grant.expiresAt() == null ? null : grant.expiresAt().toString());
        HttpResponses.send(ctx, HttpResponseStatus.OK, o, keepAlive);
    }
}
