package io.lightd.server.console;

import io.netty.util.concurrent.Ticker;

/**
 * Caps the live console of one container at a rate of lines and of bytes per second (two token
 * buckets holding one second's worth each). What it refuses is dropped from the live stream only;
 * history and start-pattern matching see everything. Counts the lines it refused until they are
 * reported. Confined to the container's event loop.
 */
final class ConsoleThrottle {

    private final double linesPerNano;
    private final double bytesPerNano;
    private final double maxLines;
    private final double maxBytes;
    private final Ticker ticker;
    private double lines;
    private double bytes;
    private long last;
    private long skippedLines;

    ConsoleThrottle(int linesPerSecond, int bytesPerSecond, Ticker ticker) {
        this.linesPerNano = linesPerSecond / 1e9;
        this.bytesPerNano = bytesPerSecond / 1e9;
        this.maxLines = linesPerSecond;
        this.maxBytes = bytesPerSecond;
        this.ticker = ticker;
        this.lines = maxLines;
        this.bytes = maxBytes;
        this.last = ticker.nanoTime();
    }

    /**
     * True when a chunk of {@code lineCount} lines and {@code byteCount} bytes may go out now. A chunk
     * larger than a bucket goes out when that bucket is full (and leaves it in debt), so no chunk is
     * refused for its size alone.
     */
    boolean admit(int lineCount, long byteCount) {
        long now = ticker.nanoTime();
        long elapsed = now - last;
        last = now;
        lines = Math.min(maxLines, lines + elapsed * linesPerNano);
        bytes = Math.min(maxBytes, bytes + elapsed * bytesPerNano);
        if (lines >= Math.min(lineCount, maxLines) && bytes >= Math.min(byteCount, maxBytes)) {
            lines -= lineCount;
            bytes -= byteCount;
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
