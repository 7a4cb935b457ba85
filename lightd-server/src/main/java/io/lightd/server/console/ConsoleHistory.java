package io.lightd.server.console;

import java.nio.charset.StandardCharsets;

/**
 * The recent console text of one container, kept as UTF-8 bytes in one ring buffer, bounded by a
 * line count and a byte count; the oldest lines go first. The newest line may be unfinished (no
 * newline yet); later text continues it.
 *
 * <p>Memory: the buffer grows with the text, in steps of at most 1/16 of its size (and at least
 * {@link #MIN_GROWTH_BYTES}), up to {@code maxBytes}, so a history costs about its bytes rather than
 * a {@code String} object and array per line (and two bytes per character for text outside
 * Latin-1). No line index is kept: the line limit is enforced by counting newlines as text comes
 * and goes, and {@link #tail} finds its lines by scanning back from the end, which only the rare
 * {@code request_logs} pays for.
 *
 * <p>A single line longer than {@code maxBytes} keeps only its last {@code maxBytes} bytes (from a
 * character boundary); every other line is kept whole or dropped whole.
 *
 * <p>Confined to the container's event loop.
 */
public final class ConsoleHistory {

    /** The smallest step the buffer grows by, and its first size. */
    static final int MIN_GROWTH_BYTES = 4096;

    private static final byte[] EMPTY = new byte[0];
    private static final byte NEWLINE = '\n';

    private final int maxLines;
    private final int maxBytes;
    /** The ring; its length is the capacity, at most {@link #maxBytes}. */
    private byte[] ring = EMPTY;
    /** Index in {@link #ring} of the oldest byte. */
    private int start;
    /** Bytes held. */
    private int size;
    /** Newline bytes held: complete lines. */
    private int newlines;

