package io.lightd.server.hub;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The recent console text of one container, as lines, bounded by a line count and a byte count
 * (UTF-8); the oldest lines go first. The newest entry may be an unfinished line that later text
 * continues. Confined to the container's event loop.
 */
public final class ConsoleHistory {

    private final int maxLines;
    private final long maxBytes;
    private final ArrayDeque<String> lines = new ArrayDeque<>();
    private long bytes;
    private boolean lastComplete = true;

    public ConsoleHistory(int maxLines, long maxBytes) {
        this.maxLines = maxLines;
        this.maxBytes = maxBytes;
    }

    public void append(String text) {
        int start = 0;
        while (start < text.length()) {
            int newline = text.indexOf('\n', start);
            int end = newline < 0 ? text.length() : newline + 1;
            String piece = text.substring(start, end);
            if (!lastComplete) {
                String last = lines.pollLast();
                bytes -= utf8Length(last);
                piece = last + piece;
            }
            lines.addLast(piece);
            bytes += utf8Length(piece);
            lastComplete = newline >= 0;
            start = end;
        }
        while (lines.size() > maxLines || (bytes > maxBytes && lines.size() > 1)) {
            bytes -= utf8Length(lines.pollFirst());
        }
    }

    /** The last {@code count} lines (all when count is larger), oldest first, ending with a newline when non-empty. */
    public String tail(int count) {
        int skip = Math.max(0, lines.size() - count);
        StringBuilder out = new StringBuilder();
        Iterator<String> it = lines.iterator();
        for (int i = 0; it.hasNext(); i++) {
            String line = it.next();
            if (i >= skip) {
                out.append(line);
            }
        }
        if (out.length() > 0 && out.charAt(out.length() - 1) != '\n') {
            out.append('\n');
        }
        return out.toString();
    }

    public int lineCount() {
        return lines.size();
    }

    public long byteCount() {
        return bytes;
    }

    public void clear() {
        lines.clear();
        bytes = 0;
        lastComplete = true;
    }

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

    /** Seeds the history from a runtime's log tail, which may begin in the middle of a line or character. */
    public void seed(byte[] logTail, boolean startsMidLine) {
        String text = new String(logTail, StandardCharsets.UTF_8);
        if (startsMidLine) {
            int firstNewline = text.indexOf('\n');
            text = firstNewline < 0 ? "" : text.substring(firstNewline + 1);
        }
        append(text);
    }
}
