package io.lightd.server.ws;

import io.lightd.server.auth.TokenStore;
import io.lightd.server.metrics.Metrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.time.Clock;

/**
 * A {@link WebSocketUpgrade} for the guards' own tests: puts only a session that does nothing of its
 * own after the guard, so an admitted request is upgraded (101) and nothing more is built. The real
 * pipelines are {@code LightdPipeline}'s, tested in {@code LightdPipelineTest}.
 */
final class UpgradeOnly implements WebSocketUpgrade {

    /** A session with nothing of its own. */
    static final class BareSession extends WebSocketSession {

        BareSession(int maxFrameBytes) {
            super(new Settings(new Metrics(), 20, 60, 30, Clock.systemUTC(), WebSocketDecoderConfig.newBuilder()
                    .maxFramePayloadLength(maxFrameBytes).allowExtensions(false).closeOnProtocolViolation(false).build()));
        }

        @Override
        protected void opened(ChannelHandlerContext ctx) {
        }

        @Override
        protected void onMessage(ChannelHandlerContext ctx, WebSocketFrame message) {
            message.release();
        }

        @Override
        protected void onClosing(ChannelHandlerContext ctx, Closing closing) {
        }

        @Override
        protected void closed(Channel channel) {
        }
    }

    @Override
    public WebSocketSession console(ChannelHandlerContext guard, String containerId, TokenStore.Grant grant) {
        BareSession session = new BareSession(65536);
        guard.pipeline().addAfter(guard.name(), null, session);
        return session;
    }

    @Override
    public WebSocketSession nodeStream(ChannelHandlerContext guard, TokenStore.Grant grant) {
        BareSession session = new BareSession(1024);
        guard.pipeline().addAfter(guard.name(), null, session);
        return session;
    }
}
