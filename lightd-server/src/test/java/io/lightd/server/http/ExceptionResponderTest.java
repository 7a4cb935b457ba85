package io.lightd.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.lightd.server.http.message.HttpResponses;
import io.lightd.server.logging.FaultLog;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * An exception that no handler dealt with: answered with its status and the JSON error when no
 * answer has begun, then the connection is closed; a client's doing costs no warning, a fault one
 * stack trace per minute.
 */
class ExceptionResponderTest {

    private final Logger faultLogger = (Logger) LoggerFactory.getLogger("exception-responder-test-" + UUID.randomUUID());
    private final ListAppender<ILoggingEvent> warnings = new ListAppender<>();
    private final ExceptionResponder responder = new ExceptionResponder(new FaultLog(faultLogger));
    private EmbeddedChannel ch;

    ExceptionResponderTest() {
        warnings.start();
        faultLogger.addAppender(warnings);
        faultLogger.setAdditive(false);
    }

    @AfterEach
    void tearDown() {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
        faultLogger.detachAppender(warnings);
    }

    /** A pipeline like the daemon's whose route does {@code route} with each request (and releases it). */
    private EmbeddedChannel channel(Function<ChannelHandlerContext, Throwable> route) {
        ch = new EmbeddedChannel(new HttpServerCodec(), new RequestDeadlineHandler(10, 10, TimeUnit.SECONDS),
                new HttpObjectAggregator(1024), new SimpleChannelInboundHandler<FullHttpRequest>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) throws Exception {
                        Throwable t = route.apply(ctx);
                        if (t instanceof Exception e) {
                            throw e;
                        }
                    }
                }, responder);
        return ch;
    }

    private void receive(String bytes) {
        ch.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.US_ASCII));
    }

    private String sent() {
        StringBuilder out = new StringBuilder();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf buf = (ByteBuf) o;
            out.append(buf.toString(StandardCharsets.UTF_8));
            buf.release();
        }
        return out.toString();
    }

    @Test
    void aRouteThatThrowsIsAnswered500AndClosedWithOneStackTraceAMinute() {
        Function<ChannelHandlerContext, Throwable> buggy = ctx -> new IllegalStateException("a bug in a route");
        channel(buggy);
        receive("GET /containers HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(sent()).startsWith("HTTP/1.1 500 Internal Server Error")
                .contains("connection: close").endsWith("{\"error\":\"internal error\"}");
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
        channel(buggy);
        receive("GET /containers HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(sent()).startsWith("HTTP/1.1 500");
        assertThat(warnings.list).as("the same fault again within the minute").hasSize(1);
        assertThat(warnings.list.get(0).getThrowableProxy().getMessage()).isEqualTo("a bug in a route");
    }

    @Test
    void clientErrorsAreAnsweredWithTheirStatusWithoutAWarning() {
        channel(ctx -> new DecoderException("bad bytes"));
        receive("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(sent()).startsWith("HTTP/1.1 400 Bad Request").endsWith("{\"error\":\"malformed HTTP request\"}");
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
        channel(ctx -> new WebSocketHandshakeException("missing upgrade"));
        receive("GET /ws/a HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(sent()).startsWith("HTTP/1.1 400 Bad Request")
                .endsWith("{\"error\":\"not a WebSocket handshake request\"}");
        assertThat(warnings.list).isEmpty();
    }

    @Test
    void aResetIsClosedWithoutAnAnswer() {
        channel(ctx -> new IOException("Connection reset by peer"));
        receive("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat(sent()).isEmpty();
        assertThat(ch.isOpen()).isFalse();
        assertThat(warnings.list).isEmpty();
    }

    @Test
    void afterTheAnswerBeganAnErrorOnlyCloses() {
        channel(ctx -> {
            HttpResponses.sendError(ctx, HttpResponseStatus.NOT_FOUND, "no such route", true);
            return new IllegalStateException("failed after answering");
        });
        receive("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        String out = sent();
        assertThat(out).startsWith("HTTP/1.1 404 Not Found").doesNotContain("500");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void anErrorOnAnIdleConnectionOnlyCloses() {
        channel(ctx -> null);
        ch.pipeline().fireExceptionCaught(new IllegalStateException("idle fault"));
        assertThat(sent()).isEmpty();
        assertThat(ch.isOpen()).isFalse();
        assertThat(warnings.list).hasSize(1);
    }
}
