package io.lightd.protocol;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

/**
 * Reads the fields of a JSON object a client sent (a REST body, or a record stored from one). An
 * absent field and a JSON {@code null} are the same; a field of the wrong type or out of range is
 * refused with an {@link IllegalArgumentException} whose message is the user-facing text, naming
 * the field. Stateless and thread-safe.
 */
public final class JsonFields {

    private JsonFields() {
    }

    /** The string {@code key}; refused when absent ({@code "<key> is required"}), not a string or blank. */
    public static String requiredString(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (absent(e)) {
            throw new IllegalArgumentException(key + " is required");
        }
        if (!isString(e) || e.getAsString().isBlank()) {
            throw new IllegalArgumentException(key + " must be a non-empty string");
        }
        return e.getAsString();
    }

    /** The string {@code key}, or null when absent; refused when it is not a string. */
    public static String optionalString(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (absent(e)) {
            return null;
        }
        if (!isString(e)) {
            throw new IllegalArgumentException(key + " must be a string");
        }
        return e.getAsString();
    }

    /** The boolean {@code key}, or {@code absent} when absent; refused when it is not {@code true} or {@code false}. */
    public static boolean optionalBoolean(JsonObject o, String key, boolean absent) {
        JsonElement e = o.get(key);
        if (absent(e)) {
            return absent;
        }
        if (!e.isJsonPrimitive() || !((JsonPrimitive) e).isBoolean()) {
            throw new IllegalArgumentException(key + " must be true or false");
        }
        return e.getAsBoolean();
    }

    /**
     * The whole number {@code key} from {@code min} to {@code max}, or {@code absent} when absent.
     * Refused when it is not a JSON number, has a fraction, or is out of range, as
     * {@code "<name> must be an integer from <min> to <max>"} ({@code "<name> must be a non-negative
     * integer"} for 0 to {@link Long#MAX_VALUE}).
     *
     * @param name the field as the user knows it, such as {@code limits.disk}
     */
    public static long integer(JsonObject o, String key, String name, long absent, long min, long max) {
        JsonElement e = o.get(key);
        if (absent(e)) {
            return absent;
        }
        try {
            if (e.isJsonPrimitive() && ((JsonPrimitive) e).isNumber()) {
                long value = e.getAsBigDecimal().longValueExact();
                if (value >= min && value <= max) {
                    return value;
                }
            }
        } catch (ArithmeticException | NumberFormatException notWhole) {
            // refused below
        }
        throw new IllegalArgumentException(name + " must be " + (min == 0 && max == Long.MAX_VALUE
                ? "a non-negative integer" : "an integer from " + min + " to " + max));
    }

    /** True for a JSON string. */
    public static boolean isString(JsonElement e) {
        return e != null && e.isJsonPrimitive() && ((JsonPrimitive) e).isString();
    }

    private static boolean absent(JsonElement e) {
        return e == null || e.isJsonNull();
    }
}
