package io.lightd.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The deadline is absolute from the opening or the last answer, pauses while a request is answered, and ends with an upgrade. */
class RequestDeadlineHandlerTest {

    private final EmbeddedChannel ch = channel();

    /** The handler on a channel whose clock moves only when a test advances it, never with the machine's. */
    private static EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new HttpServerCodec(),
                new RequestDeadlineHandler(1, TimeUnit.SECONDS), new HttpObjectAggregator(1024),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        // as the router does: the aggregator reports the cut-off request; the connection is already closing
                    }
                });
        return ch;
    }

    @AfterEach
    void tearDown() {
        ch.finishAndReleaseAll();
    }

    private void elapse(long millis) {
        ch.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        ch.runPendingTasks();
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

    private void answer(HttpResponseStatus status) {
        ch.writeOutbound(HttpResponses.response(status, new JsonObject(), true));
    }

    @Test
    void aConnectionThatSendsNoWholeRequestIsClosedSilently() {
        receive("GET /containers HTTP/1.1\r\nHost: x\r\n");
        elapse(900);
        assertThat(ch.isOpen()).isTrue();
        receive("Accept: */*\r\n");
        elapse(150);
        assertThat(ch.isOpen()).as("trickled headers do not extend the deadline").isFalse();
        assertThat(sent()).isEmpty();
    }

    @Test
    void aRequestCaughtHalfwayGets408() {
        receive("POST /containers HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{\"a\"");
        elapse(1_000);
        assertThat(sent()).startsWith("HTTP/1.1 408 Request Timeout").contains("{\"error\":\"request not received in time\"}");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void noDeadlineWhileAnsweringAndANewOneAfterTheAnswer() {
        receive("GET /containers HTTP/1.1\r\nHost: x\r\n\r\n");
        FullHttpRequest request = ch.readInbound();
        request.release();
        elapse(5_000);
        assertThat(ch.isOpen()).as("a slow answer is not the client's fault").isTrue();
        answer(HttpResponseStatus.OK);
        assertThat(sent()).startsWith("HTTP/1.1 200 OK");
        elapse(900);
        assertThat(ch.isOpen()).isTrue();
        elapse(150);
        assertThat(ch.isOpen()).as("an idle kept-alive connection is closed").isFalse();
    }

    @Test
    void anUpgradeEndsTheDeadline() {
        receive("GET /ws/c-1 HTTP/1.1\r\nHost: x\r\n\r\n");
        FullHttpRequest request = ch.readInbound();
        request.release();
        ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS));
        sent();
        assertThat(ch.pipeline().get(RequestDeadlineHandler.class)).isNull();
        elapse(5_000);
        assertThat(ch.isOpen()).isTrue();
    }
}
