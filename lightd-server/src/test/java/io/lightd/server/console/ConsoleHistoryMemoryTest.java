package io.lightd.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.openjdk.jol.info.GraphLayout;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.buffer.Unpooled;

/**
 * What a full history costs on the heap, measured with JOL over everything a history (and the
 * assembler that feeds it) references: at most 1.1 times its UTF-8 bytes plus 16 KiB, for ASCII,
 * Cyrillic and CJK text alike. The former history of one {@code String} per line held about 1.2 to
 * 1.25 times for the ASCII and Cyrillic lines here (a 24-byte {@code String} and a 16-byte array
 * header per line, two bytes a character for Cyrillic), so those cases fail without the byte ring;
 * for CJK it held less than the UTF-8 bytes (UTF-16 is the smaller encoding there).
 */
class ConsoleHistoryMemoryTest {

    static {
        // JOL cannot read field offsets of hidden classes (lambdas) otherwise.
        System.setProperty("jol.magicFieldOffset", "true");
    }

    /** Lines as the measurement printed them: about 200 bytes of UTF-8 each, numbered. */
    enum Script {
        ASCII(i -> "line " + i + " " + "x".repeat(190)),
        CYRILLIC(i -> "строка " + i + " " + "ж".repeat(94)),
        CJK(i -> "行 " + i + " " + "漢".repeat(63));

        final IntFunction<String> line;

        Script(IntFunction<String> line) {
            this.line = line;
        }
    }

    @ParameterizedTest
    @EnumSource(Script.class)
    void aFullHistoryCostsAboutItsBytes(Script script) {
        ConsoleHistory history = new ConsoleHistory(1000, 512 * 1024);
        for (int i = 0; i < 3000; i++) {
            history.append(script.line.apply(i) + "\n");
        }
        assertThat(history.lineCount()).isEqualTo(1000);
        long bytes = history.byteCount();
        assertThat(bytes).isBetween(190_000L, 210_000L);
        long heap = GraphLayout.parseInstance(history).totalSize();
        assertThat(heap).as("heap of a history of %d bytes (%s)", bytes, script)
                .isLessThanOrEqualTo((long) (bytes * 1.1) + 16 * 1024);
        assertThat(history.tail(1)).isEqualTo(script.line.apply(2999) + "\n");
    }

    @ParameterizedTest
    @EnumSource(Script.class)
    void theAssemblerKeepsNoBigBufferAfterABurst(Script script) {
        EmbeddedChannel loop = new EmbeddedChannel();
        ConsoleHistory history = new ConsoleHistory(1000, 512 * 1024);
        Consumer<String> sink = history::append;
        ConsoleAssembler assembler = new ConsoleAssembler(loop.eventLoop(), 50, TimeUnit.MILLISECONDS, sink);
        StringBuilder burst = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            burst.append(script.line.apply(i)).append('\n');
        }
        byte[] all = burst.toString().getBytes(StandardCharsets.UTF_8);
        // One huge read, as a pump behind a busy loop may hand over.
        assembler.accept(Unpooled.wrappedBuffer(all));
        assembler.accept(Unpooled.wrappedBuffer("> ".getBytes(StandardCharsets.UTF_8)));
        // The partial line's buffer is what a burst would leave big (about 200,000 chars here); it is
        // read directly, since walking the assembler's graph would take in the loop and the pending
        // flush timer, whose lambdas are hidden classes some tools cannot lay out.
        assertThat(assembler.pendingCapacity()).as("chars the assembler keeps after a burst (%s)", script)
                .isLessThanOrEqualTo(ConsoleAssembler.KEPT_PENDING_CHARS);
        loop.finishAndReleaseAll();
    }
}
