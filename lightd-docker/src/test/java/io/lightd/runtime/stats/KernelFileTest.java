package io.lightd.runtime.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file kept open and read from its start each time: whole texts of every size around the buffer's
 * (the read that stops early, the one that fills the buffer, the one that grows it), a text that
 * shrinks or grows between reads, and a file that is not there. Real files on disk; the kernel's own
 * files are read by {@code CgroupStatsEngineTest}.
 */
class KernelFileTest {

    @TempDir
    Path dir;

    @Test
    void everySizeIsReadWhole() throws IOException {
        for (int size : new int[] {0, 1, 100, 3000, 4096 - KernelFile.SHORT_READ_SLACK - 1,
                4096 - KernelFile.SHORT_READ_SLACK, 4096 - KernelFile.SHORT_READ_SLACK + 1, 4095, 4096, 4097, 9000, 40_000}) {
            Path file = dir.resolve("f" + size);
            String text = lines(size);
            Files.writeString(file, text, StandardCharsets.US_ASCII);
            KernelFile kernelFile = new KernelFile(file);
            try {
                assertThat(text(kernelFile)).as("size %d", size).isEqualTo(text);
                assertThat(text(kernelFile)).as("size %d, read again", size).isEqualTo(text);
            } finally {
                kernelFile.close();
            }
        }
    }

    @Test
    void eachReadSeesTheFileAsItIsNow() throws IOException {
        Path file = dir.resolve("changing");
        Files.writeString(file, lines(9000), StandardCharsets.US_ASCII);
        KernelFile kernelFile = new KernelFile(file);
        try {
            assertThat(text(kernelFile)).hasSize(9000);
            Files.writeString(file, "total_inactive_file 4096\n", StandardCharsets.US_ASCII);
            assertThat(text(kernelFile)).isEqualTo("total_inactive_file 4096\n");
            Files.writeString(file, lines(5000), StandardCharsets.US_ASCII);
            assertThat(text(kernelFile)).isEqualTo(lines(5000));
        } finally {
            kernelFile.close();
        }
    }

    @Test
    void aMissingFileAndAClosedOneAreErrors() throws IOException {
        KernelFile missing = new KernelFile(dir.resolve("absent"));
        assertThatThrownBy(missing::fill).isInstanceOf(NoSuchFileException.class);
        assertThat(missing.fillOrMinusOne()).isEqualTo(-1);
        Path file = dir.resolve("present");
        Files.writeString(file, "1\n", StandardCharsets.US_ASCII);
        KernelFile closed = new KernelFile(file);
        closed.close();
        assertThat(closed.fillOrMinusOne()).isEqualTo(-1);
    }

    /** What a fill of the file reads, as text. */
    private static String text(KernelFile file) throws IOException {
        int length = file.fill();
        return new String(file.bytes(), 0, length, StandardCharsets.US_ASCII);
    }

    /** {@code size} bytes of numbered lines, as a kernel's flat keyed file looks. */
    private static String lines(int size) {
        StringBuilder text = new StringBuilder(size);
        for (int i = 0; text.length() < size; i++) {
            text.append("key_").append(i).append(' ').append(i * 4096L).append('\n');
        }
        text.setLength(size);
        return text.toString();
    }
}
