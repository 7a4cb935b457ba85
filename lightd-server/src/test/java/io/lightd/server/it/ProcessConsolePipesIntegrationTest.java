package io.lightd.server.it;

/**
 * The scenarios of {@link ConsoleScenarios} on the process runtime with {@code tty: false}: servers on
 * pipes, as before terminals existed ({@link ConsoleProtocolIntegrationTest} runs them with the
 * default, a terminal).
 */
class ProcessConsolePipesIntegrationTest extends ConsoleScenarios {

    ProcessConsolePipesIntegrationTest() {
        super(LightdExtension.builder()
                .runtime(Daemon.Runtime.PROCESS)
                .tty(false));
    }
}
