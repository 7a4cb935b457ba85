package io.lightd.protocol;

import java.util.Optional;

/** The runtime state of a container as the protocol names it in {@code event} frames and in REST records. */
public enum ContainerState {
    /** The install runs; the server cannot be started until it ends. */
    INSTALLING("installing"),
    /** The install succeeded and the server has not run since: ready to start. */
    INSTALLED("installed"),
    /** A start was asked for and the process is being brought up; the start pattern has not matched yet. */
    STARTING("starting"),
    /** The process is up and its output matched the start pattern (or there is none). */
    RUNNING("running"),
    /** A stop was asked for; the process has not exited yet. */
    STOPPING("stopping"),
    /** No process runs: it exited, was killed, or a start or install failed. */
    EXIT("exit");

    private final String wireName;

    ContainerState(String wireName) {
        this.wireName = wireName;
    }

    /**
     * The name of this state on the wire.
     *
     * @return the lower-case name sent as {@code data} of an {@code event} frame and stored in
     *         the container record, e.g. {@code "running"}
     */
    public String wireName() {
        return wireName;
    }

    /**
     * Whether a process exists or is being brought up.
     *
     * @return true for starting, running and stopping; false for installing, installed and exit
     */
    public boolean isActive() {
        return this == STARTING || this == RUNNING || this == STOPPING;
    }

    /**
     * The state a wire name stands for; the inverse of {@link #wireName()}.
     *
     * @param name a wire name as read from a stored record, e.g. {@code "exit"}; compared exactly (case-sensitive)
     * @return the state, or empty when {@code name} is no state's wire name
     */
    public static Optional<ContainerState> fromWireName(String name) {
        for (ContainerState s : values()) {
            if (s.wireName.equals(name)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
