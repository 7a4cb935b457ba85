package io.lightd.runtime;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The signals a stop may ask a server to end with (the create body's {@code stop_signal}), by their
 * POSIX names as Docker spells them. Many game servers save and exit only on {@code SIGINT} (^C).
 * A runtime delivers the chosen signal to the server's whole process tree.
 */
public enum StopSignal {
    SIGTERM(15), SIGINT(2), SIGQUIT(3), SIGHUP(1), SIGUSR1(10), SIGUSR2(12);

    /** The signal a stop sends when the create body names none. */
    public static final StopSignal DEFAULT = SIGTERM;

    private final int number;

    StopSignal(int number) {
        this.number = number;
    }

    /** The Linux signal number (x86-64 and arm64 alike for these six). */
    public int number() {
        return number;
    }

    /** The name without its {@code SIG} prefix, as {@code kill -INT} takes it. */
    public String shortName() {
        return name().substring(3);
    }

    /** The signal named {@code name} ({@code SIGINT}; case-insensitive), or empty. */
    public static Optional<StopSignal> fromName(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String upper = name.toUpperCase(Locale.ROOT);
        return Arrays.stream(values()).filter(s -> s.name().equals(upper)).findFirst();
    }

    /** {@code SIGTERM, SIGINT, ...}: for error texts. */
    public static String names() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}
