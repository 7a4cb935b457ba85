package io.lightd.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The start pattern is searched in whole lines as a person sees them, however the text arrives. */
class StartPatternTest {

    private final StartPattern done = new StartPattern(Pattern.compile("Done \\(\\d+\\.\\d+s\\)!$"));

    @Test
    void noPatternMeansNoWatcher() {
        assertThat(StartPattern.of(null)).isNull();
        assertThat(StartPattern.of(Pattern.compile("x"))).isNotNull();
    }

    @Test
    void aLineSplitOverChunksMatchesOnceItEnds() {
        assertThat(done.find("Loading...\nDo")).isFalse();
        assertThat(done.find("ne (1.2")).isFalse();
        assertThat(done.find("s)!")).as("no line end yet").isFalse();
        assertThat(done.find("\r\n")).as("the \\r is not part of the line").isTrue();
    }

    @Test
    void colouredTextMatchesWithoutItsControlSequences() {
        assertThat(done.find("\u001b[32mDone\u001b[0m (3.4s)!\n")).isTrue();
    }

    @Test
    void aNonMatchingLineIsForgottenOnceItEnds() {
        assertThat(done.find("Done (1.2s)! not yet\n")).isFalse();
        assertThat(done.find("Done (5.6s)!\n")).isTrue();
    }

    @Test
    void resetForgetsAPartialLine() {
        assertThat(done.find("Done (1.")).isFalse();
        done.reset();
        assertThat(done.find("2s)!\n")).as("only the tail of a line is left").isFalse();
    }

    @Test
    void anEndlessLineIsKeptOnlyUpToItsLimit() {
        StartPattern tail = new StartPattern(Pattern.compile("END"));
        assertThat(tail.find("x".repeat(StartPattern.MAX_LINE_CHARS))).isFalse();
        assertThat(tail.find("END")).isFalse();
        assertThat(tail.find("\n")).as("a piece beyond the kept part of a partial line is not searched").isFalse();
        assertThat(tail.find("END\n")).as("the next line is searched again").isTrue();
    }
}
