package io.lightd.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.server.config.LightdConfig;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The console stream on an embedded loop whose clock the test moves: history keeps everything, the
 * throttle keeps lines out of the live part only and reports them once per episode (and at most once
 * per quiet period while a flood goes on), and every assembled piece reaches the listener whether it
 * went live or not.
 */
class ConsoleStreamTest {

    private final EmbeddedChannel loop = frozen(new EmbeddedChannel());
    private final List<String> live = new ArrayList<>();
    private final List<String> assembled = new ArrayList<>();
    private final List<String> notices = new ArrayList<>();
    /** The test clock when each notice came, in ms from the start of the test. */
    private final List<Long> noticeMillis = new ArrayList<>();
    private long clockMillis;
    private int throttledLines;

    private static final Pattern SKIPPED = Pattern.compile("Error: console output throttled, skipped (\\d+) lines");

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
                noticeMillis.add(clockMillis);
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
        clockMillis += millis;
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

    /** The N of each throttle notice, in order. */
    private List<Long> skippedCounts() {
        List<Long> counts = new ArrayList<>();
        for (String notice : notices) {
            Matcher m = SKIPPED.matcher(notice);
            assertThat(m.matches()).as("a throttle notice: %s", notice).isTrue();
            counts.add(Long.parseLong(m.group(1)));
        }
        return counts;
    }

    @Test
    void aChunkAdmittedDuringAnEpisodeGoesLiveWithoutEndingIt() {
        ConsoleStream stream = stream(LightdConfig.Defaults.limits().withConsoleThrottle(2, 1 << 20));
        write(stream, "a\n");
        write(stream, "b\n");
        write(stream, "c\n");
        advance(600);
        write(stream, "d\n");
        write(stream, "e\n");
        assertThat(live).as("d came when the bucket had refilled: live output").containsExactly("a\n", "b\n", "d\n");
        assertThat(notices).as("d does not end the episode that c started").isEmpty();
        advance(ConsoleStream.THROTTLE_QUIET_MILLIS - 600 - 1);
        assertThat(notices).isEmpty();
        advance(1);
        assertThat(notices).as("the episode goes on (e was refused at 600 ms): what it skipped so far")
                .containsExactly("Error: console output throttled, skipped 2 lines");
        advance(600);
        assertThat(notices).as("the episode ended with nothing left to report").hasSize(1);
        write(stream, "f\n");
        write(stream, "g\n");
        write(stream, "h\n");
        assertThat(live).endsWith("f\n", "g\n");
        advance(ConsoleStream.THROTTLE_QUIET_MILLIS - 1);
        assertThat(notices).hasSize(1);
        advance(1);
        assertThat(notices).as("a new episode, its own notice").containsExactly(
                "Error: console output throttled, skipped 2 lines", "Error: console output throttled, skipped 1 lines");
        assertThat(throttledLines).isEqualTo(3);
    }

    @Test
    void aSustainedFloodIsReportedAtMostOncePerQuietPeriodWithEveryLineCountedOnce() {
        ConsoleStream stream = stream(LightdConfig.Defaults.limits().withConsoleThrottle(10, 1 << 20));
        long floodMillis = 3500;
        int stepMillis = 2;
        int written = 0;
        int liveBeforeFirstReport = -1;
        for (long t = 0; t < floodMillis; t += stepMillis) {
            write(stream, "line " + written++ + "\n");
            if (clockMillis == ConsoleStream.THROTTLE_QUIET_MILLIS - stepMillis) {
                liveBeforeFirstReport = live.size();
                assertThat(notices).as("no notice within the episode's first quiet period").isEmpty();
            }
            advance(stepMillis);
        }
        // 500 lines a second against 10: the buckets let one through about every 100 ms.
        assertThat(liveBeforeFirstReport).as("admitted lines went live during the episode").isGreaterThan(10 + 5);
        assertThat(notices).as("one report per second of flood, not one per admitted line")
                .hasSizeLessThanOrEqualTo((int) (floodMillis / ConsoleStream.THROTTLE_QUIET_MILLIS))
                .isNotEmpty();
        for (int i = 1; i < noticeMillis.size(); i++) {
            assertThat(noticeMillis.get(i) - noticeMillis.get(i - 1))
                    .as("notices at least a quiet period apart: %s", noticeMillis)
                    .isGreaterThanOrEqualTo(ConsoleStream.THROTTLE_QUIET_MILLIS);
        }
        int duringFlood = notices.size();
        advance(ConsoleStream.THROTTLE_QUIET_MILLIS);
        assertThat(notices).as("the episode ended: the rest").hasSize(duringFlood + 1);
        advance(10 * ConsoleStream.THROTTLE_QUIET_MILLIS);
        assertThat(notices).as("nothing after the end").hasSize(duringFlood + 1);
        assertThat(live.size() + throttledLines).isEqualTo(written);
        assertThat(skippedCounts().stream().mapToLong(Long::longValue).sum())
                .as("every refused line in exactly one notice").isEqualTo(throttledLines);
        assertThat(stream.tail(1)).as("the history has the refused lines").isEqualTo("line " + (written - 1) + "\n");
    }
}
