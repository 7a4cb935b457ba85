package io.lightd.protocol;

import java.util.Optional;

/** The runtime state of a container as the protocol names it in {@code event} frames and in REST records. */
public enum ContainerState {
    INSTALLING("installing"),
    INSTALLED("installed"),
    STARTING("starting"),
    RUNNING("running"),
    STOPPING("stopping"),
    EXIT("exit");

    private final String wireName;

    ContainerState(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** True while a process exists or is being brought up: starting, running, stopping. */
    public boolean isActive() {
        return this == STARTING || this == RUNNING || this == STOPPING;
    }

    public static Optional<ContainerState> fromWireName(String name) {
        for (ContainerState s : values()) {
            if (s.wireName.equals(name)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
