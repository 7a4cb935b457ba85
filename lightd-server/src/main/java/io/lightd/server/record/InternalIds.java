package io.lightd.server.record;

import java.util.regex.Pattern;

/** The rule for {@code internal_id}: safe in URLs, file names and engine names. */
public final class InternalIds {

    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private InternalIds() {
    }

    /**
     * Whether {@code id} may be an {@code internal_id}.
     *
     * @param id the candidate, e.g. from a create body or a URL path; may be null
     * @return true when it matches {@code [A-Za-z0-9][A-Za-z0-9_.-]{0,63}} and holds no {@code ..}
     */
    public static boolean isValid(String id) {
        return id != null && VALID.matcher(id).matches() && !id.contains("..");
    }

    /**
     * The rule in words, for error texts.
     *
     * @return {@code internal_id must match [A-Za-z0-9][A-Za-z0-9_.-]{0,63}}
     */
    public static String problem() {
        return "internal_id must match [A-Za-z0-9][A-Za-z0-9_.-]{0,63}";
    }
}
