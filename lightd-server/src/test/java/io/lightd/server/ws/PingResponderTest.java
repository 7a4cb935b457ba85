package io.lightd.server.ws;

import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.server.metrics.Metrics;
import io.lightd.server.metrics.Metrics.PingOutcome;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PingResponderTest {

    private final Metrics metrics = new Metrics();

    private static PingWebSocketFrame ping(String payload) {
        return new PingWebSocketFrame(Unpooled.copiedBuffer(payload, StandardCharsets.UTF_8));
    }

    /** A channel that turns unwritable once more than 8 bytes wait unflushed. */
    private EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel(new PingResponder(metrics));
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(4, 8));
        return ch;
    }

    /** Writes 16 bytes without flushing them: the channel turns unwritable. */
    private static void stall(EmbeddedChannel ch) {
        ch.write(Unpooled.wrappedBuffer(new byte[16]));
        assertThat(ch.isWritable()).isFalse();
    }

    /** Flushes what {@link #stall} left: the channel drains and turns writable again. */
    private static void drain(EmbeddedChannel ch) {
        ch.flush();
        ch.runPendingTasks();
        assertThat(ch.isWritable()).isTrue();
        ByteBuf filler = ch.readOutbound();
        filler.release();
    }

    private static String pongText(EmbeddedChannel ch) {
        PongWebSocketFrame pong = ch.readOutbound();
        assertThat(pong).isNotNull();
        try {
            return pong.content().toString(StandardCharsets.UTF_8);
        } finally {
            pong.release();
        }
    }

    @Test
    void aPingOnAWritableConnectionIsAnsweredAtOnceWithItsPayload() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(ping("hello"));
        assertThat(pongText(ch)).isEqualTo("hello");
        assertThat((Object) ch.readInbound()).as("the ping goes no further").isNull();
        assertThat(metrics.pings(PingOutcome.ANSWERED)).isEqualTo(1);
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void whileUnwritableOnlyTheLatestPingIsKeptAndAnsweredOnceItDrains() {
        EmbeddedChannel ch = channel();
        stall(ch);
        PingWebSocketFrame first = ping("1");
        PingWebSocketFrame second = ping("2");
        ch.writeInbound(first, second, ping("3"));
        assertThat((Object) ch.readOutbound()).as("nothing answered while unwritable").isNull();
        assertThat(first.refCnt()).as("a superseded ping is released").isZero();
        assertThat(second.refCnt()).isZero();
        assertThat(metrics.pings(PingOutcome.SUPERSEDED)).isEqualTo(2);
        assertThat(metrics.pings(PingOutcome.ANSWERED)).isZero();
        drain(ch);
        assertThat(pongText(ch)).isEqualTo("3");
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat(metrics.pings(PingOutcome.ANSWERED)).isEqualTo(1);
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void aPingStillUnansweredWhenTheConnectionEndsIsReleased() {
        EmbeddedChannel ch = channel();
        stall(ch);
        PingWebSocketFrame ping = ping("late");
        ch.writeInbound(ping);
        ch.close();
        assertThat(ping.refCnt()).isZero();
        assertThat(metrics.pings(PingOutcome.ABANDONED)).isEqualTo(1);
        assertThat(metrics.pings(PingOutcome.ANSWERED) + metrics.pings(PingOutcome.SUPERSEDED)).isZero();
        ch.finishAndReleaseAll();
    }

    @Test
    void otherFramesPassUntouched() {
        EmbeddedChannel ch = channel();
        TextWebSocketFrame text = new TextWebSocketFrame("{}");
        ch.writeInbound(text);
        assertThat((Object) ch.readInbound()).isSameAs(text);
        text.release();
        assertThat(ch.finish()).isFalse();
    }
}
