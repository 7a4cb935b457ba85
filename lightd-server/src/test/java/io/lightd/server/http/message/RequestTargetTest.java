package io.lightd.server.http.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every malformed request-target is refused with its named problem; every accepted one reads without failing. */
class RequestTargetTest {

    private static RequestTarget valid(String uri) {
        RequestTarget.Result r = RequestTarget.parse(uri);
        assertThat(r).as(uri).isInstanceOf(RequestTarget.Valid.class);
        return ((RequestTarget.Valid) r).target();
    }

    private static String problem(String uri) {
        RequestTarget.Result r = RequestTarget.parse(uri);
        assertThat(r).as(uri).isInstanceOf(RequestTarget.Malformed.class);
        return ((RequestTarget.Malformed) r).problem();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/ws/%          | % must be followed by two hex digits",
        "/ws/%ZZ        | % must be followed by two hex digits",
        "/ws/abc%       | % must be followed by two hex digits",
        "/ws/abc%4      | % must be followed by two hex digits",
        "/console/%     | % must be followed by two hex digits",
        "/containers/%  | % must be followed by two hex digits",
        "/ws/x?token=%G1 | % must be followed by two hex digits",
        "/ws/%C3%28     | escapes are not UTF-8",
        "/ws/%FF        | escapes are not UTF-8",
        "/ws/%ED%A0%80  | escapes are not UTF-8",
        "/ws/%C0%AF     | escapes are not UTF-8",
        "/x?a=%FF       | escapes are not UTF-8",
        "/ws/%00        | escapes decode to a control character",
        "/ws/a%0D%0Ab   | escapes decode to a control character",
        "/containers/../auth/tokens | . and .. segments are not allowed",
        "/containers/%2e%2E | . and .. segments are not allowed",
        "/console/./x   | . and .. segments are not allowed",
        "/a/.           | . and .. segments are not allowed",
        "*              | not a path",
        "127.0.0.1:8070 | not a path",
        "ftp://host/x   | not a path",
        "http://        | not a path",
        "/ws/x#frag     | a fragment is not allowed",
    })
    void malformedTargetsAreRefusedWithTheirProblem(String uri, String problem) {
        assertThat(problem(uri)).isEqualTo("malformed request target: " + problem);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/caf\u00e9", "/a\u0001", "/a\u007f", "/\u00ff"})
    void bytesOutsideVisibleAsciiAreRefused(String uri) {
        assertThat(problem(uri)).startsWith("malformed request target:");
    }

    @Test
    void theRawPathKeepsEscapesAndTheSegmentsAreDecodedOneByOne() {
        RequestTarget t = valid("/containers/a%2Fb/caf%C3%A9?purge=true&x=%C3%A9+y&x=2");
        assertThat(t.rawPath()).isEqualTo("/containers/a%2Fb/caf%C3%A9");
        assertThat(t.path()).isEqualTo("/containers/a/b/caf\u00e9");
        assertThat(t.segments()).containsExactly("containers", "a/b", "caf\u00e9");
        assertThat(t.parameters()).isEqualTo(Map.of("purge", List.of("true"), "x", List.of("\u00e9 y", "2")));
        assertThat(t.parameter("x")).isEqualTo("\u00e9 y");
        assertThat(t.parameter("none")).isNull();
        assertThat(t.originForm()).isEqualTo("/containers/a%2Fb/caf%C3%A9?purge=true&x=%C3%A9+y&x=2");
    }

    @Test
    void emptySegmentsAndPlusInPathsAreLeftToTheRoutes() {
        RequestTarget t = valid("/containers//start+x/");
        assertThat(t.segments()).containsExactly("containers", "", "start+x", "");
        assertThat(valid("/").segments()).containsExactly("");
        assertThat(valid("/ws/box?").parameters()).isEmpty();
    }

    @Test
    void theAbsoluteFormIsTakenAsItsPathAndQuery() {
        assertThat(valid("http://127.0.0.1:8070/api/v1/public/ping").originForm()).isEqualTo("/api/v1/public/ping");
        assertThat(valid("HTTPS://node.example/ws/box?token=t").originForm()).isEqualTo("/ws/box?token=t");
        assertThat(valid("http://node.example").originForm()).isEqualTo("/");
        assertThat(valid("http://node.example?a=1").originForm()).isEqualTo("/?a=1");
    }

    @Test
    void routesReadTheTargetTheRouterAttachedAndReadOthersThemselves() {
        EmbeddedChannel ch = new EmbeddedChannel();
        RequestTarget attached = valid("/ws/box?token=t");
        RequestTarget.attach(ch, attached);
        assertThat(RequestTarget.of(ch, new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                "/ws/box?token=t"))).isSameAs(attached);
        RequestTarget other = RequestTarget.of(ch, new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                "/ws/other"));
        assertThat(other.path()).isEqualTo("/ws/other");
        assertThatThrownBy(() -> RequestTarget.of(ch, new DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
                HttpMethod.GET, "/ws/%"))).isInstanceOf(IllegalArgumentException.class);
        ch.finishAndReleaseAll();
    }
}
