package io.lightd.server.it;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * What the in-process daemon logs while a test runs: every event that reaches the root logger, with
 * lightd's own loggers at DEBUG (so a stack trace on a DEBUG line is caught too). {@link #lines}
 * counts what a daemon with the shipped configuration (INFO, Netty at WARN) writes: one per event
 * plus one per line of its stack trace.
 */
final class CapturedLog implements AutoCloseable {

    private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    private final Logger lightd = context.getLogger("io.lightd");
    private final Level lightdLevel = lightd.getLevel();
    private final List<ILoggingEvent> events = new ArrayList<>();
    private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
            synchronized (events) {
                events.add(event);
            }
        }
    };

    private CapturedLog() {
        appender.setContext(context);
        appender.setName("captured");
        appender.start();
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(appender);
        lightd.setLevel(Level.DEBUG);
    }

    static CapturedLog start() {
        return new CapturedLog();
    }

    /** Lines the shipped configuration writes for what was captured so far. */
    int lines() {
        int lines = 0;
        for (ILoggingEvent e : snapshot()) {
            if (shipped(e)) {
                lines += 1 + (e.getThrowableProxy() == null ? 0
                        : ThrowableProxyUtil.asString(e.getThrowableProxy()).split("\n").length);
            }
        }
        return lines;
    }

    /** Lines the shipped configuration writes whose message contains {@code text} (a client's address, say). */
    int linesNaming(String text) {
        int lines = 0;
        for (ILoggingEvent e : snapshot()) {
            if (shipped(e) && e.getFormattedMessage().contains(text)) {
                lines += 1 + (e.getThrowableProxy() == null ? 0
                        : ThrowableProxyUtil.asString(e.getThrowableProxy()).split("\n").length);
            }
        }
        return lines;
    }

    /**
     * Lines of lightd's own loggers at DEBUG or above (a daemon run with {@code logging.level: DEBUG}
     * writes them) whose message contains {@code text}, a stack trace counted as one more line per frame.
     */
    int debugLinesNaming(String text) {
        int lines = 0;
        for (ILoggingEvent e : snapshot()) {
            if (e.getLoggerName().startsWith("io.lightd") && e.getLevel().isGreaterOrEqual(Level.DEBUG)
                    && e.getFormattedMessage().contains(text)) {
                lines += 1 + (e.getThrowableProxy() == null ? 0
                        : ThrowableProxyUtil.asString(e.getThrowableProxy()).split("\n").length);
            }
        }
        return lines;
    }

    /** Events of any level that carry a stack trace. */
    List<ILoggingEvent> withStackTraces() {
        return snapshot().stream().filter(e -> e.getThrowableProxy() != null).toList();
    }

    /** The captured events the shipped configuration writes, as text, for failure messages. */
    String describe() {
        StringBuilder b = new StringBuilder();
        for (ILoggingEvent e : snapshot()) {
            if (shipped(e) || e.getThrowableProxy() != null) {
                b.append(e.getLevel()).append(' ').append(e.getLoggerName()).append(" - ")
                        .append(e.getFormattedMessage())
                        .append(e.getThrowableProxy() == null ? "" : " [" + e.getThrowableProxy().getClassName() + "]")
                        .append('\n');
            }
        }
        return b.toString();
    }

    void clear() {
        synchronized (events) {
            events.clear();
        }
    }

    private static boolean shipped(ILoggingEvent e) {
        Level floor = e.getLoggerName().startsWith("io.netty") ? Level.WARN : Level.INFO;
        return e.getLevel().isGreaterOrEqual(floor);
    }

    private List<ILoggingEvent> snapshot() {
        synchronized (events) {
            return new ArrayList<>(events);
        }
    }

    @Override
    public void close() {
        context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(appender);
        appender.stop();
        lightd.setLevel(lightdLevel);
    }
}
