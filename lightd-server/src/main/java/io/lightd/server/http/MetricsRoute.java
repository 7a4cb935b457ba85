package io.lightd.server.http;

import io.lightd.server.http.message.BearerAuth;
import io.lightd.server.http.message.HttpResponses;
import io.lightd.server.metrics.Metrics;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /metrics}: the Prometheus text exposition of the daemon's {@link Metrics} registry, gauges
 * read at scrape time from their owners. Needs a bearer token like the REST routes unless
 * {@code metrics.require_token} is false. Stateless and shared; a scrape runs on the connection's
 * loop and only reads memory and JMX beans (no network, no waiting).
 */
public final class MetricsRoute {

    /** The route's path. */
    public static final String PATH = "/metrics";

    private final boolean requireToken;
    private final BearerAuth auth;
    private final Metrics metrics;

    /**
     * @param requireToken {@code metrics.require_token}: whether a scrape needs the master token
     * @param auth         the REST routes' bearer check, with its failure limit
     * @param metrics      the daemon's meters, whose Prometheus registry the scrape renders
     */
    public MetricsRoute(boolean requireToken, BearerAuth auth, Metrics metrics) {
        this.requireToken = requireToken;
        this.auth = auth;
        this.metrics = metrics;
    }

    void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (!request.method().equals(HttpMethod.GET)) {
            HttpResponses.sendError(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed", keepAlive);
            return;
        }
        // The scrape takes the same tokens as REST, so guesses here count against the same limit.
        if (requireToken && !auth.admit(ctx, request, keepAlive)) {
            return;
        }
        byte[] body = render().getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.wrappedBuffer(body));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, Metrics.CONTENT_TYPE)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        HttpResponses.write(ctx, response, keepAlive);
    }

    /** The whole exposition, as a scrape gets it: {@link Metrics#scrape()}. */
    public String render() {
        return metrics.scrape();
    }
}
