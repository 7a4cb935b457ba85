package io.lightd.server.it;

import io.lightd.runtime.docker.DockerEngineExtension;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The protocol end to end on a real Docker engine: the scenarios of {@link ConsoleScenarios}
 * (install with script output, start with pattern, exact console bytes, commands, logs, stats with
 * the memory limit, stop/kill/restart, natural exit, delete, daemon restart) with the Docker
 * runtime, the test image and network mode none. Skipped loudly without an engine.
 */
@ExtendWith(DockerEngineExtension.class)
class DockerConsoleIntegrationTest extends ConsoleScenarios {

    DockerConsoleIntegrationTest() {
        super(LightdExtension.builder()
                .runtime(Daemon.Runtime.DOCKER));
    }
}
