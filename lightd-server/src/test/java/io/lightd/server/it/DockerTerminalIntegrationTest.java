package io.lightd.server.it;

import io.lightd.runtime.docker.DockerEngineExtension;
import java.util.List;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link TerminalScenarios} on a real Docker engine with the busybox test image (the terminal's modes
 * are set from the host, so the image's own {@code stty} plays no part), with the sed pipeline.
 */
@ExtendWith(DockerEngineExtension.class)
class DockerTerminalIntegrationTest extends TerminalScenarios {

    @Override
    Daemon.Runtime runtime() {
        return Daemon.Runtime.DOCKER;
    }

    @Override
    String bufferingProgram() {
        return "(echo a; sleep 1; echo b; sleep 1; echo c; sleep 1; echo d; sleep 1) | busybox sed 's/^/x /'";
    }

    @Override
    List<String> bufferingProgramLines() {
        return List.of("x a\n", "x b\n", "x c\n", "x d\n");
    }
}
