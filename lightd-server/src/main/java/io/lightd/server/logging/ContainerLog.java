package io.lightd.server.logging;

import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * Log lines about one container. Each starts with {@code container <id>:} and carries the id in the
 * MDC under {@link #MDC_KEY} while it is written, so the text format reads naturally and the JSON
 * format gets a {@code container} field to filter on. Lines are rare (one per meaningful event,
 * never per console line), so the MDC is set per line rather than around every task. Thread-safe.
 */
public final class ContainerLog {

    /**
     * The MDC key holding the container's {@code internal_id} while a line is written; the JSON
     * format's field name.
     */
    public static final String MDC_KEY = "container";

    private final Logger logger;
    private final String id;
    private final String prefix;

    /**
     * Creates the log of one container.
     *
     * @param logger the class logger the lines are written to
     * @param id     the container's {@code internal_id}, already checked by {@code InternalIds}
     */
    public ContainerLog(Logger logger, String id) {
        this.logger = logger;
        this.id = id;
        // Ids are checked against InternalIds, which allows no braces, so the id cannot act as a placeholder.
        this.prefix = "container " + id + ": ";
    }

    /**
     * Writes one line at INFO (nothing is formatted when the level is off).
     *
     * @param format an SLF4J message pattern ({@code {}} placeholders), after the {@code container <id>: } prefix
     * @param args   the placeholder values; a last {@link Throwable} is logged with its stack trace
     */
    public void info(String format, Object... args) {
        if (logger.isInfoEnabled()) {
            try (MDC.MDCCloseable ignored = MDC.putCloseable(MDC_KEY, id)) {
                logger.info(prefix + format, args);
            }
        }
    }

    /**
     * Writes one line at DEBUG (nothing is formatted when the level is off).
     *
     * @param format an SLF4J message pattern ({@code {}} placeholders), after the {@code container <id>: } prefix
     * @param args   the placeholder values; a last {@link Throwable} is logged with its stack trace
     */
    public void debug(String format, Object... args) {
        if (logger.isDebugEnabled()) {
            try (MDC.MDCCloseable ignored = MDC.putCloseable(MDC_KEY, id)) {
                logger.debug(prefix + format, args);
            }
        }
    }

    /**
     * Writes one line at WARN (nothing is formatted when the level is off).
     *
     * @param format an SLF4J message pattern ({@code {}} placeholders), after the {@code container <id>: } prefix
     * @param args   the placeholder values; a last {@link Throwable} is logged with its stack trace
     */
    public void warn(String format, Object... args) {
        if (logger.isWarnEnabled()) {
            try (MDC.MDCCloseable ignored = MDC.putCloseable(MDC_KEY, id)) {
                logger.warn(prefix + format, args);
            }
        }
    }

    /**
     * Writes one line at ERROR (nothing is formatted when the level is off).
     *
     * @param format an SLF4J message pattern ({@code {}} placeholders), after the {@code container <id>: } prefix
     * @param args   the placeholder values; a last {@link Throwable} is logged with its stack trace
     */
    public void error(String format, Object... args) {
        if (logger.isErrorEnabled()) {
            try (MDC.MDCCloseable ignored = MDC.putCloseable(MDC_KEY, id)) {
                logger.error(prefix + format, args);
            }
        }
    }

    /**
     * Runs {@code work} with the id in the MDC: lines another layer (the runtime) writes during it
     * carry the id too. On the caller's thread; the MDC entry is removed afterwards.
     *
     * @param <T>  what {@code work} returns
     * @param work the work to run at once
     * @return what {@code work} returned
     */
    public <T> T around(Supplier<T> work) {
        try (MDC.MDCCloseable ignored = MDC.putCloseable(MDC_KEY, id)) {
            return work.get();
        }
    }
}
