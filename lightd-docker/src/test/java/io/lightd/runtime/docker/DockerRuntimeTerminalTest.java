package io.lightd.runtime.docker;

/**
 * Every test of {@link DockerRuntimeTest} with containers created with a TTY: the raw attach stream
 * (not multiplexed), the terminal gate, stdin, stop, kill, stats, logs, re-attach by a second
 * runtime and after a lost attach stream hold there as without one.
 */
class DockerRuntimeTerminalTest extends DockerRuntimeTest {

    @Override
    boolean tty() {
        return true;
    }
}
