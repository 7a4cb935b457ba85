package io.lightd.server.http;

import io.lightd.server.http.message.HttpResponses;
import io.lightd.server.http.message.RequestTarget;
import io.lightd.server.record.InternalIds;
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
 * The built-in browser console: {@code GET /console/{internal_id}} serves one page whose script
 * opens {@code /ws/{internal_id}} and speaks the WebSocket protocol like any other client. The page
 * and its assets are read from the classpath once, at start-up, and every request is answered from
 * those bytes, so serving them neither touches the disk nor blocks an event loop.
 *
 * <p>No token is needed: the page is the same for every id and holds no secret; the person brings
 * the token and the WebSocket checks it. For the same reason a valid id that names no container
 * still gets the page (a 404 would tell anyone without a token which ids exist); the page says so
 * when the daemon reports no state for it, as the protocol has it for unknown ids.
 *
 * <p>The page may run scripts, styles and connections only from this daemon (a strict
 * Content-Security-Policy, no inline code). Assets are linked with a content hash ({@code ?v=}),
 * so a matching request may be cached for good, while the page itself is revalidated each time
 * (ETag). Stateless and shared.
 *
 * <p>{@code GET /console/{id}/session} (with the token as a bearer header) is answered by
 * {@link ConsoleSessionRoute}: the page asks it which controls its token may use.
 */
public final class ConsolePage {

    /** The path prefix the page owns: {@code /console/{internal_id}} and its assets and session route. */
    public static final String PREFIX = "/console/";
    private static final String ASSETS = "assets/";
    private static final String RESOURCES = "/lightd-console/";
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
            + "require-trusted-types-for 'script'";
    private static final String IMMUTABLE = "public, max-age=31536000, immutable";
    private static final String REVALIDATE = "no-cache";

    /** One served file: its bytes, type, strong ETag and the content hash its links carry (the node page's too). */
    record Asset(byte[] bytes, String contentType, String etag, String version) {

        static Asset of(byte[] bytes, String contentType) {
            String hash = sha256(bytes);
            return new Asset(bytes, contentType, "\"" + hash.substring(0, 32) + "\"", hash.substring(0, 12));
        }
    }

    private final Asset page;
    private final Map<String, Asset> assets;
    private final ConsoleSessionRoute session;

    private ConsolePage(Asset page, Map<String, Asset> assets, ConsoleSessionRoute session) {
        this.page = page;
        this.assets = assets;
        this.session = session;
    }

    /**
     * This page with {@code /console/{id}/session} answered by {@code route}.
     *
     * @param route the session route
     * @return a new page sharing this one's bytes
     */
    public ConsolePage withSessionRoute(ConsoleSessionRoute route) {
        return new ConsolePage(page, assets, route);
    }

    /**
     * Reads the page and its assets from the classpath ({@code /lightd-console/}); blocking, once at
     * start-up. The page has no session route until {@link #withSessionRoute}.
     *
     * @return the page, its assets' content hashes filled into its links
     * @throws IllegalStateException when a resource is missing, or the page links an asset not served
     * @throws java.io.UncheckedIOException when a resource cannot be read
     */
    public static ConsolePage load() {
        Map<String, Asset> assets = Map.of(
                "console.css", Asset.of(resource("console.css"), "text/css; charset=utf-8"),
                "console.js", Asset.of(resource("console.js"), "text/javascript; charset=utf-8"),
                "icon.svg", Asset.of(resource("icon.svg"), "image/svg+xml"));
        String html = new String(resource("console.html"), StandardCharsets.UTF_8);
        for (Map.Entry<String, Asset> e : assets.entrySet()) {
            html = html.replace("@" + e.getKey() + "@", e.getValue().version());
        }
        if (html.contains("@")) {
            throw new IllegalStateException("console.html links an asset that is not served: " + html);
        }
        return new ConsolePage(Asset.of(html.getBytes(StandardCharsets.UTF_8), "text/html; charset=utf-8"), assets,
                null);
    }

    /**
     * Whether this page answers a path.
     *
     * @param uri the request's checked raw path
     * @return true for everything under {@link #PREFIX}
     */
    public static boolean owns(String uri) {
        return uri.startsWith(PREFIX);
    }

    /** Answers one request under {@link #PREFIX}; the caller releases it afterwards. */
    void serve(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        RequestTarget uri = RequestTarget.of(ctx.channel(), request);
        // Matched on the raw segments: an escaped slash stays inside its segment ("a%2Fsession" is one bad id).
        List<String> segments = uri.segments();
        String rest = segments.size() == 3 && segments.get(1).equals(ASSETS.substring(0, ASSETS.length() - 1))
                ? ASSETS + segments.get(2) : segments.size() == 2 ? segments.get(1) : null;
        boolean session = segments.size() == 3 && segments.get(2).equals(ConsoleSessionRoute.SUFFIX.substring(1));
        if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
            HttpResponses.sendError(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed", keepAlive);
            return;
        }
        if (rest != null && rest.startsWith(ASSETS)) {
            Asset asset = assets.get(rest.substring(ASSETS.length()));
            if (asset == null) {
                HttpResponses.sendError(ctx, HttpResponseStatus.NOT_FOUND, "no such route: " + uri.path(), keepAlive);
                return;
            }
            List<String> version = uri.parameters().get("v");
            boolean current = version != null && version.contains(asset.version());
            send(ctx, request, asset, current ? IMMUTABLE : REVALIDATE, keepAlive);
            return;
        }
        if (this.session != null && session && InternalIds.isValid(segments.get(1))) {
            this.session.answer(ctx, request, segments.get(1));
            return;
        }
        if (rest == null || !InternalIds.isValid(rest)) {
            HttpResponses.sendError(ctx, HttpResponseStatus.BAD_REQUEST, InternalIds.problem(), keepAlive);
            return;
        }
        send(ctx, request, page, REVALIDATE, keepAlive);
    }

    /** Answers with one asset under this page's policy: 304 when the ETag matches, no body for HEAD. */
    static void send(ChannelHandlerContext ctx, FullHttpRequest request, Asset asset, String cacheControl,
                             boolean keepAlive) {
        boolean unchanged = asset.etag().equals(request.headers().get(HttpHeaderNames.IF_NONE_MATCH));
        boolean withBody = !unchanged && request.method().equals(HttpMethod.GET);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                unchanged ? HttpResponseStatus.NOT_MODIFIED : HttpResponseStatus.OK,
                withBody ? Unpooled.wrappedBuffer(asset.bytes()) : Unpooled.EMPTY_BUFFER);
        HttpHeaders headers = response.headers()
                .set(HttpHeaderNames.CACHE_CONTROL, cacheControl)
                .set(HttpHeaderNames.ETAG, asset.etag())
                .set(HttpHeaderNames.CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)
                .set("X-Content-Type-Options", "nosniff")
                .set("Referrer-Policy", "no-referrer");
        if (!unchanged) {
            headers.set(HttpHeaderNames.CONTENT_TYPE, asset.contentType())
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, asset.bytes().length);
        }
        HttpResponses.write(ctx, response, keepAlive);
    }

    private static byte[] resource(String name) {
        try (InputStream in = ConsolePage.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("console resource missing from the classpath: " + RESOURCES + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read console resource " + name, e);
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
