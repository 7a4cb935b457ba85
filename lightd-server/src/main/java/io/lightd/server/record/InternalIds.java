package io.lightd.server.record;

import java.util.regex.Pattern;

/** The rule for {@code internal_id}: safe in URLs, file names and engine names. */
public final class InternalIds {

    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private InternalIds() {
    }

    public static boolean isValid(String id) {
        return id != null && VALID.matcher(id).matches() && !id.contains("..");
    }

    public static String problem() {
        return "internal_id must match [A-Za-z0-9][A-Za-z0-9_.-]{0,63}";
    }
}
