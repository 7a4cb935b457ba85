package io.lightd.server.ws;

import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.protocol.DecodeResult;
import io.lightd.protocol.InboundEvent;
import io.lightd.protocol.PowerAction;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The codec between whole messages and events: decoding, the binary-frame error, outbound event bytes as a text frame. */
class EventFrameCodecTest {

    private final EventFrameCodec codec = new EventFrameCodec(4096);

    @Test
    void textMessagesDecodeToEventsOrErrors() {
        TextWebSocketFrame power = new TextWebSocketFrame("{\"event\":\"power\",\"action\":\"kill\"}");
        TextWebSocketFrame nope = new TextWebSocketFrame("nope");
        assertThat(codec.decode(power)).isEqualTo(new DecodeResult.Decoded(new InboundEvent.Power(PowerAction.KILL)));
        assertThat(codec.decode(nope)).isEqualTo(
                new DecodeResult.Invalid(DecodeResult.Kind.INVALID_JSON, "Error: invalid JSON"));
        power.release();
        nope.release();
    }

    @Test
    void binaryMessagesAreAnError() {
        BinaryWebSocketFrame binary = new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2}));
        assertThat(codec.decode(binary)).isEqualTo(EventFrameCodec.BINARY);
        binary.release();
    }

    @Test
    void encodedEventBytesBecomeOneTextFrame() {
        TextWebSocketFrame frame = EventFrameCodec.frame("{\"event\":\"logs\",\"data\":\"\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(frame.text()).isEqualTo("{\"event\":\"logs\",\"data\":\"\"}");
        assertThat(frame.release()).isTrue();
    }
}
