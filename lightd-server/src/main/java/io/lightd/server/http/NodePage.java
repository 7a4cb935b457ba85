package io.lightd.server.http;

import io.lightd.server.http.message.HttpResponses;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The node page: {@code GET /} serves one page that lists every server of this daemon, live, from
 * the admin node stream ({@code /node/stream}), and drives them through the REST routes; its
 * assets are under {@code /node/assets/}. Like the console page it holds no secret (the operator
 * brings the master token, which the page keeps in the tab's {@code sessionStorage} and sends only
 * to this daemon), runs under the same strict Content-Security-Policy (nothing inline, nothing from
 * elsewhere), and is served from bytes read from the classpath once at start-up, assets linked
 * with a content hash ({@code ?v=}) and cacheable for good, the page itself revalidated (ETag),
 * all through the console page's {@link ConsolePage.Asset} and response. Stateless and shared.
 */
public final class NodePage {

    /** Where the page's assets are served; the page links them relative to {@code /}. */
    public static final String ASSETS_PREFIX = "/node/assets/";
    private static final String RESOURCES = "/lightd-node/";
    private static final String IMMUTABLE = "public, max-age=31536000, immutable";
    private static final String REVALIDATE = "no-cache";

    private final ConsolePage.Asset page;
    private final Map<String, ConsolePage.Asset> assets;

    private NodePage(ConsolePage.Asset page, Map<String, ConsolePage.Asset> assets) {
        this.page = page;
        this.assets = assets;
    }

    /**
     * Reads the page and its assets from the classpath ({@code /lightd-node/}, and the console's icon);
     * blocking, once at start-up.
     *
     * @return the page, its assets' content hashes filled into its links
     * @throws IllegalStateException when a resource is missing, or the page links an asset not served
     * @throws java.io.UncheckedIOException when a resource cannot be read
     */
    public static NodePage load() {
        Map<String, ConsolePage.Asset> assets = Map.of(
                "node.css", ConsolePage.Asset.of(resource(RESOURCES + "node.css"), "text/css; charset=utf-8"),
                "node.js", ConsolePage.Asset.of(resource(RESOURCES + "node.js"), "text/javascript; charset=utf-8"),
                "icon.svg", ConsolePage.Asset.of(resource("/lightd-console/icon.svg"), "image/svg+xml"));
        String html = new String(resource(RESOURCES + "node.html"), StandardCharsets.UTF_8);
        for (Map.Entry<String, ConsolePage.Asset> e : assets.entrySet()) {
            html = html.replace("@" + e.getKey() + "@", e.getValue().version());
        }
        if (html.contains("@")) {
            throw new IllegalStateException("node.html links an asset that is not served: " + html);
        }
        return new NodePage(ConsolePage.Asset.of(html.getBytes(StandardCharsets.UTF_8), "text/html; charset=utf-8"), assets);
    }

    /**
     * Whether this page answers a path: {@code /} and everything under {@link #ASSETS_PREFIX}.
     *
     * @param path the checked raw path of the request target
     * @return true for the node page's paths
     */
    public static boolean owns(String path) {
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
            ConsolePage.send(ctx, request, page, REVALIDATE, keepAlive);
            return;
        }
        ConsolePage.Asset asset = assets.get(path.substring(ASSETS_PREFIX.length()));
        if (asset == null) {
            HttpResponses.sendError(ctx, HttpResponseStatus.NOT_FOUND, "no such route: " + path, keepAlive);
            return;
        }
        List<String> version = uri.parameters().get("v");
        boolean current = version != null && version.contains(asset.version());
        ConsolePage.send(ctx, request, asset, current ? IMMUTABLE : REVALIDATE, keepAlive);
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
}
