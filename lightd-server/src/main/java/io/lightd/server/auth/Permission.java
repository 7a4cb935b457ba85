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
    /** Watch: console output, state, stats and {@code request_logs}; part of every grant. */
    CONSOLE("console"),
    /** Send {@code send_command} frames (write to the server's stdin). */
    COMMAND("command"),
    /** Send {@code power} frames with {@code action} {@code start}. */
    POWER_START("power.start"),
    /** Send {@code power} frames with {@code action} {@code stop}. */
    POWER_STOP("power.stop"),
    /** Send {@code power} frames with {@code action} {@code restart}. */
    POWER_RESTART("power.restart"),
    /** Send {@code power} frames with {@code action} {@code kill}. */
    POWER_KILL("power.kill");

    /** The wire name that stands for every {@code power.*} permission. */
    public static final String ALL_POWER = "power";

    private final String wireName;

    Permission(String wireName) {
        this.wireName = wireName;
    }

    /**
     * The name in requests, claims and {@code Error: permission denied (...)}.
     *
     * @return e.g. {@code "power.start"}
     */
    public String wireName() {
        return wireName;
    }

    /**
     * The permission a power action needs.
     *
     * @param action the action of an inbound {@code power} frame
     * @return the matching {@code power.*} permission
     */
    public static Permission forPower(PowerAction action) {
        return switch (action) {
            case START -> POWER_START;
            case STOP -> POWER_STOP;
            case RESTART -> POWER_RESTART;
            case KILL -> POWER_KILL;
        };
    }

    /**
     * The permissions one wire name grants.
     *
     * @param name a wire name from a token request or a {@code permissions} claim; exact, case-sensitive
     * @return one permission, or the four {@code power.*} ones for {@link #ALL_POWER}; empty for an
     *         unknown name
     */
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
