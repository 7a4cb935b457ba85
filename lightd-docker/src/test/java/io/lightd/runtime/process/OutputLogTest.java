package io.lightd.runtime.process;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputLogTest {

    @TempDir
    Path dir;

    @Test
    void tailOfNothingIsEmpty() throws Exception {
        OutputLog log = new OutputLog(dir.resolve("logs").resolve("a.log"), 10);

        assertThat(log.tail(100)).isEmpty();
    }

    @Test
    void rotatesBeforeGoingPastTheLimitAndKeepsOneOlderFile() throws Exception {
        Path file = dir.resolve("logs").resolve("a.log");
        OutputLog log = new OutputLog(file, 10);

        append(log, "0123456");   // a.log: 0123456
        append(log, "789");       // a.log: 0123456789 (exactly the limit)
        append(log, "abc");       // a.log.1: 0123456789, a.log: abc
        append(log, "defghij");   // a.log: abcdefghij
        append(log, "klm");       // a.log.1: abcdefghij, a.log: klm; 0123456789 is gone
        log.closeFile();

        assertThat(file).hasContent("klm");
        assertThat(file.resolveSibling("a.log.1")).hasContent("abcdefghij");
        assertThat(Files.list(file.getParent())).hasSize(2);
        assertThat(new String(log.tail(100), US_ASCII)).isEqualTo("abcdefghijklm");
        assertThat(new String(log.tail(5), US_ASCII)).isEqualTo("ijklm");
        assertThat(new String(log.tail(3), US_ASCII)).isEqualTo("klm");
        assertThat(new String(log.tail(2), US_ASCII)).isEqualTo("lm");
    }

    @Test
    void continuesAnExistingFileAfterReopening() throws Exception {
        Path file = dir.resolve("a.log");
        OutputLog first = new OutputLog(file, 10);
        append(first, "12345678");
        first.closeFile();

        OutputLog second = new OutputLog(file, 10);
        append(second, "abc");
        second.closeFile();

        assertThat(file).hasContent("abc");
        assertThat(file.resolveSibling("a.log.1")).hasContent("12345678");
    }

    @Test
    void aChunkLargerThanTheLimitIsKeptWhole() throws Exception {
        Path file = dir.resolve("a.log");
        OutputLog log = new OutputLog(file, 4);

        append(log, "0123456789");

        assertThat(new String(log.tail(100), US_ASCII)).isEqualTo("0123456789");
    }

    private static void append(OutputLog log, String text) throws Exception {
        byte[] bytes = text.getBytes(US_ASCII);
        log.append(bytes, 0, bytes.length);
    }
}
