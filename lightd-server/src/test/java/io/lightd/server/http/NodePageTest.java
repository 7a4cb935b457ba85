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

/** What {@code /} and {@code /node/assets/...} answer: the node page, its hashed assets, caching and refusals. */
class NodePageTest {

    private static final NodePage PAGE = NodePage.load();

    private record Answer(int status, HttpHeaders headers, String body) {
        String header(CharSequence name) {
            return headers.get(name);
        }
    }

    private EmbeddedChannel channel = newChannel();

    private static EmbeddedChannel newChannel() {
        return new EmbeddedChannel(new SimpleChannelInboundHandler<FullHttpRequest>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                PAGE.serve(ctx, request);
            }
        });
    }

    /** Every 4xx closes its connection; the next request comes on a new one. */
    private void expectClosedThenReconnect() {
        assertThat(channel.isOpen()).as("a refusal closes the connection").isFalse();
        channel.finishAndReleaseAll();
        channel = newChannel();
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
        Matcher m = Pattern.compile("\"node/assets/" + Pattern.quote(name) + "\\?v=([0-9a-f]{12})\"").matcher(html);
        assertThat(m.find()).as(name + " is linked with its content hash").isTrue();
        return "/node/assets/" + name + "?v=" + m.group(1);
    }

    @Test
    void theRootIsTheNodePageUnderTheConsolePagesPolicy() {
        Answer page = get("/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("text/html; charset=utf-8");
        assertThat(page.header(HttpHeaderNames.CACHE_CONTROL)).isEqualTo("no-cache");
        assertThat(page.header(HttpHeaderNames.CONTENT_SECURITY_POLICY)).isEqualTo(ConsolePage.CONTENT_SECURITY_POLICY);
        assertThat(page.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(page.header("Referrer-Policy")).isEqualTo("no-referrer");
        assertThat(page.body()).contains("<title>lightd node</title>").doesNotContain("<script>", "style=", "@");
        assertThat(page.body()).doesNotContainPattern("(src|href)=\"(https?:)?//");
        assertThat(get("/?token=x").status()).as("a query does not change the page").isEqualTo(200);
    }

    @Test
    void assetsAreHashedAndCachedForGoodOnlyAtTheirHash() {
        String html = get("/").body();
        for (String name : new String[] {"node.js", "node.css", "icon.svg"}) {
            String link = assetLink(html, name);
            Answer current = get(link);
            assertThat(current.status()).as(link).isEqualTo(200);
            assertThat(current.header(HttpHeaderNames.CACHE_CONTROL)).contains("immutable");
            Answer unversioned = get(link.substring(0, link.indexOf('?')));
            assertThat(unversioned.status()).isEqualTo(200);
            assertThat(unversioned.header(HttpHeaderNames.CACHE_CONTROL)).isEqualTo("no-cache");
            Answer revalidated = request(HttpMethod.GET, link, current.header(HttpHeaderNames.ETAG));
            assertThat(revalidated.status()).isEqualTo(304);
            assertThat(revalidated.body()).isEmpty();
        }
        assertThat(get("/node/assets/node.js?v=1").body()).contains("node/stream");
    }

    @Test
    void refusesOtherMethodsAndUnknownAssets() {
        Answer post = request(HttpMethod.POST, "/", null);
        assertThat(post.status()).isEqualTo(405);
        assertThat(post.body()).isEqualTo("{\"error\":\"method not allowed\"}");
        expectClosedThenReconnect();
        Answer missing = get("/node/assets/../../etc/passwd");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body()).startsWith("{\"error\":\"no such route: ");
        expectClosedThenReconnect();
        Answer head = request(HttpMethod.HEAD, "/", null);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
    }

    @Test
    void ownsOnlyTheRootAndItsAssets() {
        assertThat(NodePage.owns("/")).isTrue();
        assertThat(NodePage.owns("/node/assets/node.js")).isTrue();
        assertThat(NodePage.owns("/node/stream")).isFalse();
        assertThat(NodePage.owns("/containers")).isFalse();
        assertThat(NodePage.owns("/console/x")).isFalse();
    }
}
