package io.lightd.runtime.process;

/**
 * Every test of {@link ProcessRuntimeTest} with the servers on a terminal (pty4j): exact output,
 * stdin order, stop command, SIGTERM and SIGKILL to the whole group, exit codes, leftovers, stats
 * and logs hold there as on pipes.
 */
class ProcessRuntimeTerminalTest extends ProcessRuntimeTest {

    @Override
    boolean tty() {
        return true;
    }
}
