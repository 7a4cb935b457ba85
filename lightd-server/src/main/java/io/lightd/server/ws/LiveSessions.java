package io.lightd.server.ws;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.channel.ChannelFutureListener;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The open WebSocket sessions by token hash, so revoking a token closes its sessions (4003). Thread-safe. */
public final class LiveSessions {

    public static final int CLOSE_TOKEN_EXPIRED = 4001;
    public static final int CLOSE_TOKEN_REVOKED = 4003;

    private final Map<String, Set<Channel>> byToken = new ConcurrentHashMap<>();

    public void register(String tokenHash, Channel channel) {
        byToken.computeIfAbsent(tokenHash, h -> ConcurrentHashMap.newKeySet()).add(channel);
        channel.closeFuture().addListener(f -> byToken.computeIfPresent(tokenHash, (h, set) -> {
            set.remove(channel);
            return set.isEmpty() ? null : set;
        }));
    }

    /** Closes every session opened with the token whose hash is given. */
    public void closeAll(String tokenHash, int code, String reason) {
        Set<Channel> channels = byToken.remove(tokenHash);
        if (channels != null) {
            for (Channel channel : channels) {
                close(channel, code, reason);
            }
        }
    }

    /** Sends a close frame with code and reason, then closes the connection. */
    public static void close(Channel channel, int code, String reason) {
        if (channel.isActive()) {
            channel.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
