package io.lightd.server.ws;

import io.lightd.server.auth.TokenStore;
import io.netty.channel.ChannelHandlerContext;

/**
 * What a handshake guard calls once it has admitted a connection: builds the WebSocket part of
 * that connection's pipeline right after the guard (the guard then removes itself and runs the
 * handshake, {@link HandshakeGuard}). Implemented where every pipeline is built
 * ({@code io.lightd.server.pipeline.LightdPipeline}); this narrow interface keeps the guards from
 * depending on that place. Called on the connection's event loop.
 */
public interface WebSocketUpgrade {

    /**
     * Builds a console session's handlers after {@code guard}.
     *
     * @param guard the context of the guard that admitted the connection
     * @param containerId the container's internal id, canonical (as the hub knows it)
     * @param grant what the presented token allows, and until when
     * @return the session, which opens when the guard's handshake has succeeded
     */
    WebSocketSession console(ChannelHandlerContext guard, String containerId, TokenStore.Grant grant);

    /**
     * Builds the node stream's handlers after {@code guard}.
     *
     * @param guard the context of the guard that admitted the connection
     * @param grant the master token's grant
     * @return the session, which opens when the guard's handshake has succeeded
     */
    WebSocketSession nodeStream(ChannelHandlerContext guard, TokenStore.Grant grant);
}
