package io.lightd.server.ws;

import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.protocol.DecodeResult;
import io.lightd.protocol.InboundEvent;
import io.lightd.protocol.PowerAction;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EventFrameCodecTest {

    @Test
    void textFramesDecodeToEventsOrErrors() {
        EmbeddedChannel ch = new EmbeddedChannel(new EventFrameCodec(4096));
        ch.writeInbound(new TextWebSocketFrame("{\"event\":\"power\",\"action\":\"kill\"}"));
        ch.writeInbound(new TextWebSocketFrame("nope"));
        assertThat((Object) ch.readInbound()).isEqualTo(new DecodeResult.Decoded(new InboundEvent.Power(PowerAction.KILL)));
        assertThat((Object) ch.readInbound()).isEqualTo(
                new DecodeResult.Invalid(DecodeResult.Kind.INVALID_JSON, "Error: invalid JSON"));
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void binaryFramesAreAnError() {
        EmbeddedChannel ch = new EmbeddedChannel(new EventFrameCodec(4096));
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2})));
        assertThat((Object) ch.readInbound()).isEqualTo(EventFrameCodec.BINARY);
        ch.finishAndReleaseAll();
    }

    @Test
    void encodedEventBytesGoOutAsOneTextFrameAndSharedFramesPassBy() {
        EmbeddedChannel ch = new EmbeddedChannel(new EventFrameCodec(4096));
        ch.writeOutbound("{\"event\":\"logs\",\"data\":\"\"}".getBytes(StandardCharsets.UTF_8));
        TextWebSocketFrame shared = new TextWebSocketFrame("{\"event\":\"console\",\"data\":\"x\"}");
        ch.writeOutbound(shared);
        TextWebSocketFrame first = ch.readOutbound();
        TextWebSocketFrame second = ch.readOutbound();
        assertThat(first.text()).isEqualTo("{\"event\":\"logs\",\"data\":\"\"}");
        assertThat(second).isSameAs(shared);
        first.release();
        second.release();
        ch.finishAndReleaseAll();
    }
}
