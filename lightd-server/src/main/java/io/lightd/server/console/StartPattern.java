package io.lightd.server.console;

import java.util.regex.Pattern;

/**
 * Watches console text for a container's {@code start_pattern}: each complete line is searched
 * without its terminal control sequences ({@link ControlSequences}) and without a trailing
 * {@code \r}; a partial line waits for its end, so a line that arrives in pieces still matches. A
 * partial line is kept up to {@value #MAX_LINE_CHARS} characters (the rest of an endless line is not
 * searched). Confined to the container's event loop.
 */
public final class StartPattern {

    /** The longest partial line kept while waiting for its end, in characters. */
    static final int MAX_LINE_CHARS = 16 * 1024;

    private final Pattern pattern;
    private final StringBuilder line = new StringBuilder();

    /** @param pattern the compiled {@code start_pattern}; never null */
    public StartPattern(Pattern pattern) {
        this.pattern = pattern;
    }

    /** A watcher for {@code pattern}, or null when the container has none (it counts as started at once). */
    public static StartPattern of(Pattern pattern) {
        return pattern == null ? null : new StartPattern(pattern);
    }

    /**
     * Feeds console text in the order it was written; true when a line completed by it matches (the
     * rest of the text is then not searched).
     */
    public boolean find(String text) {
        int start = 0;
        while (start < text.length()) {
            int newline = text.indexOf('\n', start);
            if (newline < 0) {
                if (line.length() < MAX_LINE_CHARS) {
                    line.append(text, start, Math.min(text.length(), start + MAX_LINE_CHARS));
                }
                return false;
            }
            line.append(text, start, newline);
            int end = line.length();
            if (end > 0 && line.charAt(end - 1) == '\r') {
                line.setLength(end - 1);
            }
            boolean found = pattern.matcher(ControlSequences.strip(line)).find();
            line.setLength(0);
            if (found) {
                return true;
            }
            start = newline + 1;
        }
        return false;
    }

    /** Forgets a partial line (a new run of the server begins). */
    public void reset() {
        line.setLength(0);
    }
}
