package io.lightd.server.http.message;

import io.lightd.server.auth.Authenticator;
import io.lightd.server.limit.AuthFailureLimiter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * The token check of every HTTP route that takes one (REST, the metrics scrape): an address over
 * its failed-login limit gets 429 before its token is looked at, a missing or wrong token is 401
 * and counts as a failure. One place, so no route can check tokens without counting guesses.
 *
 * <p>These routes are the node's admin surface: only the master token passes. A valid console
 * token (issued by {@code POST /auth/tokens} or signed by a panel) gets 403 and is not used up.
 */
public final class BearerAuth {

    /** The refusal text for a valid console token on an admin route. */
    public static final String CONSOLE_TOKEN_REFUSED =
            "this is a console token: it opens /ws/{id} only; this route needs the master token";

    private final Authenticator tokens;
    private final AuthFailureLimiter failures;

    /**
     * Creates the guard of the admin routes.
     *
     * @param tokens   checks presented tokens (never consuming a single-use one here)
     * @param failures counts failed authentications per client address and blocks with 429 past its limit
     */
    public BearerAuth(Authenticator tokens, AuthFailureLimiter failures) {
        this.tokens = tokens;
        this.failures = failures;
    }

    /**
     * True when the request may go on; otherwise the refusal (429, 401 or 403 with a JSON
     * {@code {"error": "..."}} body) has been written to {@code ctx}. Runs on the channel's event loop.
     */
    public boolean admit(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive) {
        long blocked = failures.blockedSeconds(ctx.channel().remoteAddress());
        if (blocked > 0) {
            HttpResponses.sendTooManyRequests(ctx, "too many failed authentications", blocked);
            return false;
        }
        String token = bearerToken(request.headers());
        Authenticator.Result result = tokens.authenticate(token, false);
        if (!(result instanceof Authenticator.Result.Accepted accepted)) {
            failures.recordFailure(ctx.channel().remoteAddress());
            HttpResponses.sendError(ctx, HttpResponseStatus.UNAUTHORIZED, "missing or invalid token", keepAlive);
            return false;
        }
        if (!accepted.grant().isMaster()) {
            HttpResponses.sendError(ctx, HttpResponseStatus.FORBIDDEN, CONSOLE_TOKEN_REFUSED, keepAlive);
            return false;
        }
        return true;
    }

    /**
     * The token of an {@code Authorization: Bearer} header.
     *
     * @param headers the request's headers
     * @return the text after {@code Bearer } (scheme matched case-insensitively), trimmed; null when
     *         there is no {@code Authorization} header or it is not a bearer one
     */
    public static String bearerToken(HttpHeaders headers) {
        String header = headers.get(HttpHeaderNames.AUTHORIZATION);
        return header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : null;
    }
}
