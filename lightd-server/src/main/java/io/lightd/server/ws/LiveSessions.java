package io.lightd.server.ws;

import io.lightd.server.auth.TokenStore;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.util.AttributeKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The open WebSocket sessions by token hash, so revoking a token closes its sessions (4003), and
 * shutting down closes them all (1001); each close is the closing handshake of the session's
 * {@link SessionLifecycleHandler}. Counts them for the metrics. Thread-safe.
 */
public final class LiveSessions {

    /** RFC 6455's going away: lightd shuts down (and the pong timeout's code). */
    public static final int CLOSE_GOING_AWAY = 1001;
    /** The session's token reached its expiry instant (lightd's own code, spec: websocket-api.md). */
    public static final int CLOSE_TOKEN_EXPIRED = 4001;
    /** The session's token was revoked or, for the master token, replaced (lightd's own code). */
    public static final int CLOSE_TOKEN_REVOKED = 4003;

    /** The grant a session was opened with. */
    private static final AttributeKey<TokenStore.Grant> GRANT = AttributeKey.valueOf("lightd.grant");

    private final Map<String, Set<Channel>> byToken = new ConcurrentHashMap<>();
    private final AtomicInteger open = new AtomicInteger();

    /** Registers a session with the grant it was opened with, for {@link #closeMatching}. */
    public void register(TokenStore.Grant grant, Channel channel) {
        channel.attr(GRANT).set(grant);
        register(grant.hash(), channel);
    }

    /**
     * Closes every session whose grant {@code matches} (a revocation by {@code jti} or subject);
     * revocations are rare, so the walk over all sessions costs nothing on the console path.
     */
    public void closeMatching(Predicate<TokenStore.Grant> matches, int code, String reason) {
        for (Set<Channel> channels : byToken.values()) {
            for (Channel channel : channels) {
                TokenStore.Grant grant = channel.attr(GRANT).get();
                if (grant != null && matches.test(grant)) {
                    SessionLifecycleHandler.close(channel, code, reason);
                }
            }
        }
    }

    /**
     * Registers a session under the hash of its token ({@code TokenStore.Grant#hash}), for
     * {@link #closeAll}; it leaves the table when its connection closes. Any thread.
     */
    public void register(String tokenHash, Channel channel) {
        // Added inside the map's atomic step, so a revocation walking this token's set either sees
        // the channel or runs before it is there.
        byToken.compute(tokenHash, (h, set) -> {
            Set<Channel> channels = set == null ? ConcurrentHashMap.newKeySet() : set;
            channels.add(channel);
            return channels;
        });
        open.incrementAndGet();
        channel.closeFuture().addListener(f -> {
            open.decrementAndGet();
            byToken.computeIfPresent(tokenHash, (h, set) -> {
                set.remove(channel);
                return set.isEmpty() ? null : set;
            });
        });
    }

    /** WebSocket sessions open now. */
    public int count() {
        return open.get();
    }

    /** Closes every session opened with the token whose hash is given. */
    public void closeAll(String tokenHash, int code, String reason) {
        Set<Channel> channels = byToken.remove(tokenHash);
        if (channels != null) {
            for (Channel channel : channels) {
                SessionLifecycleHandler.close(channel, code, reason);
            }
        }
    }

    /** Closes every session with code and reason; returns the close futures of their connections. */
    public List<ChannelFuture> closeEvery(int code, String reason) {
        List<ChannelFuture> closed = new ArrayList<>();
        for (Set<Channel> channels : byToken.values()) {
            for (Channel channel : channels) {
                SessionLifecycleHandler.close(channel, code, reason);
                closed.add(channel.closeFuture());
            }
        }
        return closed;
    }
}
