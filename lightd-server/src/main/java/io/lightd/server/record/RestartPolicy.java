package io.lightd.server.record;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.lightd.protocol.JsonFields;
import java.time.Duration;
import java.util.Locale;

/**
 * The create body's {@code restart_policy}: what lightd does when a server exits without anyone
 * asking, in Docker's terms. {@code no} never restarts; {@code on-failure} restarts after a non-zero
 * exit; {@code always} after any exit nobody asked for. A stop or kill someone asked for (and lightd's
 * own shutdown) is never a crash. {@code max_retries} is how many restarts lightd attempts (0 = no
 * limit, as in Docker) among the crashes of the last {@code window_seconds} (lightd's own addition:
 * older crashes are forgotten); a requested start forgets them all, as Docker's {@code docker start}
 * resets its restart count. Between attempts lightd waits 1 s, 2 s, 4 s… capped at 30 s.
 *
 * <p>This is lightd's own policy, carried out the same way on every runtime, not the engine's
 * restart policy: the engine would restart the container behind lightd's attach and state machine.
 * Immutable.
 *
 * @param name          which exits are restarted after
 * @param maxRetries    the most restart attempts among the crashes of the window, 0 to 1000; 0 for no limit
 * @param windowSeconds how long a crash counts, in seconds, 1 to 86400 ({@link #DEFAULT_WINDOW_SECONDS} when not given)
 */
public record RestartPolicy(Name name, int maxRetries, int windowSeconds) {

    /** The policy of a container created without one. */
    public static final RestartPolicy NONE = new RestartPolicy(Name.NO, 0, RestartPolicy.DEFAULT_WINDOW_SECONDS);
    /** {@code window_seconds} when the body gives none. */
    public static final int DEFAULT_WINDOW_SECONDS = 300;
    /** The longest wait between two restart attempts. */
    public static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    /**
     * The policy names, as Docker spells them: {@code NO} ({@code "no"}), {@code ON_FAILURE}
     * ({@code "on-failure"}) and {@code ALWAYS} ({@code "always"}).
     */
    public enum Name {
        /** {@code "no"}: a container that stops stays stopped. */
        NO("no"),
        /**
         * {@code "on-failure"}: restarted after an exit nobody asked for with a non-zero code,
         * within {@code max_retries}.
         */
        ON_FAILURE("on-failure"),
        /** {@code "always"}: restarted after any exit nobody asked for, within {@code max_retries}. */
        ALWAYS("always");

        private final String wireName;

        Name(String wireName) {
            this.wireName = wireName;
        }

        /**
         * The name in the create body and the record.
         *
         * @return {@code "no"}, {@code "on-failure"} or {@code "always"}
         */
        public String wireName() {
            return wireName;
        }
    }

    /**
     * Checks the ranges that hold for any policy.
     *
     * @param name          which exits are restarted after
     * @param maxRetries    at least 0
     * @param windowSeconds at least 1
     * @throws IllegalArgumentException when {@code maxRetries} is negative or {@code windowSeconds} below 1
     */
    public RestartPolicy {
        if (maxRetries < 0 || windowSeconds < 1) {
            throw new IllegalArgumentException("restart_policy: max_retries must be >= 0 and window_seconds >= 1");
        }
    }

    /**
     * Whether an exit nobody asked for is a crash this policy restarts after.
     *
     * @param exitCode the exit code of the server's process
     * @return false for {@code no}; true for a non-zero code with {@code on-failure}; always true for {@code always}
     */
    public boolean restartsAfter(int exitCode) {
        return switch (name) {
            case NO -> false;
            case ON_FAILURE -> exitCode != 0;
            case ALWAYS -> true;
        };
    }

    /**
     * Whether the crashes inside the window still allow one more attempt.
     *
     * @param crashes the crashes counted in the window, the one just seen included
     * @return true when {@code maxRetries} is 0 (no limit) or {@code crashes} is at most {@code maxRetries}
     */
    public boolean allowsAttempt(int crashes) {
        return maxRetries == 0 || crashes <= maxRetries;
    }

    /**
     * The wait before a restart attempt: 1 s, 2 s, 4 s… at most {@link #MAX_BACKOFF}.
     *
     * @param attempt the attempt's number, 1-based (values below 1 count as 1)
     * @return 2<sup>attempt-1</sup> seconds, capped at 30 s
     */
    public static Duration backoff(int attempt) {
        int shift = Math.max(0, Math.min(attempt - 1, 5));
        return Duration.ofSeconds(Math.min(MAX_BACKOFF.toSeconds(), 1L << shift));
    }

    /**
     * The policy as it is stored in the record and shown by REST.
     *
     * @return a new object {@code {"name":..., "max_retries":..., "window_seconds":...}}
     */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("name", name.wireName());
        o.addProperty("max_retries", maxRetries);
        o.addProperty("window_seconds", windowSeconds);
        return o;
    }

    /**
     * Reads the create body's {@code restart_policy} (absent or null: {@link #NONE}). Throws
     * {@link IllegalArgumentException} with the user-facing text for a bad one.
     *
     * @param json the {@code restart_policy} value; {@code name} is matched case-insensitively,
     *             {@code max_retries} defaults to 0 and {@code window_seconds} to 300
     * @return the policy
     */
    public static RestartPolicy fromJson(JsonElement json) {
        if (json == null || json.isJsonNull()) {
            return NONE;
        }
        if (!json.isJsonObject()) {
            throw new IllegalArgumentException("restart_policy must be an object with name, max_retries and window_seconds");
        }
        JsonObject o = json.getAsJsonObject();
        JsonElement nameJson = o.get("name");
        if (!JsonFields.isString(nameJson)) {
            throw new IllegalArgumentException("restart_policy.name must be \"no\", \"on-failure\" or \"always\"");
        }
        Name name = null;
        for (Name n : Name.values()) {
            if (n.wireName().equals(nameJson.getAsString().toLowerCase(Locale.ROOT))) {
                name = n;
            }
        }
        if (name == null) {
            throw new IllegalArgumentException("restart_policy.name must be \"no\", \"on-failure\" or \"always\"");
        }
        int retries = intField(o, "max_retries", 0, 0, 1000);
        int window = intField(o, "window_seconds", DEFAULT_WINDOW_SECONDS, 1, 86_400);
        return new RestartPolicy(name, retries, window);
    }

    private static int intField(JsonObject o, String key, int fallback, int min, int max) {
        return (int) JsonFields.integer(o, key, "restart_policy." + key, fallback, min, max);
    }
}
