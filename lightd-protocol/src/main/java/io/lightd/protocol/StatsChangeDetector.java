package io.lightd.protocol;

/**
 * Decides which stats samples are sent: a sample goes out only when, after rounding cpu to 2
 * decimals, at least one field differs from the last one sent. Not thread-safe: one per container,
 * used from that container's event loop.
 */
public final class StatsChangeDetector {

    private Stats lastSent;

    /**
     * Offers a fresh sample; when it is to be sent it becomes the last one sent.
     *
     * @param sample a sample as the runtime measured it (not yet rounded)
     * @return the rounded sample to send, or {@code null} when it equals the last one sent
     */
    public Stats offer(Stats sample) {
        Stats rounded = sample.rounded();
        if (rounded.equals(lastSent)) {
            return null;
        }
        lastSent = rounded;
        return rounded;
    }

    /**
     * The last sample sent.
     *
     * @return the rounded sample last returned by {@link #offer}, or {@code null} if none since the
     *         last {@link #reset()}
     */
    public Stats lastSent() {
        return lastSent;
    }

    /** Forgets the last sample, so the next one is sent whatever it holds (after a restart). */
    public void reset() {
        lastSent = null;
    }
}
