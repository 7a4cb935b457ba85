package io.lightd.runtime.docker;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Fails a test class when Netty's leak detector reported a leaked buffer while it ran: collects
 * the detector's log reports, and after the class forces a collection and allocates a little so
 * the detector looks at its queue. Also keeps the test logs at INFO.
 */
public final class NettyLeakCheck implements BeforeAllCallback, AfterAllCallback {

    private final List<String> reports = new CopyOnWriteArrayList<>();
    private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
            if (event.getFormattedMessage().contains("LEAK:")) {
                reports.add(event.getFormattedMessage());
            }
        }
    };

    @Override
    public void beforeAll(ExtensionContext context) {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.INFO);
        appender.setContext((ch.qos.logback.classic.LoggerContext) LoggerFactory.getILoggerFactory());
        appender.start();
        leakLogger().addAppender(appender);
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        try {
            for (int round = 0; round < 5 && reports.isEmpty(); round++) {
                System.gc();
                Thread.sleep(50); // let the reference queue fill; the check is below, not a timing
                for (int i = 0; i < 64; i++) {
                    ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                    probe.release();
                }
            }
        } finally {
            leakLogger().detachAppender(appender);
            appender.stop();
        }
        if (!reports.isEmpty()) {
            throw new AssertionError(reports.size() + " Netty leak report(s) in " + context.getDisplayName()
                    + ":\n" + String.join("\n\n", reports));
        }
    }

    private static Logger leakLogger() {
        return (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
    }
}
