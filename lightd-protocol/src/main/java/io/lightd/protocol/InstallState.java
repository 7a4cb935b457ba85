package io.lightd.protocol;

import java.util.Optional;

/** The install state of a container's record: {@code installing}, {@code installed} or {@code failed}. */
public enum InstallState {
    /** The install runs; a record found in this state at daemon start-up is marked {@link #FAILED}. */
    INSTALLING("installing"),
    /** The install completed (its script, when there is one, exited with status 0); the server may be started. */
    INSTALLED("installed"),
    /**
     * The install failed (non-zero exit, a runtime error, a kill during it, or a daemon stop during it);
     * start and restart are refused until a reinstall.
     */
    FAILED("failed");

    private final String wireName;

    InstallState(String wireName) {
        this.wireName = wireName;
    }

    /**
     * The name of this state in REST records and the stored record.
     *
     * @return the lower-case name, e.g. {@code "failed"}
     */
    public String wireName() {
        return wireName;
    }

    /**
     * The install state a wire name stands for; the inverse of {@link #wireName()}.
     *
     * @param name a wire name as read from a stored record; compared exactly (case-sensitive)
     * @return the state, or empty when {@code name} is no install state's wire name
     */
    public static Optional<InstallState> fromWireName(String name) {
        for (InstallState s : values()) {
            if (s.wireName.equals(name)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