    /**
     * Creates an empty history; the buffer is allocated as text arrives.
     *
     * @param maxLines at most this many lines (an unfinished last line counts as one), at least 1
     * @param maxBytes at most this many bytes of UTF-8, at least 4 (one character)
     * @throws IllegalArgumentException when {@code maxLines} is below 1, or {@code maxBytes} below 4 or
     *                                  above 2<sup>31</sup> - 9
     */
    public ConsoleHistory(int maxLines, long maxBytes) {
        if (maxLines < 1) {
            throw new IllegalArgumentException("maxLines: " + maxLines + " (expected >= 1)");
        }
        if (maxBytes < 4 || maxBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected 4 to 2^31 - 9)");
        }
        this.maxLines = maxLines;
        this.maxBytes = (int) maxBytes;
    }

    /**
     * Appends console text; the oldest lines go when a limit is passed.
     *
     * @param text console text as the assembler hands it on: whole lines with their newline, or a
     *             partial line that later text continues
     */
    public void append(String text) {
        if (text.isEmpty()) {
            return;
        }
        append(text.getBytes(StandardCharsets.UTF_8));
    }

    private void append(byte[] utf8) {
        int offset = 0;
        int length = utf8.length;
        if (length > maxBytes) {
            // Only the end can stay, from its first whole line when it holds one; everything held goes.
            clear();
            offset = wholeLinesStart(utf8, length - maxBytes);
            length -= offset;
        }
        ensureRoom(length);
        while (size + length > maxBytes) {
            if (newlines == 0 && size > 0) {
                int firstNewline = indexOf(utf8, NEWLINE, offset, offset + length - 1);
                if (firstNewline >= 0) {
                    // The unfinished line ends within the text and other lines follow: that line goes whole.
                    discard(size);
                    length -= firstNewline + 1 - offset;
                    offset = firstNewline + 1;
                    continue;
                }
            }
            dropOldestLine(size + length - maxBytes);
        }
        int end = index(size);
        int first = Math.min(length, ring.length - end);
        System.arraycopy(utf8, offset, ring, end, first);
        System.arraycopy(utf8, offset + first, ring, 0, length - first);
        size += length;
        for (int i = offset; i < offset + length; i++) {
            if (utf8[i] == NEWLINE) {
                newlines++;
            }
        }
        while (lineCount() > maxLines) {
            dropOldestLine(0);
        }
    }

    /**
     * The last {@code count} lines (all when count is larger), oldest first, ending with a newline
     * when non-empty; empty for {@code count <= 0}.
     *
     * @param count how many of the newest lines, as {@code request_logs} asks
     * @return the text, an unfinished last line given its newline here; empty when nothing is held
     */
    public String tail(int count) {
        if (count <= 0 || size == 0) {
            return "";
        }
        int from = 0;
        int found = 0;
        // The last byte ends the last line (or belongs to the unfinished one): scan before it.
        for (int i = size - 2; i >= 0; i--) {
            if (ring[index(i)] == NEWLINE && ++found == count) {
                from = i + 1;
                break;
            }
        }
        boolean finished = ring[index(size - 1)] == NEWLINE;
        byte[] out = new byte[size - from + (finished ? 0 : 1)];
        copyOut(from, out, size - from);
        if (!finished) {
            out[out.length - 1] = NEWLINE;
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    /**
     * Lines held; an unfinished last line counts as one.
     *
     * @return from 0 to {@code maxLines}
     */
    public int lineCount() {
        return size == 0 ? 0 : newlines + (ring[index(size - 1)] == NEWLINE ? 0 : 1);
    }

    /**
     * UTF-8 bytes held.
     *
     * @return from 0 to {@code maxBytes}
     */
    public long byteCount() {
        return size;
    }

    /**
     * The buffer's size in bytes: what the history costs beyond a few fields.
     *
     * @return the ring's length, at most {@code maxBytes}; 0 before any text and after {@link #clear()}
     */
    public int capacity() {
        return ring.length;
    }

    /** Forgets everything and gives the buffer back. */
    public void clear() {
        ring = EMPTY;
        start = 0;
        size = 0;
        newlines = 0;
    }

    /**
     * Seeds the history from a runtime's log tail, which may begin in the middle of a line or character.
     *
     * @param logTail       the bytes of {@code ContainerRuntime.logTail}, decoded as UTF-8 (invalid bytes
     *                      become U+FFFD)
     * @param startsMidLine whether the tail was cut: its text up to the first newline is then dropped
     */
    public void seed(byte[] logTail, boolean startsMidLine) {
        String text = new String(logTail, StandardCharsets.UTF_8);
        if (startsMidLine) {
            int firstNewline = text.indexOf('\n');
            text = firstNewline < 0 ? "" : text.substring(firstNewline + 1);
        }
        append(text);
    }

    /** UTF-8 length of {@code s}, as {@link String#getBytes} would encode it (a lone surrogate as 1 byte). */
    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    // ---- ring ---------------------------------------------------------------------------------

    private int index(int position) {
        int i = start + position;
        return i >= ring.length ? i - ring.length : i;
    }

    /** Grows the ring, straightened, so that {@code more} bytes fit beside what it holds (up to maxBytes). */
    private void ensureRoom(int more) {
        int needed = Math.min(maxBytes, size + more);
        if (needed <= ring.length) {
            return;
        }
        long step = Math.max(MIN_GROWTH_BYTES, ring.length / 16);
        int capacity = (int) Math.min(maxBytes, Math.max(needed, ring.length + step));
        byte[] grown = new byte[capacity];
        copyOut(0, grown, size);
        ring = grown;
        start = 0;
    }

    private void copyOut(int from, byte[] into, int length) {
        int at = index(from);
        int first = Math.min(length, ring.length - at);
        System.arraycopy(ring, at, into, 0, first);
        System.arraycopy(ring, 0, into, first, length - first);
    }

    /**
     * Drops the oldest line; when it is the only line (unfinished) it is cut instead, by at least
     * {@code atLeast} bytes, from a character boundary.
     */
    private void dropOldestLine(int atLeast) {
        // Without a newline held there is nothing to look for: a long unfinished line (a progress bar
        // redrawn with \r) must not cost a scan of the whole ring on every append.
        for (int i = 0; newlines > 0 && i < size; i++) {
            if (ring[index(i)] == NEWLINE) {
                discard(i + 1);
                newlines--;
                return;
            }
        }
        // No newline: one unfinished line, longer than the room left.
        int cut = atLeast;
        while (cut < size && (ring[index(cut)] & 0xc0) == 0x80) {
            cut++;
        }
        discard(Math.min(cut, size));
    }

    private void discard(int bytes) {
        start = index(bytes);
        size -= bytes;
        if (size == 0) {
            start = 0;
        }
    }

    /**
     * Where the kept end of an over-long text starts: after the first newline at or after {@code from}
     * when one ends a line before the text's end, else at the first character boundary from there.
     */
    private static int wholeLinesStart(byte[] utf8, int from) {
        if (utf8[from - 1] == NEWLINE) {
            return from;
        }
        for (int i = from; i < utf8.length - 1; i++) {
            if (utf8[i] == NEWLINE) {
                return i + 1;
            }
        }
        int i = from;
        while (i < utf8.length && (utf8[i] & 0xc0) == 0x80) {
            i++;
        }
        return i;
    }

    /** The index of the first {@code b} in {@code bytes[from, to)}, or -1. */
    private static int indexOf(byte[] bytes, byte b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /** For tests: the ring's bytes in order. */
    byte[] bytes() {
        byte[] out = new byte[size];
        copyOut(0, out, size);
        return out;
    }

    @Override
    public String toString() {
        return "ConsoleHistory[" + lineCount() + " lines, " + size + " of " + maxBytes + " bytes, capacity "
                + ring.length + "]";
    }
}
