package io.lightd.server.logging;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Removes credentials from text bound for a log: the value of a {@code token} query parameter, a
 * bearer token, and the token in a {@code /auth/tokens/<token>} path. Lines of Netty, docker-java
 * and lightd alike pass through it (see the converters in this package), so a URI logged anywhere
 * cannot leak a token. Thread-safe.
 */
public final class Redaction {

    static final String MASK = "[redacted]";
    private static final Pattern QUERY_TOKEN = Pattern.compile("(?i)([?&;]token=)[^&;#\\s\"'<>]*");
    private static final Pattern BEARER = Pattern.compile("(?i)(bearer\\s+)[^\\s\"'<>,;]+");
    private static final Pattern TOKEN_PATH = Pattern.compile("(?i)(/auth/tokens/)[^/?#\\s\"'<>]+");

    private Redaction() {
    }

    /**
     * Masks every credential in {@code text} with {@code [redacted]}, keeping what leads up to it
     * ({@code ?token=}, {@code Bearer }, {@code /auth/tokens/}). Any thread.
     *
     * @param text a log message or URI; may be null
     * @return the text with credentials masked; the same instance when it holds neither
     *         {@code token} nor {@code bearer} (in any case); null for null
     */
    public static String redact(String text) {
        if (text == null) {
            return null;
        }
        String lower = text.toLowerCase(Locale.ROOT);
        if (!lower.contains("token") && !lower.contains("bearer")) {
            return text;
        }
        String out = QUERY_TOKEN.matcher(text).replaceAll("$1" + MASK);
        out = BEARER.matcher(out).replaceAll("$1" + MASK);
        return TOKEN_PATH.matcher(out).replaceAll("$1" + MASK);
    }
}
