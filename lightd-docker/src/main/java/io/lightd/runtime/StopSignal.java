package io.lightd.runtime;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The signals a stop may ask a server to end with (the create body's {@code stop_signal}), by their
 * POSIX names as Docker spells them. Many game servers save and exit only on {@code SIGINT} (^C).
 * A runtime delivers the chosen signal to the server's whole process tree.
 *
 * <p>The constants, with their Linux numbers: {@code SIGTERM} (15, terminate; the {@link #DEFAULT}),
 * {@code SIGINT} (2, interrupt, as ^C sends it), {@code SIGQUIT} (3, quit), {@code SIGHUP} (1, hang-up),
 * {@code SIGUSR1} (10) and {@code SIGUSR2} (12, user-defined). Immutable; any thread.
 */
public enum StopSignal {
    /** Terminate (15): what Docker and init systems send by default. */
    SIGTERM(15),
    /** Interrupt (2), as ^C sends it: the save-and-exit signal of many game servers. */
    SIGINT(2),
    /** Quit (3): terminate, and by default dump core. */
    SIGQUIT(3),
    /** Hang-up (1): the terminal went away; some daemons reload on it instead. */
    SIGHUP(1),
    /** User-defined signal 1 (10): whatever the server makes of it. */
    SIGUSR1(10),
    /** User-defined signal 2 (12): whatever the server makes of it. */
    SIGUSR2(12);

    /** The signal a stop sends when the create body names none. */
    public static final StopSignal DEFAULT = SIGTERM;

    private final int number;

    StopSignal(int number) {
        this.number = number;
    }

    /**
     * The Linux signal number.
     *
     * @return the number, the same on x86-64 and arm64 for these six (e.g. 2 for {@code SIGINT})
     */
    public int number() {
        return number;
    }

    /**
     * The name without its {@code SIG} prefix, as {@code kill -INT} takes it.
     *
     * @return e.g. {@code "INT"}
     */
    public String shortName() {
        return name().substring(3);
    }

    /**
     * The signal named {@code name}, as a create body's {@code stop_signal} gives it.
     *
     * @param name a name with its {@code SIG} prefix ({@code SIGINT}), case-insensitive; may be null
     * @return the signal, or empty when {@code name} is null or names none of the six
     */
    public static Optional<StopSignal> fromName(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String upper = name.toUpperCase(Locale.ROOT);
        return Arrays.stream(values()).filter(s -> s.name().equals(upper)).findFirst();
    }

    /**
     * All names, for error texts.
     *
     * @return {@code "SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2"}
     */
    public static String names() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}
