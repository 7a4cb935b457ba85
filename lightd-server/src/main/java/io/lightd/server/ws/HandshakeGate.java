package io.lightd.server.ws;

import io.lightd.server.http.message.HttpResponses;
import io.lightd.server.limit.AuthFailureLimiter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import org.slf4j.Logger;

/**
 * The checks every WebSocket handshake passes before its token is looked at, in this order, and the
 * refusals that go with them: the method (405 unless {@code GET}), the handshake headers (400, or
 * 426 for a version other than 13; {@link HandshakeHeaders}), the browser origin against
 * {@code allowed_origins} (403), the caller's recent failed authentications (429 with
 * {@code Retry-After}; {@link AuthFailureLimiter}) and the connection caps (429;
 * {@link ConnectionLimiter}). Shared by {@link TokenHandshakeHandler} ({@code /ws/{id}}) and
 * {@link NodeStreamHandshake} ({@code /node/stream}); every refusal is a status with a JSON
 * {@code {"error": "..."}} body, logged at INFO by the guard's own logger as
 * {@code <label> <address>: refused with <status> (<error>)} (the failed-login block is logged once
 * per episode by the limiter instead). Thread-safe and shared by all connections.
 */
public final class HandshakeGate {

    /**
     * Who refuses, for the log.
     *
     * @param log the guard's logger, which every refusal line is written to
     * @param label how the line names the connection, such as {@code "ws"} or {@code "node stream"}
     */
    public record Guard(Logger log, String label) {
    }

    private final ConnectionLimiter limiter;
    private final AuthFailureLimiter authFailures;
    private final List<String> allowedOrigins;

    /**
     * @param limiter the WebSocket connection caps (node-wide and per key)
     * @param authFailures the per-address count of failed logins, shared with REST
     * @param allowedOrigins {@code allowed_origins}: the {@code Origin} values a browser may open a
     *                       WebSocket from; empty allows every origin
     */
    public HandshakeGate(ConnectionLimiter limiter, AuthFailureLimiter authFailures, List<String> allowedOrigins) {
        this.limiter = limiter;
        this.authFailures = authFailures;
        this.allowedOrigins = List.copyOf(allowedOrigins);
    }

    /**
     * Runs the checks before the token on {@code request}; on a refusal answers it, releases the
     * request and returns false. {@code badTarget}, when not null, is the 400 error for a request
     * target the guard cannot serve (an invalid container id), checked right after the method. On
     * success a place under the caps is taken for {@code capKey} (a container id, or the node
     * stream's key): the caller either {@link #admitted admits} the connection or gives the place
     * back through {@link #refuse}. Channel loop.
     *
     * @param guard who refuses, for the log
     * @param subject what the log adds after the address, such as {@code "container c-1"}; null for nothing
     */
    public boolean enter(ChannelHandlerContext ctx, FullHttpRequest request, String capKey, String badTarget,
                         Guard guard, String subject) {
        if (!HttpMethod.GET.equals(request.method())) {
            reject(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "use GET to open a WebSocket", guard, subject);
            return false;
        }
        if (badTarget != null) {
            reject(ctx, request, HttpResponseStatus.BAD_REQUEST, badTarget, guard, "container (invalid)");
            return false;
        }
        HandshakeHeaders.Refusal notHandshake = HandshakeHeaders.check(request.headers());
        if (notHandshake != null) {
            request.release();
            logRefusal(ctx, guard, subject, notHandshake.status(), notHandshake.message());
            notHandshake.send(ctx);
            return false;
        }
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (origin != null && !allowedOrigins.isEmpty() && !allowedOrigins.contains(origin)) {
            reject(ctx, request, HttpResponseStatus.FORBIDDEN, "origin not allowed", guard, subject);
            return false;
        }
        long blocked = authFailures.blockedSeconds(ctx.channel().remoteAddress());
        if (blocked > 0) {
            // Not logged per attempt: the limiter logs the episode once.
            request.release();
            HttpResponses.sendTooManyRequests(ctx, "too many failed authentications", blocked);
            return false;
        }
        if (!limiter.tryAcquire(capKey)) {
            reject(ctx, request, HttpResponseStatus.TOO_MANY_REQUESTS, "too many connections", guard, subject);
            return false;
        }
        return true;
    }

    /**
     * Refuses a request that passed {@link #enter} (its token is wrong or does not reach): gives the
     * place under the caps for {@code capKey} back, counts a failed login for the caller's address
     * when {@code failedLogin}, answers with {@code status} and {@code message} and releases the
     * request. Channel loop.
     */
    public void refuse(ChannelHandlerContext ctx, FullHttpRequest request, String capKey, boolean failedLogin,
                       HttpResponseStatus status, String message, Guard guard, String subject) {
        limiter.release(capKey);
        if (failedLogin) {
            authFailures.recordFailure(ctx.channel().remoteAddress());
        }
        reject(ctx, request, status, message, guard, subject);
    }

    /**
     * Admits the connection: its place under the caps for {@code capKey} is held by {@code session}
     * (already in the pipeline) and given back when the connection ends, also when it ends before or
     * during the upgrade. Channel loop.
     */
    public void admitted(String capKey, WebSocketSession session) {
        session.holdPlace(limiter, capKey);
    }

    private static void reject(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                               String message, Guard guard, String subject) {
        request.release();
        logRefusal(ctx, guard, subject, status, message);
        HttpResponses.sendError(ctx, status, message, false);
    }

    private static void logRefusal(ChannelHandlerContext ctx, Guard guard, String subject,
                                   HttpResponseStatus status, String message) {
        if (subject == null) {
            guard.log().info("{} {}: refused with {} ({})", guard.label(), ctx.channel().remoteAddress(),
                    status.code(), message);
        } else {
            guard.log().info("{} {} {}: refused with {} ({})", guard.label(), ctx.channel().remoteAddress(),
                    subject, status.code(), message);
        }
    }
}
