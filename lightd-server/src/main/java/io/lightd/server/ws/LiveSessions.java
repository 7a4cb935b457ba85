package io.lightd.server.ws;

import io.lightd.server.auth.TokenStore;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The open WebSocket sessions by token hash, so revoking a token closes its sessions (4003), and
 * shutting down closes them all (1001); each close is the closing handshake of the
 * {@link WebSocketSession}. Counts them for the metrics. A session is registered when it opens and
 * unregisters itself when its connection ends, so the table keeps no listener, attribute or wrapper
 * of its own per session. Thread-safe.
 */
public final class LiveSessions {

    /** RFC 6455's going away: lightd shuts down (and the pong timeout's code). */
    public static final int CLOSE_GOING_AWAY = 1001;
    /** The session's token reached its expiry instant (lightd's own code, spec: websocket-api.md). */
    public static final int CLOSE_TOKEN_EXPIRED = 4001;
    /** The session's token was revoked or, for the master token, replaced (lightd's own code). */
    public static final int CLOSE_TOKEN_REVOKED = 4003;

    /** A session as the table knows it. */
    public interface Session {

        /** The grant a revocation by {@code jti} or subject is matched against; null for none. */
        TokenStore.Grant revocable();

        /** The session's connection. */
        Channel channel();

        /** Starts the session's closing handshake; any thread. */
        void close(int code, String reason);
    }

    private final Map<String, Set<Session>> byToken = new ConcurrentHashMap<>();
    private final AtomicInteger open = new AtomicInteger();

    /**
     * Closes every session whose grant {@code matches} (a revocation by {@code jti} or subject);
     * revocations are rare, so the walk over all sessions costs nothing on the console path.
     */
    public void closeMatching(Predicate<TokenStore.Grant> matches, int code, String reason) {
        for (Set<Session> sessions : byToken.values()) {
            for (Session session : sessions) {
                TokenStore.Grant grant = session.revocable();
                if (grant != null && matches.test(grant)) {
                    session.close(code, reason);
                }
            }
        }
    }

    /**
     * Registers a session under the hash of its token ({@code TokenStore.Grant#hash}), for
     * {@link #closeAll}; the session {@link #unregister unregisters} itself when its connection
     * closes. Any thread.
     */
    public void register(String tokenHash, Session session) {
        // Added inside the map's atomic step, so a revocation walking this token's set either sees
        // the session or runs before it is there.
        byToken.compute(tokenHash, (h, set) -> {
            Set<Session> sessions = set == null ? ConcurrentHashMap.newKeySet() : set;
            sessions.add(session);
            return sessions;
        });
        open.incrementAndGet();
    }

    /** Takes out a session {@link #register} added under {@code tokenHash}, once its connection has closed. Any thread. */
    public void unregister(String tokenHash, Session session) {
        open.decrementAndGet();
        byToken.computeIfPresent(tokenHash, (h, set) -> {
            set.remove(session);
            return set.isEmpty() ? null : set;
        });
    }

    /** WebSocket sessions open now. */
    public int count() {
        return open.get();
    }

    /** Closes every session opened with the token whose hash is given. */
    public void closeAll(String tokenHash, int code, String reason) {
        Set<Session> sessions = byToken.remove(tokenHash);
        if (sessions != null) {
            for (Session session : sessions) {
                session.close(code, reason);
            }
        }
    }

    /** Closes every session with code and reason; returns the close futures of their connections. */
    public List<ChannelFuture> closeEvery(int code, String reason) {
        List<ChannelFuture> closed = new ArrayList<>();
        for (Set<Session> sessions : byToken.values()) {
            for (Session session : sessions) {
                session.close(code, reason);
                closed.add(session.channel().closeFuture());
            }
        }
        return closed;
    }
}
