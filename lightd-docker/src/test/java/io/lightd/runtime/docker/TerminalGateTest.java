package io.lightd.runtime.docker;

import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.runtime.RecordingListener;
import io.lightd.runtime.Terminal;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link TerminalGate#waitingAtGate} with real processes: the gate shell found as the pid itself, or
 * as a child of it, as under the engine's init ({@code docker-init -- /bin/sh -c <gate> ...}).
 */
class TerminalGateTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    /** A shell that runs the gate shell as its child (not exec'd, as the trailing command keeps it). */
    private static Process gateUnderAParent() throws Exception {
        String gate = "/bin/sh -c '" + Terminal.GATE_SCRIPT + "' 'exit 0'; exit 0";
        return new ProcessBuilder(List.of("/bin/sh", "-c", gate)).start();
    }

    @Test
    void aGateShellUnderTheReportedPidIsFound() throws Exception {
        Process parent = gateUnderAParent();
        try {
            assertThat(RecordingListener.await(() -> TerminalGate.waitingAtGate(parent.pid()), WAIT)).isTrue();
            try (OutputStream stdin = parent.getOutputStream()) {
                stdin.write(Terminal.GATE_OPEN);
            }
            assertThat(parent.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the gate opened, all exited").isTrue();
            assertThat(TerminalGate.waitingAtGate(parent.pid())).isFalse();
        } finally {
            parent.destroyForcibly();
        }
    }

    @Test
    void theGateShellItselfIsFound() throws Exception {
        Process gate = new ProcessBuilder(List.of("/bin/sh", "-c", Terminal.GATE_SCRIPT, "exit 0")).start();
        try {
            assertThat(RecordingListener.await(() -> TerminalGate.waitingAtGate(gate.pid()), WAIT)).isTrue();
        } finally {
            gate.destroyForcibly();
        }
    }

    @Test
    void aProgramPastTheGateIsNotWaiting() throws Exception {
        Process other = new ProcessBuilder(List.of("/bin/sh", "-c", "read -r x; exit 0")).start();
        try {
            assertThat(TerminalGate.waitingAtGate(other.pid())).isFalse();
            assertThat(TerminalGate.waitingAtGate(0)).isFalse();
        } finally {
            other.destroyForcibly();
        }
    }
}
