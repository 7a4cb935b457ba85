package io.lightd.protocol;

import java.util.Optional;

/** The power actions of the {@code power} event and the REST power routes. */
public enum PowerAction {
    /** Start the server process. */
    START("start"),
    /** Stop gracefully: the {@code stop_command} or the stop signal, then a kill at the stop timeout. */
    STOP("stop"),
    /** Kill the process at once (an install that runs is ended the same way). */
    KILL("kill"),
    /** Stop (as {@link #STOP}) and then start again. */
    RESTART("restart");

    private final String wireName;

    PowerAction(String wireName) {
        this.wireName = wireName;
    }

    /**
     * The name of this action on the wire.
     *
     * @return the lower-case name used as {@code action} of a {@code power} event and in the REST
     *         power route, e.g. {@code "restart"}
     */
    public String wireName() {
        return wireName;
    }

    /**
     * The action a wire name stands for; the inverse of {@link #wireName()}.
     *
     * @param name the {@code action} text a client sent; compared exactly (case-sensitive)
     * @return the action, or empty when {@code name} is no action's wire name
     */
    public static Optional<PowerAction> fromWireName(String name) {
        for (PowerAction a : values()) {
            if (a.wireName.equals(name)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }
}
