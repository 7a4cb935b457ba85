package io.lightd.server.hub;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
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
}
