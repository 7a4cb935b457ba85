package io.lightd.server.ws;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.junit.jupiter.api.Test;

/** A close frame that answers lightd's own ends the connection; any other goes on to be answered. */
class CloseReplyGuardTest {

    @Test
    void theClientsReplyToOurCloseEndsTheConnectionWithoutASecondCloseFrame() {
        EmbeddedChannel ch = new EmbeddedChannel(CloseReplyGuard.INSTANCE);
        // As LiveSessions.close marks it, with the connection still open when the reply comes.
        ch.attr(LiveSessions.CLOSE_SENT).set(Boolean.TRUE);
        CloseWebSocketFrame reply = new CloseWebSocketFrame(4003, "token revoked");
        ch.writeInbound(reply);
        assertThat((Object) ch.readInbound()).as("not passed on to be answered").isNull();
        assertThat(reply.refCnt()).isZero();
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void aSessionGetsOneCloseFrameHoweverManyReasonsMeet() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAutoClose(false);
        ch.pipeline().addFirst(new io.netty.channel.ChannelOutboundHandlerAdapter() {
            @Override
            public void close(io.netty.channel.ChannelHandlerContext ctx, io.netty.channel.ChannelPromise promise) {
                promise.setSuccess(); // stays open, as a socket whose close frame is still on its way
            }
        });
        LiveSessions.close(ch, LiveSessions.CLOSE_TOKEN_REVOKED, "token revoked");
        LiveSessions.close(ch, LiveSessions.CLOSE_TOKEN_EXPIRED, "token expired");
        CloseWebSocketFrame ours = ch.readOutbound();
        assertThat(ours.statusCode()).isEqualTo(4003);
        ours.release();
        assertThat((Object) ch.readOutbound()).as("one close frame per session").isNull();
        ch.finishAndReleaseAll();
    }

    @Test
    void aCloseTheClientStartsIsPassedOn() {
        EmbeddedChannel ch = new EmbeddedChannel(CloseReplyGuard.INSTANCE);
        ch.writeInbound(new CloseWebSocketFrame(1000, "bye"));
        WebSocketFrame passed = ch.readInbound();
        assertThat(passed).isInstanceOf(CloseWebSocketFrame.class);
        passed.release();
        assertThat(ch.isOpen()).isTrue();
        ch.finishAndReleaseAll();
    }
}
