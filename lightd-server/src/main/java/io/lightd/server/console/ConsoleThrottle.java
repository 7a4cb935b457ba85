package io.lightd.server.console;

import io.lightd.server.limit.TokenBucket;
import io.netty.util.concurrent.Ticker;

/**
 * Caps the live console of one container at a rate of lines and of bytes per second: two
 * {@link TokenBucket}s holding one second's worth each. What it refuses is dropped from the live
 * stream only; history and start-pattern matching see everything. Counts the lines it refused until
 * they are reported. Confined to the container's event loop.
 */
final class ConsoleThrottle {

    private final TokenBucket lines;
    private final TokenBucket bytes;
    private final Ticker ticker;
    private long skippedLines;

    ConsoleThrottle(int linesPerSecond, int bytesPerSecond, Ticker ticker) {
        this.ticker = ticker;
        long now = ticker.nanoTime();
        this.lines = new TokenBucket(linesPerSecond, linesPerSecond, now);
        this.bytes = new TokenBucket(bytesPerSecond, bytesPerSecond, now);
    }

    /**
     * True when a chunk of {@code lineCount} lines and {@code byteCount} bytes may go out now: both
     * buckets cover it, and then both are charged. A chunk larger than a bucket goes out when that
     * bucket is full (and leaves it in debt), so no chunk is refused for its size alone.
     */
    boolean admit(int lineCount, long byteCount) {
        long now = ticker.nanoTime();
        lines.refill(now);
        bytes.refill(now);
        if (lines.covers(lineCount) && bytes.covers(byteCount)) {
            lines.take(lineCount);
            bytes.take(byteCount);
            return true;
        }
        skippedLines += lineCount;
        return false;
    }

    /** Lines refused since the last call. */
    long takeSkipped() {
        long n = skippedLines;
        skippedLines = 0;
        return n;
    }

    /** The lines a chunk of console text counts for: its line ends, or one for a partial line. */
    static int lineCount(String text) {
        int n = 0;
        for (int i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
            n++;
        }
        return Math.max(1, n);
    }
}
