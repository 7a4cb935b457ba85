package io.lightd.server.it;

import io.lightd.runtime.docker.DockerEngineExtension;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The scenarios of {@link ConsoleScenarios} on a real Docker engine with {@code tty: false}:
 * containers without a TTY, whose attach stream is multiplexed ({@link DockerConsoleIntegrationTest}
 * runs them with the default, a TTY and a raw stream).
 */
@ExtendWith(DockerEngineExtension.class)
class DockerConsolePipesIntegrationTest extends ConsoleScenarios {

    DockerConsolePipesIntegrationTest() {
        super(LightdExtension.builder()
                .runtime(Daemon.Runtime.DOCKER)
                .tty(false));
    }
}
