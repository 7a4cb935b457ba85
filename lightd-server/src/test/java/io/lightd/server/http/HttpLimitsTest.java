package io.lightd.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Oversize requests get their own status and a JSON error, and the connection is closed. */
class HttpLimitsTest {

    private final EmbeddedChannel ch = new EmbeddedChannel(new HttpServerCodec(new HttpDecoderConfig()
            .setMaxInitialLineLength(BadRequestHandler.MAX_REQUEST_LINE_BYTES)
            .setMaxHeaderSize(BadRequestHandler.MAX_HEADER_BYTES)),
            BadRequestHandler.INSTANCE, new BodyLimitAggregator(1024));

    @AfterEach
    void tearDown() {
        ch.finishAndReleaseAll();
    }

    private String exchange(String request) {
        ch.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.ISO_8859_1));
        ch.runPendingTasks();
        StringBuilder out = new StringBuilder();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf buf = (ByteBuf) o;
            out.append(buf.toString(StandardCharsets.UTF_8));
            buf.release();
        }
        return out.toString();
    }

    @Test
    void aLongRequestLineIs414() {
        String answer = exchange("GET /" + "a".repeat(5000) + " HTTP/1.1\r\n");
        assertThat(answer).startsWith("HTTP/1.1 414 ").contains("connection: close")
                .endsWith("{\"error\":\"request line longer than 4096 bytes\"}");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void largeHeadersAre431() {
        String answer = exchange("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(9000) + "\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 431 ")
                .endsWith("{\"error\":\"request headers larger than 8192 bytes\"}");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aGarbledRequestIs400() {
        String answer = exchange("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 400 ").endsWith("{\"error\":\"malformed HTTP request\"}");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aLargeBodyIs413ByItsLengthOrByWhatArrives() {
        assertThat(exchange("POST /containers HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n"))
                .startsWith("HTTP/1.1 413 ").endsWith("{\"error\":\"request body larger than 1024 bytes\"}");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aLargeChunkedBodyIs413() {
        String chunk = Integer.toHexString(800) + "\r\n" + "c".repeat(800) + "\r\n";
        assertThat(exchange("POST /containers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk))
                .startsWith("HTTP/1.1 413 ").endsWith("{\"error\":\"request body larger than 1024 bytes\"}");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aLargeBodyAnnouncedWithExpectContinueIs413() {
        assertThat(exchange("POST /containers HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2000\r\n\r\n"))
                .startsWith("HTTP/1.1 413 ").endsWith("{\"error\":\"request body larger than 1024 bytes\"}");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void requestsWithinTheLimitsPassWhole() {
        assertThat(exchange("POST /containers HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")).isEmpty();
        FullHttpRequest request = ch.readInbound();
        assertThat(request.content().toString(StandardCharsets.UTF_8)).isEqualTo("{}");
        request.release();
        assertThat(ch.isOpen()).isTrue();
    }
}
