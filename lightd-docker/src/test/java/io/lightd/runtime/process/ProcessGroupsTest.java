package io.lightd.runtime.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finding the processes that write to a child's output: only the child's own pipe is ever taken
 * (never a descriptor the daemon shares with whoever started it), and only its writers are found.
 */
class ProcessGroupsTest {

    private Process child;

    @AfterEach
    void tearDown() throws Exception {
        if (child != null) {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aChildOnItsOwnPipeIsFoundAsItsOnlyWriter() throws Exception {
        child = new ProcessBuilder("/bin/sh", "-c", "exec sleep 30").redirectErrorStream(true).start();
        Object pipe = ProcessGroups.outputOf(child.pid());
        assertThat(pipe).isNotNull();
        assertThat(pipe).isNotEqualTo(ProcessGroups.descriptorKey(java.nio.file.Path.of("/proc/self/fd/1")));
        assertThat(ProcessGroups.writersTo(pipe)).containsExactly(child.pid());
    }

    @Test
    void aServerStartedAsTheRuntimeStartsItIsFoundToo() throws Exception {
        child = new ProcessBuilder("env", "--default-signal", "setsid", "/bin/sh", "-c", "sleep 30")
                .redirectErrorStream(true).start();
        Object pipe = ProcessGroups.outputOf(child.pid());
        assertThat(pipe).isNotNull();
        assertThat(ProcessGroups.writersTo(pipe)).contains(child.pid());
    }

    @Test
    void aChildWritingWhereTheDaemonWritesIsNeverTaken() throws Exception {
        child = new ProcessBuilder("/bin/sh", "-c", "exec sleep 30")
                .redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectErrorStream(true).start();
        assertThat(ProcessGroups.outputOf(child.pid())).isNull();
    }

    @Test
    void aProcFileIsReadWholeWhateverItsLengthAndAMissingOneIsNull(@TempDir Path dir) throws Exception {
        for (int size : new int[] {0, 300, 1023, 1024, 1025, 5000}) {
            StringBuilder text = new StringBuilder();
            while (text.length() < size) {
                text.append((char) ('a' + text.length() % 26));
            }
            Path file = Files.writeString(dir.resolve("stat" + size), text, StandardCharsets.ISO_8859_1);
            assertThat(ProcessGroups.readOrNull(file)).as("size %d", size).isEqualTo(text.toString());
        }
        assertThat(ProcessGroups.readOrNull(Path.of("/proc/self/stat"))).startsWith(Long.toString(ProcessHandle.current().pid()) + " (");
        assertThat(ProcessGroups.readOrNull(dir.resolve("absent"))).isNull();
    }
}
