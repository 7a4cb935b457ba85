package io.lightd.runtime.process;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.lightd.runtime.Terminal;
import io.netty.buffer.ByteBufAllocator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The process runtime says at its start when the daemon's {@code PATH} has no {@code stty}, which every
 * server on a terminal needs; the runtime is real, with a {@code PATH} holding only {@code setsid}.
 */
class ProcessRuntimeSttyTest {

    @TempDir
    Path base;

    @TempDir
    Path bin;

    private final Logger logger = (Logger) LoggerFactory.getLogger(ProcessRuntime.class);
    private final ListAppender<ILoggingEvent> captured = new ListAppender<>();

    @BeforeEach
    void capture() {
        captured.start();
        logger.addAppender(captured);
    }

    @AfterEach
    void release() {
        logger.detachAppender(captured);
    }

    private List<String> warnings() {
        return captured.list.stream().filter(e -> e.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    private static Path onTheHostsPath(String name) {
        for (String dir : ProcessRuntime.DEFAULT_PATH.split(":")) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError(name + " is not on " + ProcessRuntime.DEFAULT_PATH);
    }

    @Test
    void aPathWithoutSttyIsReportedWhenTheRuntimeStarts() throws Exception {
        Files.createSymbolicLink(bin.resolve("setsid"), onTheHostsPath("setsid"));
        assertThat(Terminal.findStty(bin.toString())).isNull();

        new ProcessRuntime(base, ByteBufAllocator.DEFAULT, 1 << 20, Duration.ofSeconds(10), bin.toString()).close();

        assertThat(warnings()).anySatisfy(w -> assertThat(w)
                .contains("no stty (coreutils) on the PATH (" + bin + ")")
                .contains("servers on a terminal (tty) cannot start"));
    }

    @Test
    void aPathWithSttySaysNothingOfIt() throws Exception {
        Files.createSymbolicLink(bin.resolve("setsid"), onTheHostsPath("setsid"));
        Files.createSymbolicLink(bin.resolve("stty"), onTheHostsPath("stty"));

        new ProcessRuntime(base, ByteBufAllocator.DEFAULT, 1 << 20, Duration.ofSeconds(10), bin.toString()).close();

        assertThat(warnings()).isNotEmpty().noneSatisfy(w -> assertThat(w).contains("stty"));
    }
}
