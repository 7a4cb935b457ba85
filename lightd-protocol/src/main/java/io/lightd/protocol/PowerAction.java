package io.lightd.protocol;

import java.util.Optional;

/** The power actions of the {@code power} event and the REST power routes. */
public enum PowerAction {
    START("start"),
    STOP("stop"),
    KILL("kill"),
    RESTART("restart");

    private final String wireName;

    PowerAction(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<PowerAction> fromWireName(String name) {
        for (PowerAction a : values()) {
            if (a.wireName.equals(name)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }
}
