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

    /** A console event's two frames in one buffer are the two frames Netty would write, back to back. */
    @ParameterizedTest
    @ValueSource(ints = {0, 125, 126, 65535, 65536})
    void twoFramesInOneBufferAreBothFramesInOrder(int length) {
        byte[] first = "c".repeat(length).getBytes(StandardCharsets.UTF_8);
        byte[] second = "d".repeat(length + 1).getBytes(StandardCharsets.UTF_8);
        ByteBuf both = SharedFrames.texts(ByteBufAllocator.DEFAULT, first, second);
        ByteBuf one = SharedFrames.text(ByteBufAllocator.DEFAULT, first);
        ByteBuf two = SharedFrames.text(ByteBufAllocator.DEFAULT, second);
        try {
            assertThat(both.readableBytes()).isEqualTo(both.capacity())
                    .isEqualTo(SharedFrames.frameLength(first.length) + SharedFrames.frameLength(second.length));
            assertThat(ByteBufUtil.equals(both.slice(0, one.readableBytes()), one)).isTrue();
            assertThat(ByteBufUtil.equals(both.slice(one.readableBytes(), two.readableBytes()), two)).isTrue();
            assertThat(SharedFrames.payloads(both)).containsExactly(first, second);
        } finally {
            both.release();
            one.release();
            two.release();
        }
    }

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
