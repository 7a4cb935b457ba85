package io.lightd.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import io.lightd.server.http.message.HttpResponses;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.channel.WriteBufferWaterMark;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.LoggerFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The request deadline (1 s here) is absolute from the opening or the last answer; a whole request
 * gets its own, longer answer deadline (3 s here; 503 when no answer comes), which requests
 * pipelined behind it do not extend; an upgrade ends both.
 */
class RequestDeadlineHandlerTest {

    private final EmbeddedChannel ch = channel();

    /** The handler on a channel whose clock moves only when a test advances it, never with the machine's. */
    private static EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new HttpServerCodec(),
                new RequestDeadlineHandler(1, 3, TimeUnit.SECONDS), new HttpObjectAggregator(1024),
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
    void anAnswerWithinTheDeadlineStartsANewOne() {
        receive("GET /containers HTTP/1.1\r\nHost: x\r\n\r\n");
        FullHttpRequest request = ch.readInbound();
        request.release();
        RequestDeadlineHandler deadline = ch.pipeline().get(RequestDeadlineHandler.class);
        assertThat(deadline.awaitingResponse()).isTrue();
        elapse(900);
        assertThat(ch.isOpen()).isTrue();
        answer(HttpResponseStatus.OK);
        assertThat(sent()).startsWith("HTTP/1.1 200 OK");
        assertThat(deadline.awaitingResponse()).isFalse();
        elapse(900);
        assertThat(ch.isOpen()).as("the answer started a new deadline").isTrue();
        elapse(150);
        assertThat(ch.isOpen()).as("an idle kept-alive connection is closed").isFalse();
    }

    @Test
    void anAnswerSlowerThanTheRequestDeadlineIsStillDelivered() {
        receive("DELETE /containers/c-1 HTTP/1.1\r\nHost: x\r\n\r\n");
        FullHttpRequest request = ch.readInbound();
        request.release();
        elapse(2_900);
        assertThat(ch.isOpen()).as("past the request deadline, within the answer deadline").isTrue();
        assertThat(sent()).isEmpty();
        answer(HttpResponseStatus.OK);
        assertThat(sent()).startsWith("HTTP/1.1 200 OK");
        elapse(900);
        assertThat(ch.isOpen()).as("the request deadline runs again from the answer").isTrue();
        elapse(150);
        assertThat(ch.isOpen()).as("an idle kept-alive connection is closed after the request deadline").isFalse();
        assertThat(sent()).isEmpty();
    }

