package io.lightd.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class ConsoleHistoryTest {

    @Test
    void keepsTheNewestLinesUpToTheLineBound() {
        ConsoleHistory h = new ConsoleHistory(3, 1 << 20);
        h.append("1\n2\n3\n4\n5\n");
        assertThat(h.tail(100)).isEqualTo("3\n4\n5\n");
        assertThat(h.tail(2)).isEqualTo("4\n5\n");
    }

    @Test
    void keepsUnderTheByteBound() {
        ConsoleHistory h = new ConsoleHistory(1000, 10);
        h.append("aaaa\nbbbb\ncccc\n");
        assertThat(h.tail(100)).isEqualTo("bbbb\ncccc\n");
        assertThat(h.byteCount()).isEqualTo(10);
    }

    @Test
    void partialLinesJoinTheirContinuation() {
        ConsoleHistory h = new ConsoleHistory(10, 1000);
        h.append("> ");
        h.append("typed\nnext");
        assertThat(h.lineCount()).isEqualTo(2);
        assertThat(h.tail(10)).isEqualTo("> typed\nnext\n");
    }

    @Test
    void emptyHistoryIsEmpty() {
        assertThat(new ConsoleHistory(10, 100).tail(5)).isEmpty();
    }

    @Test
    void seedDropsTheFirstPartialLineOfACutLog() {
        ConsoleHistory h = new ConsoleHistory(10, 1000);
        h.seed("ut line\nwhole\n".getBytes(StandardCharsets.UTF_8), true);
        assertThat(h.tail(10)).isEqualTo("whole\n");
    }

    @Test
    void countsUtf8Bytes() {
        assertThat(ConsoleHistory.utf8Length("a\u00e9\u20ac\uD83D\uDE00")).isEqualTo(1 + 2 + 3 + 4);
    }

    @Test
    void aLineLongerThanTheByteBoundKeepsItsEndFromACharacterBoundary() {
        ConsoleHistory h = new ConsoleHistory(10, 8);
        h.append("ab");
        h.append("жжжжж");
        assertThat(h.byteCount()).isLessThanOrEqualTo(8);
        assertThat(h.tail(1)).isEqualTo("жжжж\n");
        h.append("\nok\n");
        assertThat(h.tail(10)).isEqualTo("ok\n");
    }

    @Test
    void anOverlongTextKeepsItsLastWholeLines() {
        ConsoleHistory h = new ConsoleHistory(10, 10);
        h.append("old\n");
        h.append("aaaaaaaa\nbbbb\ncccc\n");
        assertThat(h.tail(10)).isEqualTo("bbbb\ncccc\n");
    }

    @Test
    void clearGivesTheBufferBack() {
        ConsoleHistory h = new ConsoleHistory(10, 1 << 20);
        h.append("x".repeat(10_000) + "\n");
        assertThat(h.capacity()).isGreaterThanOrEqualTo(10_001);
        h.clear();
        assertThat(h.capacity()).isZero();
        assertThat(h.tail(10)).isEmpty();
    }

    /**
     * Random text (ASCII, Cyrillic, CJK, emoji, empty lines, unfinished lines) answers exactly as the
     * former history of one string per line did, for every tail length, while the ring wraps around.
     */
    @RepeatedTest(20)
    void answersAsTheLinePerStringHistoryDid() {
        Random random = new Random();
        long seed = random.nextLong();
        random.setSeed(seed);
        int maxLines = 1 + random.nextInt(40);
        int maxBytes = 200 + random.nextInt(2000);
        ConsoleHistory ring = new ConsoleHistory(maxLines, maxBytes);
        LinePerStringHistory reference = new LinePerStringHistory(maxLines, maxBytes);
        String[] pieces = {"a", "hello ", "строка ", "漢字", "\uD83D\uDE00", "\n", "\n", "\r\n", "> "};
        for (int step = 0; step < 2000; step++) {
            StringBuilder text = new StringBuilder();
            for (int n = random.nextInt(12); n >= 0; n--) {
                text.append(pieces[random.nextInt(pieces.length)]);
            }
            ring.append(text.toString());
            reference.append(text.toString());
            assertThat(ring.byteCount()).as("seed %d step %d", seed, step).isEqualTo(reference.bytes);
            assertThat(ring.lineCount()).as("seed %d step %d", seed, step).isEqualTo(reference.lines.size());
            int count = random.nextInt(maxLines + 3) - 1;
            assertThat(ring.tail(count)).as("seed %d step %d tail %d", seed, step, count).isEqualTo(reference.tail(count));
        }
    }

    /** The history as it was: one string per line (kept here as the reference for its answers). */
    private static final class LinePerStringHistory {
        private final int maxLines;
        private final long maxBytes;
        private final ArrayDeque<String> lines = new ArrayDeque<>();
        private long bytes;
        private boolean lastComplete = true;

        LinePerStringHistory(int maxLines, long maxBytes) {
            this.maxLines = maxLines;
            this.maxBytes = maxBytes;
        }

        void append(String text) {
            int start = 0;
            while (start < text.length()) {
                int newline = text.indexOf('\n', start);
                int end = newline < 0 ? text.length() : newline + 1;
                String piece = text.substring(start, end);
                if (!lastComplete) {
                    String last = lines.pollLast();
                    bytes -= ConsoleHistory.utf8Length(last);
                    piece = last + piece;
                }
                lines.addLast(piece);
                bytes += ConsoleHistory.utf8Length(piece);
                lastComplete = newline >= 0;
                start = end;
            }
            while (lines.size() > maxLines || (bytes > maxBytes && lines.size() > 1)) {
                bytes -= ConsoleHistory.utf8Length(lines.pollFirst());
            }
        }

        String tail(int count) {
            int skip = Math.max(0, lines.size() - count);
            StringBuilder out = new StringBuilder();
            Iterator<String> it = lines.iterator();
            for (int i = 0; it.hasNext(); i++) {
                String line = it.next();
                if (i >= skip) {
                    out.append(line);
                }
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != '\n') {
                out.append('\n');
            }
            return out.toString();
        }
    }
}
