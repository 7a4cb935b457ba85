package io.lightd.server.record;

import java.util.regex.Pattern;

/** The rule for {@code internal_id}: safe in URLs, file names and engine names. */
public final class InternalIds {

    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private InternalIds() {
    }

    /**
     * True when {@code id} (null allowed, and not valid) is 1 to 64 of {@code [A-Za-z0-9_.-]}, starts
     * with a letter or digit, and holds no {@code ..}.
     */
    public static boolean isValid(String id) {
        return id != null && VALID.matcher(id).matches() && !id.contains("..");
    }

    /** The user-facing text of an id that is not {@linkplain #isValid valid}. */
    public static String problem() {
        return "internal_id must match [A-Za-z0-9][A-Za-z0-9_.-]{0,63}";
    }
}
