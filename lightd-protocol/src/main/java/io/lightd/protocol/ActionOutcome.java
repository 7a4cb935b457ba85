package io.lightd.protocol;

import java.util.Locale;

/**
 * How a power action, command or reinstall ended, the same for the WebSocket and the REST API:
 * accepted, or refused for one of a closed set of reasons. Each API tells the outcome its own way
 * (REST as an HTTP status, the WebSocket as a daemon message or, for an unknown container, not at
 * all); the metrics count power actions by {@link #label()}.
 */
public enum ActionOutcome {
    /** Carried out, or under way (a start or stop completes later, told through state events). */
    ACCEPTED,
    /** Refused: the container's state does not allow it now (not running, installing, over its disk limit, …). */
    CONFLICT,
    /** Refused: no container has this id. */
    NOT_FOUND,
    /** Refused: the container runtime cannot be reached. */
    UNAVAILABLE,
    /** The runtime was asked and failed for another reason. */
    FAILED;

    /** The value of the {@code result} label of {@code lightd_power_actions_total}: the name in lower case. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
