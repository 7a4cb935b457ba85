package io.lightd.runtime.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

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
}
