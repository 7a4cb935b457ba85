package io.lightd.server.it;

import java.util.List;

/** {@link TerminalScenarios} on the process runtime (pty4j), with the Python program. */
class ProcessTerminalIntegrationTest extends TerminalScenarios {

    ProcessTerminalIntegrationTest() {
        super(LightdExtension.builder()
                .runtime(Daemon.Runtime.PROCESS));
    }

    @Override
    String bufferingProgram() {
        return "python3 -c \"import time\nfor i in range(4):\n    print('tick', i); time.sleep(1)\"";
    }

    @Override
    List<String> bufferingProgramLines() {
        return List.of("tick 0\n", "tick 1\n", "tick 2\n", "tick 3\n");
    }
}
