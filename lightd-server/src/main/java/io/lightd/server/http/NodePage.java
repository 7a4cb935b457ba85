package io.lightd.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The node page: {@code GET /} serves one page that lists every server of this daemon, live, from
 * the admin node stream ({@code /node/stream}), and drives them through the REST routes; its
 * assets are under {@code /node/assets/}. Like the console page it holds no secret (the operator
 * brings the master token, which the page keeps in the tab's {@code sessionStorage} and sends only
 * to this daemon), runs under the same strict Content-Security-Policy (nothing inline, nothing from
 * elsewhere), and is served from bytes read from the classpath once at start-up, assets linked
 * with a content hash ({@code ?v=}) and cacheable for good, the page itself revalidated (ETag).
 * Stateless and shared.
 */
public final class NodePage {

    public static final String ASSETS_PREFIX = "/node/assets/";
    private static final String RESOURCES = "/lightd-node/";
    private static final String IMMUTABLE = "public, max-age=31536000, immutable";
    private static final String REVALIDATE = "no-cache";

    /** One served file: its bytes, type, strong ETag and the content hash its links carry. */
    private record Asset(byte[] bytes, String contentType, String etag, String version) {

        static Asset of(byte[] bytes, String contentType) {
            String hash = sha256(bytes);
            return new Asset(bytes, contentType, "\"" + hash.substring(0, 32) + "\"", hash.substring(0, 12));
        }
    }

    private final Asset page;
    private final Map<String, Asset> assets;

    private NodePage(Asset page, Map<String, Asset> assets) {
        this.page = page;
        this.assets = assets;
    }

    /** Reads the page and its assets from the classpath; fails when one is missing. */
    public static NodePage load() {
        Map<String, Asset> assets = Map.of(
                "node.css", Asset.of(resource(RESOURCES + "node.css"), "text/css; charset=utf-8"),
                "node.js", Asset.of(resource(RESOURCES + "node.js"), "text/javascript; charset=utf-8"),
                "icon.svg", Asset.of(resource("/lightd-console/icon.svg"), "image/svg+xml"));
        String html = new String(resource(RESOURCES + "node.html"), StandardCharsets.UTF_8);
        for (Map.Entry<String, Asset> e : assets.entrySet()) {
            html = html.replace("@" + e.getKey() + "@", e.getValue().version());
        }
        if (html.contains("@")) {
            throw new IllegalStateException("node.html links an asset that is not served: " + html);
        }
        return new NodePage(Asset.of(html.getBytes(StandardCharsets.UTF_8), "text/html; charset=utf-8"), assets);
    }

    /** True for the paths this page answers: {@code /} and everything under {@link #ASSETS_PREFIX}. */
    public static boolean owns(String uri) {
        String path = new QueryStringDecoder(uri).rawPath();
        return path.equals("/") || path.startsWith(ASSETS_PREFIX);
    }

    /** Answers one request this page {@link #owns}; the caller releases it afterwards. */
    void serve(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
            HttpResponses.sendError(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed", keepAlive);
            return;
        }
        String path = uri.rawPath();
        if (path.equals("/")) {
            send(ctx, request, page, REVALIDATE, keepAlive);
            return;
        }
        Asset asset = assets.get(path.substring(ASSETS_PREFIX.length()));
        if (asset == null) {
            HttpResponses.sendError(ctx, HttpResponseStatus.NOT_FOUND, "no such route: " + path, keepAlive);
            return;
        }
        List<String> version = uri.parameters().get("v");
        boolean current = version != null && version.contains(asset.version());
        send(ctx, request, asset, current ? IMMUTABLE : REVALIDATE, keepAlive);
    }

    private static void send(ChannelHandlerContext ctx, FullHttpRequest request, Asset asset, String cacheControl,
                             boolean keepAlive) {
        boolean unchanged = asset.etag().equals(request.headers().get(HttpHeaderNames.IF_NONE_MATCH));
        boolean withBody = !unchanged && request.method().equals(HttpMethod.GET);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                unchanged ? HttpResponseStatus.NOT_MODIFIED : HttpResponseStatus.OK,
                withBody ? Unpooled.wrappedBuffer(asset.bytes()) : Unpooled.EMPTY_BUFFER);
        HttpHeaders headers = response.headers()
                .set(HttpHeaderNames.CACHE_CONTROL, cacheControl)
                .set(HttpHeaderNames.ETAG, asset.etag())
                .set(HttpHeaderNames.CONTENT_SECURITY_POLICY, ConsolePage.CONTENT_SECURITY_POLICY)
                .set("X-Content-Type-Options", "nosniff")
                .set("Referrer-Policy", "no-referrer");
        if (!unchanged) {
            headers.set(HttpHeaderNames.CONTENT_TYPE, asset.contentType())
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, asset.bytes().length);
        }
        HttpResponses.write(ctx, response, keepAlive);
    }

    private static byte[] resource(String name) {
        try (InputStream in = NodePage.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("node page resource missing from the classpath: " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read node page resource " + name, e);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
