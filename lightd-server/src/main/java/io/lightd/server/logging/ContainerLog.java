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

    public static final String MDC_KEY = "container";

    private final Logger logger;
    private final String id;
    private final String prefix;

    public ContainerLog(Logger logger, String id) {
        this.logger = logger;
        this.id = id;
        // Ids are checked against InternalIds, which allows no braces, so the id cannot act as a placeholder.
        this.prefix = "container " + id + ": ";
    }

    public void info(String format, Object... args) {
        if (logger.isInfoEnabled()) {
            try (MDC.MDCCloseable ignored = MDC.putCloseable(MDC_KEY, id)) {
                logger.info(prefix + format, args);
            }
        }
    }

    public void debug(String format, Object... args) {
        if (logger.isDebugEnabled()) {
            try (MDC.MDCCloseable ignored = MDC.putCloseable(MDC_KEY, id)) {
                logger.debug(prefix + format, args);
            }
        }
    }

    public void warn(String format, Object... args) {
        if (logger.isWarnEnabled()) {
            try (MDC.MDCCloseable ignored = MDC.putCloseable(MDC_KEY, id)) {
                logger.warn(prefix + format, args);
            }
        }
    }

    public void error(String format, Object... args) {
        if (logger.isErrorEnabled()) {
            try (MDC.MDCCloseable ignored = MDC.putCloseable(MDC_KEY, id)) {
                logger.error(prefix + format, args);
            }
        }
    }

    /**
     * Runs {@code work} with the id in the MDC: lines another layer (the runtime) writes during it
     * carry the id too.
     */
    public <T> T around(Supplier<T> work) {
        try (MDC.MDCCloseable ignored = MDC.putCloseable(MDC_KEY, id)) {
            return work.get();
        }
    }
}
