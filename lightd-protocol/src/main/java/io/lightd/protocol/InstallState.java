package io.lightd.protocol;

import java.util.Optional;

/** The install state of a container's record: {@code installing}, {@code installed} or {@code failed}. */
public enum InstallState {
    INSTALLING("installing"),
    INSTALLED("installed"),
    FAILED("failed");

    private final String wireName;

    InstallState(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<InstallState> fromWireName(String name) {
        for (InstallState s : values()) {
            if (s.wireName.equals(name)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
