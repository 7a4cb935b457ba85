package io.lightd.server.ws;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts WebSocket connections in total and per container, against the configured caps. Thread-safe. */
public final class ConnectionLimiter {

    private final int maxTotal;
    private final int maxPerContainer;
    private final AtomicInteger total = new AtomicInteger();
    private final Map<String, Integer> perContainer = new ConcurrentHashMap<>();

    /**
     * @param maxTotal        the most WebSocket connections open at once ({@code limits.max_connections})
     * @param maxPerContainer the most to one container ({@code limits.max_connections_per_container})
     */
    public ConnectionLimiter(int maxTotal, int maxPerContainer) {
        this.maxTotal = maxTotal;
        this.maxPerContainer = maxPerContainer;
    }

    /** Takes a place for a connection to {@code containerId}; false when either cap is reached. */
    public boolean tryAcquire(String containerId) {
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            return false;
        }
        boolean[] admitted = {false};
        perContainer.compute(containerId, (id, n) -> {
            int count = n == null ? 0 : n;
            if (count >= maxPerContainer) {
                return n;
            }
            admitted[0] = true;
            return count + 1;
        });
        if (!admitted[0]) {
            total.decrementAndGet();
        }
        return admitted[0];
    }

    /** Gives back the place {@link #tryAcquire} took for {@code containerId}: once per accepted acquire. */
    public void release(String containerId) {
        perContainer.computeIfPresent(containerId, (id, n) -> n <= 1 ? null : n - 1);
        total.decrementAndGet();
    }

    /** The connections holding a place now, over all containers. */
    public int total() {
        return total.get();
    }
}
