package io.lightd.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.server.config.LightdConfig;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The console stream on an embedded loop whose clock the test moves: history keeps everything, the
 * throttle keeps lines out of the live part only and reports them once, and every assembled piece
 * reaches the listener whether it went live or not.
 */
class ConsoleStreamTest {

    private final EmbeddedChannel loop = frozen(new EmbeddedChannel());
    private final List<String> live = new ArrayList<>();
    private final List<String> assembled = new ArrayList<>();
    private final List<String> notices = new ArrayList<>();
    private int throttledLines;

    private static EmbeddedChannel frozen(EmbeddedChannel channel) {
        channel.freezeTime();
        return channel;
    }

    @AfterEach
    void close() {
        loop.finishAndReleaseAll();
    }

    private ConsoleStream stream(LightdConfig.Limits limits) {
        return new ConsoleStream(loop.eventLoop(), limits, 0, new ConsoleStream.Listener() {
            @Override
            public void live(String text) {
                live.add(text);
            }

            @Override
            public void assembled(String text) {
                assembled.add(text);
            }

            @Override
            public void notice(String message) {
                notices.add(message);
            }

            @Override
            public void throttled(int lines) {
                throttledLines += lines;
            }
        });
    }

    private static void write(ConsoleStream stream, String text) {
        var chunk = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
        try {
            stream.accept(chunk);
        } finally {
            chunk.release();
        }
    }

    private void advance(long millis) {
        loop.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        loop.runScheduledPendingTasks();
    }

    @Test
    void linesGoLiveAndIntoTheHistoryAndAPartialLineFollowsAfterItsDelay() {
        ConsoleStream stream = stream(LightdConfig.Defaults.limits());
        write(stream, "one\ntwo\n> ");
        assertThat(live).containsExactly("one\ntwo\n");
        assertThat(assembled).containsExactly("one\ntwo\n");
        advance(ConsoleStream.PARTIAL_LINE_FLUSH_MILLIS);
        assertThat(live).containsExactly("one\ntwo\n", "> ");
        assertThat(stream.tail(10)).as("a tail ends with a line end").isEqualTo("one\ntwo\n> \n");
        write(stream, "x");
        stream.endOfOutput();
        assertThat(live).as("the process ended: the partial line goes at once").endsWith("x");
        stream.clear();
        assertThat(stream.tail(10)).isEmpty();
    }

    @Test
    void throttledLinesStayInTheHistoryAreCountedAndReportedOnceTheEpisodeEnds() {
        ConsoleStream stream = stream(LightdConfig.Defaults.limits().withConsoleThrottle(1, 1 << 20));
        write(stream, "a\n");
        write(stream, "b\n");
        write(stream, "c\n");
        assertThat(live).containsExactly("a\n");
        assertThat(assembled).as("the start pattern sees everything").containsExactly("a\n", "b\n", "c\n");
        assertThat(stream.tail(10)).isEqualTo("a\nb\nc\n");
        assertThat(throttledLines).isEqualTo(2);
        assertThat(notices).isEmpty();
        advance(ConsoleStream.THROTTLE_QUIET_MILLIS);
        assertThat(notices).containsExactly("Error: console output throttled, skipped 2 lines");
        advance(ConsoleStream.THROTTLE_QUIET_MILLIS);
        assertThat(notices).as("reported once").hasSize(1);
    }
}
