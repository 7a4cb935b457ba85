package io.lightd.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The assembler on an embedded loop, whose clock the test moves by hand. */
class ConsoleAssemblerTest {

    private final EmbeddedChannel clock = frozenClock();
    private final List<String> out = new ArrayList<>();
    private final ConsoleAssembler assembler = new ConsoleAssembler(clock.eventLoop(), 50, TimeUnit.MILLISECONDS, out::add);

    /** A loop whose clock moves only when a test advances it, never with the machine's. */
    private static EmbeddedChannel frozenClock() {
        EmbeddedChannel loop = new EmbeddedChannel();
        loop.freezeTime();
        return loop;
    }

    @AfterEach
    void close() {
        clock.finishAndReleaseAll();
    }

    private void feed(byte... bytes) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        try {
            assembler.accept(buf);
        } finally {
            buf.release();
        }
    }

    private void feed(String text) {
        feed(text.getBytes(StandardCharsets.UTF_8));
    }

    private void advance(long millis) {
        clock.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        clock.runScheduledPendingTasks();
    }

    @Test
    void completeLinesGoOutAtOnceTogether() {
        feed("one\ntwo\n\nthree\r\n");
        assertThat(out).containsExactly("one\ntwo\n\nthree\r\n");
    }

    @Test
    void partialLineWaitsFiftyMillisecondsThenGoesOut() {
        feed("line\n> ");
        assertThat(out).containsExactly("line\n");
        advance(49);
        assertThat(out).containsExactly("line\n");
        advance(1);
        assertThat(out).containsExactly("line\n", "> ");
    }

    @Test
    void aPartialLineThatKeepsGrowingWaitsForFiftyMillisecondsWithoutOutput() {
        // A flood read in chunks that each end inside a line: the pending tail changes at every
        // chunk, and the line the process is still writing is not split.
        feed("first\nsec");
        advance(40);
        feed("ond\nthi");
        advance(40);
        feed("rd li");
        advance(49);
        assertThat(out).containsExactly("first\n", "second\n");
        feed("ne\n");
        assertThat(out).containsExactly("first\n", "second\n", "third line\n");
        feed("> ");
        advance(49);
        assertThat(out).hasSize(3);
        advance(1);
        assertThat(out).containsExactly("first\n", "second\n", "third line\n", "> ");
    }

    @Test
    void aNewlineBeforeTheTimerSendsTheWholeLineOnce() {
        feed("hal");
        feed("f\n");
        assertThat(out).containsExactly("half\n");
        advance(100);
        assertThat(out).containsExactly("half\n");
    }

    @Test
    void multiByteCharacterSplitAcrossChunksIsNeverSplit() {
        byte[] euro = "\u20ac".getBytes(StandardCharsets.UTF_8);
        feed((byte) 'a', euro[0]);
        advance(50);
        assertThat(out).containsExactly("a");
        feed(euro[1]);
        advance(50);
        assertThat(out).containsExactly("a");
        feed(euro[2], (byte) '\n');
        assertThat(out).containsExactly("a", "\u20ac\n");
    }

    @Test
    void fourByteCharacterSplitEveryByte() {
        byte[] smile = "\uD83D\uDE00\n".getBytes(StandardCharsets.UTF_8);
        for (byte b : smile) {
            feed(b);
        }
        assertThat(out).containsExactly("\uD83D\uDE00\n");
    }

    @Test
    void invalidBytesBecomeReplacementCharacters() {
        feed((byte) 'x', (byte) 0xff, (byte) 0xc3, (byte) 'y', (byte) '\n');
        assertThat(out).containsExactly("x\uFFFD\uFFFDy\n");
    }

    @Test
    void flushAllEmitsAnUnfinishedCharacterAsReplacement() {
        feed((byte) 'z', (byte) 0xe2, (byte) 0x82);
        assembler.flushAll();
        assertThat(out).containsExactly("z\uFFFD");
    }

    @Test
    void completeLengthHoldsBackOnlyUnfinishedSequences() {
        assertThat(ConsoleAssembler.completeLength(new byte[] {'a', (byte) 0xe2, (byte) 0x82})).isEqualTo(1);
        assertThat(ConsoleAssembler.completeLength(new byte[] {'a', (byte) 0xe2, (byte) 0x82, (byte) 0xac})).isEqualTo(4);
        assertThat(ConsoleAssembler.completeLength(new byte[] {'a', (byte) 0xc3})).isEqualTo(1);
        assertThat(ConsoleAssembler.completeLength(new byte[] {'a', (byte) 0xff})).isEqualTo(2);
        assertThat(ConsoleAssembler.completeLength(new byte[] {(byte) 0xf0, (byte) 0x9f, (byte) 0x98})).isEqualTo(0);
    }
}
