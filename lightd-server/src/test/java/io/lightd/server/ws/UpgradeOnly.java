package io.lightd.server.ws;

import io.lightd.server.auth.TokenStore;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;

/**
 * A {@link WebSocketUpgrade} for the guards' own tests: puts only Netty's protocol handler after
 * the guard, so an admitted request is upgraded (101) and nothing more is built. The real
 * pipelines are {@code LightdPipeline}'s, tested in {@code LightdPipelineTest}.
 */
final class UpgradeOnly implements WebSocketUpgrade {

    @Override
    public void console(ChannelHandlerContext guard, String containerId, TokenStore.Grant grant) {
        guard.pipeline().addAfter(guard.name(), null, new WebSocketServerProtocolHandler("/ws", null, false, 65536,
                false, true));
    }

    @Override
    public void nodeStream(ChannelHandlerContext guard, TokenStore.Grant grant) {
        guard.pipeline().addAfter(guard.name(), null, new WebSocketServerProtocolHandler(NodeStreamHandshake.PATH,
                null, false, 1024, false, true));
    }
}
