package io.lightd.server.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import io.lightd.server.config.LightdConfig;
import java.util.Iterator;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code logging.level} and {@code logging.format} once the configuration is read: logback starts with lightd-logback.xml's
 * human-readable pattern, and {@code json} swaps the encoder of each root appender for
 * {@link JsonLineLayout}; the level of lightd's own loggers is set, the rest stays as lightd-logback.xml made it. Called once at start,
 * before the daemon logs anything of its own.
 */
public final class LogOutput {

    private LogOutput() {
    }

    /**
     * Sets the level of lightd's own loggers ({@code io.lightd.*}) to {@code logging.level}; the
     * libraries' levels stay as lightd-logback.xml set them. Does nothing when logback is not the SLF4J backend.
     *
     * @param level the configured level
     */
    public static void level(LightdConfig.LogLevel level) {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.getLogger("io.lightd").setLevel(Level.toLevel(level.name()));
        }
    }

    /**
     * Swaps the root appenders' encoders for {@link JsonLineLayout} when {@code format} is {@code json}.
     * Does nothing for {@code text}, or when logback is not the SLF4J backend.
     *
     * @param format the configured format
     */
    public static void use(LightdConfig.LogFormat format) {
        if (format != LightdConfig.LogFormat.JSON
                || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            if (it.next() instanceof OutputStreamAppender<ILoggingEvent> appender) {
                JsonLineLayout layout = new JsonLineLayout();
                layout.setContext(context);
                layout.start();
                LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
                encoder.setContext(context);
                encoder.setLayout(layout);
                encoder.start();
                appender.stop();
                appender.setEncoder(encoder);
                appender.start();
            }
        }
    }
}
