package io.lightd.server.auth;

import io.lightd.protocol.PowerAction;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * What a console session may do besides watching. {@code console} (console output, state, stats and
 * logs) comes with every token; the others allow one kind of inbound frame each. The wire names are
 * those of {@code POST /auth/tokens} and of a signed token's {@code permissions} claim, where
 * {@code power} stands for the four power permissions.
 */
public enum Permission {
    CONSOLE("console"),
    COMMAND("command"),
    POWER_START("power.start"),
    POWER_STOP("power.stop"),
    POWER_RESTART("power.restart"),
    POWER_KILL("power.kill");

    /** The wire name that stands for every {@code power.*} permission. */
    public static final String ALL_POWER = "power";

    private final String wireName;

    Permission(String wireName) {
        this.wireName = wireName;
    }

    /** The name in requests, claims and {@code Error: permission denied (...)}. */
    public String wireName() {
        return wireName;
    }

    /** The permission a power action needs. */
    public static Permission forPower(PowerAction action) {
        return switch (action) {
            case START -> POWER_START;
            case STOP -> POWER_STOP;
            case RESTART -> POWER_RESTART;
            case KILL -> POWER_KILL;
        };
    }

    /** The permissions one wire name grants: one, or four for {@code power}; empty for an unknown name. */
    public static Optional<Set<Permission>> fromWireName(String name) {
        if (ALL_POWER.equals(name)) {
            return Optional.of(EnumSet.of(POWER_START, POWER_STOP, POWER_RESTART, POWER_KILL));
        }
        for (Permission p : values()) {
            if (p.wireName.equals(name)) {
                return Optional.of(EnumSet.of(p));
            }
        }
        return Optional.empty();
    }
}
