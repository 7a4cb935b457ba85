package io.lightd.server.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A shared frame is byte for byte what Netty's own server-side encoder writes for the same text frame. */
class SharedFramesTest {

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 125, 126, 127, 65535, 65536, 200_000})
    void sameBytesAsNettysEncoder(int length) {
        byte[] json = "x".repeat(length).getBytes(StandardCharsets.UTF_8);
        ByteBuf ours = SharedFrames.text(ByteBufAllocator.DEFAULT, json);
        EmbeddedChannel netty = new EmbeddedChannel(new WebSocket13FrameEncoder(false));
        netty.writeOutbound(new TextWebSocketFrame(Unpooled.wrappedBuffer(json)));
        ByteBuf theirs = Unpooled.buffer();
        for (Object o; (o = netty.readOutbound()) != null; ) {
            ByteBuf part = (ByteBuf) o;
            theirs.writeBytes(part);
            part.release();
        }
        try {
            assertThat(ByteBufUtil.equals(ours, theirs)).as("frame of %d bytes", length).isTrue();
            assertThat(SharedFrames.payload(ours)).isEqualTo(json);
            assertThat(SharedFrames.headerLength(length)).isEqualTo(theirs.readableBytes() - length);
        } finally {
            ours.release();
            theirs.release();
            netty.finishAndReleaseAll();
        }
    }
}
