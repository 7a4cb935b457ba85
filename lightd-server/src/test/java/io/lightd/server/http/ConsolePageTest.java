package io.lightd.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What {@code /console/...} answers: the page for any valid id, its assets, caching and refusals. */
class ConsolePageTest {

    private static final ConsolePage PAGE = ConsolePage.load();

    /** One answer, copied out so the response can be released at once. */
    private record Answer(int status, HttpHeaders headers, String body) {
        String header(CharSequence name) {
            return headers.get(name);
        }
    }

    private EmbeddedChannel channel = newChannel();

    /** A connection to the page; an error answer closes it, so the next request opens another. */
    private static EmbeddedChannel newChannel() {
        return new EmbeddedChannel(new SimpleChannelInboundHandler<FullHttpRequest>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                PAGE.serve(ctx, request);
            }
        });
    }

    @AfterEach
    void finish() {
        assertThat(channel.finishAndReleaseAll()).as("no unread responses").isFalse();
    }

    private Answer request(HttpMethod method, String uri, String ifNoneMatch) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri, Unpooled.EMPTY_BUFFER);
        if (ifNoneMatch != null) {
            request.headers().set(HttpHeaderNames.IF_NONE_MATCH, ifNoneMatch);
        }
        if (!channel.isOpen()) {
            assertThat(channel.finishAndReleaseAll()).as("no unread responses").isFalse();
            channel = newChannel();
        }
        channel.writeInbound(request);
        FullHttpResponse response = channel.readOutbound();
        try {
            return new Answer(response.status().code(), response.headers().copy(),
                    response.content().toString(StandardCharsets.UTF_8));
        } finally {
            response.release();
        }
    }

    private Answer get(String uri) {
        return request(HttpMethod.GET, uri, null);
    }

    private static String assetLink(String html, String name) {
        Matcher m = Pattern.compile("assets/" + Pattern.quote(name) + "\\?v=([0-9a-f]{12})\"").matcher(html);
        assertThat(m.find()).as(name + " is linked with its content hash").isTrue();
        return "/console/assets/" + name + "?v=" + m.group(1);
    }

    @Test
    void anyValidIdGetsThePageWithAStrictPolicy() {
        Answer page = get("/console/my-server-001");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("text/html; charset=utf-8");
        assertThat(page.header(HttpHeaderNames.CACHE_CONTROL)).isEqualTo("no-cache");
        assertThat(page.header(HttpHeaderNames.CONTENT_SECURITY_POLICY))
                .contains("default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'")
                .doesNotContain("unsafe");
        assertThat(page.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(page.header("Referrer-Policy")).isEqualTo("no-referrer");
        assertThat(page.body()).contains("<title>").doesNotContain("@");
        assertThat(get("/console/never-created-1?token=x").body()).as("unknown ids get the same page")
                .isEqualTo(page.body());
    }

    @Test
    void assetsAreTypedAndCachedForGoodOnlyUnderTheirCurrentHash() {
        String html = get("/console/any-1").body();
        String[][] expected = {
                {"console.js", "text/javascript; charset=utf-8"},
                {"console.css", "text/css; charset=utf-8"},
                {"icon.svg", "image/svg+xml"}};
        for (String[] e : expected) {
            String link = assetLink(html, e[0]);
            Answer asset = get(link);
            assertThat(asset.status()).as(link).isEqualTo(200);
            assertThat(asset.header(HttpHeaderNames.CONTENT_TYPE)).as(link).isEqualTo(e[1]);
            assertThat(asset.header(HttpHeaderNames.CACHE_CONTROL)).as(link)
                    .isEqualTo("public, max-age=31536000, immutable");
            assertThat(get("/console/assets/" + e[0] + "?v=stale").header(HttpHeaderNames.CACHE_CONTROL))
                    .as(link + " under another hash").isEqualTo("no-cache");
        }
    }

    @Test
    void nothingIsLoadedFromElsewhere() {
        String html = get("/console/any-1").body();
        String all = html + get(assetLink(html, "console.js")).body() + get(assetLink(html, "console.css")).body();
        assertThat(all).doesNotContain("://", "@import", "innerHTML", "eval(");
    }

    @Test
    void aMatchingEtagGetsNotModifiedAndHeadGetsNoBody() {
        Answer page = get("/console/any-1");
        String etag = page.header(HttpHeaderNames.ETAG);
        assertThat(etag).startsWith("\"").endsWith("\"");
        Answer again = request(HttpMethod.GET, "/console/other-2", etag);
        assertThat(again.status()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        assertThat(request(HttpMethod.GET, "/console/other-2", "\"something-else\"").status()).isEqualTo(200);
        Answer head = request(HttpMethod.HEAD, "/console/any-1", null);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.header(HttpHeaderNames.CONTENT_LENGTH))
                .isEqualTo(String.valueOf(page.body().getBytes(StandardCharsets.UTF_8).length));
    }

    @Test
    void badIdsUnknownAssetsAndOtherMethodsAreRefused() {
        Answer bad = get("/console/bad..id");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body()).contains("internal_id must match");
        assertThat(get("/console/a%2Fb").status()).isEqualTo(400);
        assertThat(get("/console/").status()).isEqualTo(400);
        assertThat(get("/console/assets/secret.txt").status()).isEqualTo(404);
        // A literal ../ never reaches the page (the router refuses dot segments); an escaped slash stays in its segment.
        assertThat(get("/console/assets/..%2Fconsole.js").status()).isEqualTo(404);
        assertThat(request(HttpMethod.POST, "/console/any-1", null).status()).isEqualTo(405);
    }
}