    @Test
    void aRequestNobodyAnswersGets503AtTheAnswerDeadlineAndTheConnectionIsClosed() {
        receive("GET /containers HTTP/1.1\r\nHost: x\r\n\r\n");
        FullHttpRequest request = ch.readInbound();
        request.release();
        elapse(1_050);
        assertThat(ch.isOpen()).as("the request deadline does not bound the answer").isTrue();
        assertThat(sent()).isEmpty();
        elapse(1_850);
        assertThat(ch.isOpen()).isTrue();
        elapse(150);
        assertThat(sent()).startsWith("HTTP/1.1 503 Service Unavailable")
                .contains("{\"error\":\"request not answered in time\"}");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aRequestPipelinedBehindAnUnansweredOneDoesNotExtendItsDeadline() {
        receive("GET /containers HTTP/1.1\r\nHost: x\r\n\r\n");
        FullHttpRequest first = ch.readInbound();
        first.release();
        elapse(2_000);
        receive("GET /containers HTTP/1.1\r\nHost: x\r\n\r\n");
        FullHttpRequest second = ch.readInbound();
        second.release();
        elapse(1_050);
        assertThat(sent()).as("3 s after the first request became whole").startsWith("HTTP/1.1 503 Service Unavailable");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void eachPipelinedRequestGetsTheWholeAnswerDeadlineFromThePreviousAnswer() {
        receive("GET /containers HTTP/1.1\r\nHost: x\r\n\r\nGET /containers HTTP/1.1\r\nHost: x\r\n\r\n");
        for (int i = 0; i < 2; i++) {
            FullHttpRequest request = ch.readInbound();
            request.release();
        }
        elapse(2_500);
        answer(HttpResponseStatus.OK);
        assertThat(sent()).startsWith("HTTP/1.1 200 OK");
        elapse(2_900);
        assertThat(ch.isOpen()).as("the second answer's deadline started with the first answer").isTrue();
        elapse(150);
        assertThat(sent()).startsWith("HTTP/1.1 503 Service Unavailable");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aPartialRequestBehindAnUnansweredOneWaitsForTheAnswerNot408() {
        receive("GET /containers HTTP/1.1\r\nHost: x\r\n\r\nPOST /containers HTTP/1.1\r\nHost: x\r\n"
                + "Content-Length: 10\r\n\r\n{\"a\"");
        FullHttpRequest request = ch.readInbound();
        request.release();
        elapse(1_050);
        assertThat(ch.isOpen()).isTrue();
        assertThat(sent()).as("a 408 would be taken as the first request's answer").isEmpty();
        elapse(2_000);
        assertThat(sent()).startsWith("HTTP/1.1 503 Service Unavailable");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void anAnswerBegunButNotEndedIsCutOffWithoutASecondAnswer() {
        receive("GET /containers HTTP/1.1\r\nHost: x\r\n\r\n");
        FullHttpRequest request = ch.readInbound();
        request.release();
        DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        HttpUtil.setTransferEncodingChunked(head, true);
        ch.writeOutbound(head);
        assertThat(ch.pipeline().get(RequestDeadlineHandler.class).awaitingResponse()).isFalse();
        assertThat(sent()).startsWith("HTTP/1.1 200 OK");
        elapse(2_900);
        assertThat(ch.isOpen()).as("an answer under way has the answer deadline").isTrue();
        elapse(150);
        assertThat(sent()).as("no second answer").isEmpty();
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void requestsSentBehindOneAnsweredWithACloseAreNotRouted() {
        receive("GET /ws/%25 HTTP/1.1\r\nHost: x\r\n\r\n");
        FullHttpRequest first = ch.readInbound();
        first.release();
        ch.writeOutbound(HttpResponses.response(HttpResponseStatus.BAD_REQUEST, HttpResponses.error("bad"), false));
        receive("DELETE /containers/c-1 HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat((Object) ch.readInbound()).as("the request behind the refused one").isNull();
        assertThat(sent()).startsWith("HTTP/1.1 400 Bad Request");
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

    @Test
    void anAnswerWrittenButNotTakenCountsAsGivenAndItsConnectionIsClosedAtTheAnswerDeadline() {
        try (LogCapture log = new LogCapture()) {
            receive("GET /node/assets/node.js HTTP/1.1\r\nHost: x\r\n\r\nGET /node/assets/node.js HTTP/1.1\r\nHost: x\r\n\r\n");
            for (int i = 0; i < 2; i++) {
                FullHttpRequest request = ch.readInbound();
                request.release();
                // Written, never taken by the socket: the client does not read.
                ch.write(HttpResponses.response(HttpResponseStatus.OK, new JsonObject(), true));
            }
            elapse(2_900);
            assertThat(ch.isOpen()).isTrue();
            elapse(150);
            assertThat(ch.isOpen()).as("closed at the answer deadline with its answers unsent").isFalse();
            assertThat(sent()).as("no 503 behind answers already written").doesNotContain("503");
            assertThat(log.atLeast(Level.INFO)).as("the client's doing: DEBUG only").isEmpty();
            assertThat(log.all()).anyMatch(e -> e.getFormattedMessage().contains("not taken within 3000 ms"));
        }
    }

    @Test
    void answersWrittenAndTakenLateDrawNoExtraAnswer() {
        receive("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
        for (int i = 0; i < 2; i++) {
            FullHttpRequest request = ch.readInbound();
            request.release();
            ch.write(HttpResponses.response(HttpResponseStatus.OK, new JsonObject(), true));
        }
        elapse(2_900);
        ch.flush();
        String out = sent();
        assertThat(out.split("HTTP/1.1 ", -1)).as("two answers for two requests").hasSize(3);
        elapse(900);
        assertThat(sent()).as("no answer for a request already answered").isEmpty();
        elapse(150);
        assertThat(ch.isOpen()).as("then the request deadline closes the idle connection").isFalse();
        assertThat(sent()).isEmpty();
    }

    @Test
    void whileUnwritableNothingMoreIsReadAndRequestsAlreadyReadWait() {
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
        receive("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        FullHttpRequest first = ch.readInbound();
        first.release();
        ch.write(HttpResponses.response(HttpResponseStatus.OK, new JsonObject(), true));
        assertThat(ch.isWritable()).isFalse();
        assertThat(ch.config().isAutoRead()).as("backpressure: reading stops").isFalse();
        receive("GET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n");
        assertThat((Object) ch.readInbound()).as("held while the first answer is not taken").isNull();
        ch.flush();
        assertThat(sent()).startsWith("HTTP/1.1 200 OK");
        assertThat(ch.isWritable()).isTrue();
        FullHttpRequest second = ch.readInbound();
        assertThat(second.uri()).isEqualTo("/b");
        second.release();
        FullHttpRequest third = ch.readInbound();
        assertThat(third.uri()).isEqualTo("/c");
        third.release();
        assertThat(ch.config().isAutoRead()).as("reading resumes once drained").isTrue();
    }

    @Test
    void atMostTheBoundOfRequestsIsHeldAndTheConnectionClosesAfterTheirAnswers() {
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
        receive("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        FullHttpRequest first = ch.readInbound();
        first.release();
        ch.write(HttpResponses.response(HttpResponseStatus.OK, new JsonObject(), true));
        receive("GET /b HTTP/1.1\r\nHost: x\r\n\r\n".repeat(RequestDeadlineHandler.MAX_HELD_REQUESTS + 5));
        ch.flush();
        sent();
        int routed = 0;
        for (FullHttpRequest r; (r = ch.readInbound()) != null; ) {
            r.release();
            routed++;
            assertThat(ch.isOpen()).isTrue();
            ch.writeAndFlush(HttpResponses.response(HttpResponseStatus.OK, new JsonObject(), true));
        }
        assertThat(routed).isEqualTo(RequestDeadlineHandler.MAX_HELD_REQUESTS);
        ch.runPendingTasks();
        assertThat(ch.isOpen()).as("closed after the held requests' answers").isFalse();
    }

    @Test
    void anUpgradeWhileReadingIsStoppedLeavesReadingOn() {
        receive("GET /ws/c-1 HTTP/1.1\r\nHost: x\r\n\r\n");
        FullHttpRequest request = ch.readInbound();
        request.release();
        // As this handler stops it while the channel is unwritable.
        ch.config().setAutoRead(false);
        ch.write(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS));
        assertThat(ch.pipeline().get(RequestDeadlineHandler.class)).isNull();
        assertThat(ch.config().isAutoRead()).as("the WebSocket's reading is not left stopped").isTrue();
        ch.flush();
        sent();
    }

    /** The handler's log lines at every level, for the length of a test. */
    private static final class LogCapture implements AutoCloseable {

        private final ch.qos.logback.classic.Logger logger =
                (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(RequestDeadlineHandler.class);
        private final Level level = logger.getLevel();
        private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

        LogCapture() {
            appender.start();
            logger.addAppender(appender);
            logger.setLevel(Level.DEBUG);
        }

        List<ILoggingEvent> all() {
            return List.copyOf(appender.list);
        }

        List<ILoggingEvent> atLeast(Level floor) {
            return all().stream().filter(e -> e.getLevel().isGreaterOrEqual(floor)).toList();
        }

        @Override
        public void close() {
            logger.detachAppender(appender);
            logger.setLevel(level);
        }
    }
}
